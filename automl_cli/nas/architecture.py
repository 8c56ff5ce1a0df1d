"""The architecture of a tabular network as plain data (contract 10): what every strategy
proposes, what the trainer builds, and what the model file stores as JSON.

Node 0 is the encoded input (numeric columns standardized, each categorical column embedded
in min(embedding_dim, levels + 1) dimensions, all concatenated); its width comes from the data,
so it is written as `Node(width=0, edges=())`. Nodes 1..n are hidden and the head reads the
last one. A hidden node applies its edges to earlier nodes, merges them, then normalizes and
drops out:

- a "linear" edge is activation(Linear(dim(source) -> width));
- an "identity" edge is activation(h_source), projected by a bias-free Linear to `width` when
  dim(source) differs;
- merge "sum" adds the edge outputs (dim = width), "concat" concatenates them
  (dim = width * number of edges).

A plain MLP is a chain of single linear edges, a residual block adds an identity edge from two
nodes back, a dense block concatenates edges from several earlier nodes. The architecture holds
no weights and imports no torch, so it can be checked, mutated and stored anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

OPS = ("linear", "identity")
ACTIVATIONS = ("relu", "gelu", "tanh", "silu", "none")
MERGES = ("sum", "concat")
NORMS = ("none", "batch", "layer")
MAX_WIDTH = 4096
MAX_NODES = 64


@dataclass(frozen=True)
class Edge:
    """One input of a hidden node: an operation on an earlier node's output."""

    source: int
    op: str = "linear"
    activation: str = "relu"


@dataclass(frozen=True)
class Node:
    """A hidden node (or, with width 0 and no edges, the input node 0)."""

    width: int
    edges: tuple[Edge, ...] = ()
    merge: str = "sum"
    norm: str = "none"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "edges", tuple(self.edges))

    @property
    def out_dim(self) -> int:
        """The node's output size (the input node's comes from the data, see `dims`)."""
        return self.width * len(self.edges) if self.merge == "concat" else self.width


INPUT = Node(width=0)


@dataclass(frozen=True)
class Architecture:
    """`nodes[0]` is the input, `nodes[1:]` the hidden nodes; validated on construction."""

    nodes: tuple[Node, ...]
    embedding_dim: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "nodes", tuple(self.nodes))
        check(self)

    @classmethod
    def chain(
        cls,
        widths: Sequence[int],
        activation: str = "relu",
        norm: str = "none",
        dropout: float = 0.0,
        embedding_dim: int = 8,
    ) -> Architecture:
        """A plain MLP: one linear edge from each node to the next."""
        hidden = [
            Node(w, (Edge(i, "linear", activation),), "sum", norm, dropout)
            for i, w in enumerate(widths)
        ]
        return cls((INPUT, *hidden), embedding_dim)

    @property
    def depth(self) -> int:
        return len(self.nodes) - 1

    def dims(self, input_dim: int) -> list[int]:
        """The output size of every node, node 0 being `input_dim`."""
        return [input_dim] + [node.out_dim for node in self.nodes[1:]]

    def n_parameters(self, input_dim: int, n_outputs: int) -> int:
        """Trainable weights of the network without the embeddings (sizes of random cells)."""
        dims = self.dims(input_dim)
        total = (dims[-1] + 1) * n_outputs
        for node in self.nodes[1:]:
            for edge in node.edges:
                d = dims[edge.source]
                if edge.op == "linear":
                    total += (d + 1) * node.width
                elif d != node.width:
                    total += d * node.width
            if node.norm != "none":
                total += 2 * node.out_dim
        return total

    def describe(self) -> str:
        """One line per hidden node, for `automl info`."""
        lines = []
        for i, node in enumerate(self.nodes[1:], start=1):
            edges = ", ".join(f"{e.op}({e.activation}) from {e.source}" for e in node.edges)
            extra = "".join(
                [
                    f" {node.merge}" if len(node.edges) > 1 else "",
                    f", {node.norm} norm" if node.norm != "none" else "",
                    f", dropout {node.dropout:g}" if node.dropout else "",
                ]
            )
            lines.append(f"node {i}: width {node.width}{extra}; {edges}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Architecture:
        """The inverse of `to_dict`; anything malformed raises ValueError."""
        try:
            nodes = [
                Node(
                    width=_int(n["width"], "width"),
                    edges=tuple(
                        Edge(_int(e["source"], "source"), str(e["op"]), str(e["activation"]))
                        for e in n["edges"]
                    ),
                    merge=str(n["merge"]),
                    norm=str(n["norm"]),
                    dropout=float(n["dropout"]),
                )
                for n in record["nodes"]
            ]
            embedding_dim = _int(record["embedding_dim"], "embedding_dim")
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"architecture record is malformed ({error!r})") from None
        return cls(tuple(nodes), embedding_dim)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Architecture:
        try:
            record = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"architecture is not JSON ({error})") from None
        if not isinstance(record, dict):
            raise ValueError("architecture JSON must be an object")
        return cls.from_dict(record)


@dataclass(frozen=True)
class TrainingParams:
    """How an architecture is trained: AdamW's rate and decay, rows per step, epochs at most."""

    learning_rate: float = 1e-3
    weight_decay: float = 1e-5
    batch_size: int = 128
    max_epochs: int = 40

    def __post_init__(self) -> None:
        if not 0 < self.learning_rate <= 1:
            raise ValueError(f"learning_rate must be in (0, 1], not {self.learning_rate}")
        if not 0 <= self.weight_decay <= 1:
            raise ValueError(f"weight_decay must be in [0, 1], not {self.weight_decay}")
        if self.batch_size < 1 or self.max_epochs < 1:
            raise ValueError("batch_size and max_epochs must be at least 1")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> TrainingParams:
        try:
            return cls(
                float(record["learning_rate"]),
                float(record["weight_decay"]),
                _int(record["batch_size"], "batch_size"),
                _int(record["max_epochs"], "max_epochs"),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"training parameters are malformed ({error!r})") from None


@dataclass(frozen=True)
class Candidate:
    """A point of the search space: an architecture and how to train it."""

    architecture: Architecture
    training: TrainingParams = field(default_factory=TrainingParams)


def check(arch: Architecture) -> None:
    """Raise ValueError naming the first way `arch` is not a buildable network."""
    nodes = arch.nodes
    if not 1 <= arch.embedding_dim <= 256:
        raise ValueError(f"embedding_dim must be in 1..256, not {arch.embedding_dim}")
    if len(nodes) < 2:
        raise ValueError("an architecture needs the input node and at least one hidden node")
    if len(nodes) > MAX_NODES + 1:
        raise ValueError(f"an architecture has at most {MAX_NODES} hidden nodes")
    if nodes[0].edges or nodes[0].width != 0:
        raise ValueError("node 0 is the input: it has width 0 and no edges")
    for i, node in enumerate(nodes[1:], start=1):
        where = f"node {i}"
        if not isinstance(node.width, int) or not 1 <= node.width <= MAX_WIDTH:
            raise ValueError(f"{where}: width must be an integer in 1..{MAX_WIDTH}")
        if node.merge not in MERGES:
            raise ValueError(f"{where}: merge must be one of {MERGES}, not {node.merge!r}")
        if node.norm not in NORMS:
            raise ValueError(f"{where}: norm must be one of {NORMS}, not {node.norm!r}")
        if not 0.0 <= node.dropout < 1.0:
            raise ValueError(f"{where}: dropout must be in [0, 1), not {node.dropout}")
        if not node.edges:
            raise ValueError(f"{where}: needs at least one edge")
        for edge in node.edges:
            if not isinstance(edge.source, int) or not 0 <= edge.source < i:
                raise ValueError(f"{where}: edge source {edge.source} is not an earlier node")
            if edge.op not in OPS:
                raise ValueError(f"{where}: op must be one of {OPS}, not {edge.op!r}")
            if edge.activation not in ACTIVATIONS:
                raise ValueError(
                    f"{where}: activation must be one of {ACTIVATIONS}, not {edge.activation!r}"
                )
        if len({edge.source for edge in node.edges}) != len(node.edges):
            raise ValueError(f"{where}: two edges from the same node")


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {value!r}")
    return value
