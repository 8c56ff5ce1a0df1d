"""An Architecture as a torch module (semantics in architecture.py's docstring).

Imports torch at the top: only the modules that train or predict with a network import it.
"""

from __future__ import annotations

import torch
from torch import nn

from automl_cli.nas.architecture import Architecture, Edge
from automl_cli.nas.encoding import InputLayout

ACTIVATION = {
    "relu": nn.ReLU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "silu": nn.SiLU,
    "none": nn.Identity,
}


class InputEncoder(nn.Module):
    """Node 0: the standardized numeric columns and one embedding per categorical column."""

    def __init__(self, layout: InputLayout, embedding_dim: int) -> None:
        super().__init__()
        sizes = layout.embedding_sizes(embedding_dim)
        self.embeddings = nn.ModuleList(
            nn.Embedding(n + 1, d) for n, d in zip(layout.levels, sizes, strict=True)
        )

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        parts = [numeric] + [emb(categorical[:, j]) for j, emb in enumerate(self.embeddings)]
        return torch.cat(parts, dim=1)


class EdgeOp(nn.Module):
    def __init__(self, edge: Edge, in_dim: int, width: int) -> None:
        super().__init__()
        if edge.op == "linear":
            self.transform: nn.Module = nn.Linear(in_dim, width)
            self.project: nn.Module = nn.Identity()
            self.activation_first = False
        else:
            self.transform = nn.Identity()
            self.project = (
                nn.Linear(in_dim, width, bias=False) if in_dim != width else nn.Identity()
            )
            self.activation_first = True
        self.activation = ACTIVATION[edge.activation]()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        if self.activation_first:
            return self.project(self.activation(h))
        return self.activation(self.transform(h))


class HiddenNode(nn.Module):
    def __init__(self, node, dims: list[int]) -> None:
        super().__init__()
        self.sources = [edge.source for edge in node.edges]
        self.ops = nn.ModuleList(EdgeOp(e, dims[e.source], node.width) for e in node.edges)
        self.concat = node.merge == "concat"
        out = node.out_dim
        self.norm: nn.Module = {
            "none": nn.Identity,
            "batch": lambda: nn.BatchNorm1d(out),
            "layer": lambda: nn.LayerNorm(out),
        }[node.norm]()
        self.dropout = nn.Dropout(node.dropout) if node.dropout else nn.Identity()

    def forward(self, states: list[torch.Tensor]) -> torch.Tensor:
        outputs = [op(states[s]) for s, op in zip(self.sources, self.ops, strict=True)]
        merged = torch.cat(outputs, dim=1) if self.concat else torch.stack(outputs).sum(0)
        return self.dropout(self.norm(merged))


class Network(nn.Module):
    """Input encoder, hidden nodes in order, and a linear head on the last node."""

    def __init__(self, arch: Architecture, layout: InputLayout, n_outputs: int) -> None:
        super().__init__()
        self.encoder = InputEncoder(layout, arch.embedding_dim)
        dims = arch.dims(layout.input_dim(arch.embedding_dim))
        self.nodes = nn.ModuleList(HiddenNode(node, dims) for node in arch.nodes[1:])
        self.head = nn.Linear(dims[-1], n_outputs)

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        states = [self.encoder(numeric, categorical)]
        for node in self.nodes:
            states.append(node(states))
        return self.head(states[-1])
