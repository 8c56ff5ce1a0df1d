"""DARTS's one-shot network for tables: every edge of the cell mixes all candidate operations.

Node 0 is the encoded input (the shared trainer's encoder), nodes
1..n are hidden nodes of one width, and node i sums one mixed edge from every earlier node.
The mixing weights are the softmax of the architecture parameters `alphas` (one row per
edge, one column per operation), which are trained on validation rows while the operations'
own weights are trained on training rows (`darts.py`). Imported only when DARTS runs.
"""

from __future__ import annotations

import torch
from torch import nn

from automl_cli.nas.encoding import InputLayout
from automl_cli.nas.network import ACTIVATION, InputEncoder

# (op, activation) of the Architecture format, plus "zero": the edge that is not there.
CANDIDATES: tuple[tuple[str, str], ...] = (
    ("linear", "relu"),
    ("linear", "gelu"),
    ("linear", "tanh"),
    ("linear", "silu"),
    ("identity", "none"),
    ("zero", "none"),
)


def edge_list(n_nodes: int) -> list[tuple[int, int]]:
    """(target, source) of every edge of the cell, row order of `alphas`."""
    return [(i, j) for i in range(1, n_nodes + 1) for j in range(i)]


def _operation(op: str, activation: str, dim_in: int, width: int) -> nn.Module | None:
    if op == "zero":
        return None
    if op == "linear":
        return nn.Sequential(nn.Linear(dim_in, width), ACTIVATION[activation]())
    if dim_in == width:
        return nn.Identity()
    return nn.Linear(dim_in, width, bias=False)


class MixedEdge(nn.Module):
    """sum_k w_k * op_k(h): the continuous relaxation of choosing one operation."""

    def __init__(self, candidates: tuple[tuple[str, str], ...], dim_in: int, width: int) -> None:
        super().__init__()
        ops = [_operation(op, act, dim_in, width) for op, act in candidates]
        self.kept = [k for k, op in enumerate(ops) if op is not None]  # "zero" adds nothing
        self.ops = nn.ModuleList(op for op in ops if op is not None)

    def forward(self, h: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return sum(weights[k] * op(h) for k, op in zip(self.kept, self.ops, strict=True))


class OneShotNetwork(nn.Module):
    """Encoder, a cell of `n_nodes` hidden nodes of mixed edges, and a linear head."""

    def __init__(
        self,
        layout: InputLayout,
        n_outputs: int,
        n_nodes: int,
        width: int,
        embedding_dim: int = 8,
        candidates: tuple[tuple[str, str], ...] = CANDIDATES,
    ) -> None:
        super().__init__()
        self.candidates = candidates
        self.encoder = InputEncoder(layout, embedding_dim)
        self.edges = edge_list(n_nodes)
        dims = [layout.input_dim(embedding_dim)] + [width] * n_nodes
        self.mixed = nn.ModuleList(
            MixedEdge(candidates, dims[source], width) for _, source in self.edges
        )
        self.head = nn.Linear(width, n_outputs)
        start = 1e-3 * torch.randn(len(self.edges), len(candidates))
        self.alphas = nn.Parameter(start)

    def mixing_weights(self) -> torch.Tensor:
        """Softmax of the alphas over the operations: each row sums to one."""
        return torch.softmax(self.alphas, dim=-1)

    def weight_parameters(self) -> list[nn.Parameter]:
        return [p for name, p in self.named_parameters() if name != "alphas"]

    def forward(self, numeric: torch.Tensor, categorical: torch.Tensor) -> torch.Tensor:
        weights = self.mixing_weights()
        states = [self.encoder(numeric, categorical)]
        edge = 0
        while edge < len(self.edges):
            target = self.edges[edge][0]
            total = 0
            for source in range(target):
                total = total + self.mixed[edge](states[source], weights[edge])
                edge += 1
            states.append(total)
        return self.head(states[-1])
