"""The search space of chain-structured networks: sampling, evolution's mutations, and the
ConfigSpace encoding BOHB searches.

A network is 1..MAX_DEPTH hidden nodes in a chain, each with its width and the activation of
its edge, a shared normalization and dropout, and skips: a residual sum (an identity edge from
two nodes back) or a dense concatenation (edges from every earlier hidden node). Training
parameters (learning rate, weight decay, batch size, epochs) are searched beside them.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from automl_cli.nas.architecture import (
    ACTIVATIONS,
    INPUT,
    NORMS,
    Architecture,
    Candidate,
    Edge,
    Node,
    TrainingParams,
)

MAX_DEPTH = 6
WIDTHS = (16, 32, 64, 128, 256)
HIDDEN_ACTIVATIONS = tuple(a for a in ACTIVATIONS if a != "none")
DROPOUTS = (0.0, 0.1, 0.2, 0.3)
EMBEDDING_DIMS = (4, 8, 16)
BATCH_SIZES = (32, 64, 128, 256)
EPOCHS = (10, 25, 50)
SKIPS = ("none", "residual", "dense")
LEARNING_RATE = (1e-4, 1e-2)
WEIGHT_DECAY = (1e-6, 1e-2)


def _log_uniform(rng: np.random.Generator, low: float, high: float) -> float:
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def build_architecture(
    widths: list[int],
    activations: list[str],
    norm: str,
    dropout: float,
    skip: str,
    embedding_dim: int,
) -> Architecture:
    """A chain with the given skip pattern (module docstring)."""
    nodes = [INPUT]
    for i, (width, activation) in enumerate(zip(widths, activations, strict=True), start=1):
        edges = [Edge(i - 1, "linear", activation)]
        merge = "sum"
        if skip == "residual" and i >= 3:
            edges.append(Edge(i - 2, "identity", "none"))
        elif skip == "dense" and i >= 2:
            edges += [Edge(j, "linear", activation) for j in range(1, i - 1)]
            merge = "concat"
        nodes.append(Node(width, tuple(edges), merge if len(edges) > 1 else "sum", norm, dropout))
    return Architecture(tuple(nodes), embedding_dim)


def sample(rng: np.random.Generator) -> Candidate:
    """A candidate drawn uniformly from the space (log-uniform for the rates)."""
    depth = int(rng.integers(1, MAX_DEPTH + 1))
    arch = build_architecture(
        [int(rng.choice(WIDTHS)) for _ in range(depth)],
        [str(rng.choice(HIDDEN_ACTIVATIONS)) for _ in range(depth)],
        str(rng.choice(NORMS)),
        float(rng.choice(DROPOUTS)),
        str(rng.choice(SKIPS)),
        int(rng.choice(EMBEDDING_DIMS)),
    )
    return Candidate(arch, sample_training(rng))


def sample_training(rng: np.random.Generator) -> TrainingParams:
    return TrainingParams(
        learning_rate=_log_uniform(rng, *LEARNING_RATE),
        weight_decay=_log_uniform(rng, *WEIGHT_DECAY),
        batch_size=int(rng.choice(BATCH_SIZES)),
        max_epochs=int(rng.choice(EPOCHS)),
    )


# --- mutations (regularized evolution): each returns a valid architecture, or None when it
# does not apply (removing the only layer, dropping a skip where there is none)


def _renumber(nodes: list[Node], mapping: dict[int, int]) -> list[Node]:
    """Nodes with every edge source mapped; edges that come to share a source are merged."""
    renumbered = []
    for node in nodes:
        edges, seen = [], set()
        for edge in node.edges:
            source = mapping[edge.source]
            if source not in seen:
                seen.add(source)
                edges.append(dataclasses.replace(edge, source=source))
        merge = node.merge if len(edges) > 1 else "sum"
        renumbered.append(dataclasses.replace(node, edges=tuple(edges), merge=merge))
    return renumbered


def add_layer(arch: Architecture, rng: np.random.Generator) -> Architecture | None:
    if arch.depth >= MAX_DEPTH:
        return None
    at = int(rng.integers(1, arch.depth + 2))  # the new node's index
    template = arch.nodes[min(at, arch.depth)]
    new = Node(
        int(rng.choice(WIDTHS)),
        (Edge(at - 1, "linear", str(rng.choice(HIDDEN_ACTIVATIONS))),),
        "sum",
        template.norm,
        template.dropout,
    )
    after = list(arch.nodes[at:])
    mapping = {i: (i if i < at else i + 1) for i in range(len(arch.nodes))}
    mapping[at - 1] = at  # the node that read the old predecessor now reads the new node
    shifted = _renumber(after[:1], mapping)
    mapping[at - 1] = at - 1  # later skips from the old predecessor stay where they were
    shifted += _renumber(after[1:], mapping)
    return Architecture((*arch.nodes[:at], new, *shifted), arch.embedding_dim)


def remove_layer(arch: Architecture, rng: np.random.Generator) -> Architecture | None:
    if arch.depth <= 1:
        return None
    at = int(rng.integers(1, arch.depth + 1))
    removed = arch.nodes[at]
    mapping = {i: (i if i < at else i - 1) for i in range(len(arch.nodes))}
    mapping[at] = removed.edges[0].source  # readers of the removed node read its input
    later = _renumber(list(arch.nodes[at + 1 :]), mapping)
    return Architecture((*arch.nodes[:at], *later), arch.embedding_dim)


def change_width(arch: Architecture, rng: np.random.Generator) -> Architecture | None:
    at = int(rng.integers(1, arch.depth + 1))
    choices = [w for w in WIDTHS if w != arch.nodes[at].width]
    node = dataclasses.replace(arch.nodes[at], width=int(rng.choice(choices)))
    return Architecture((*arch.nodes[:at], node, *arch.nodes[at + 1 :]), arch.embedding_dim)


def change_activation(arch: Architecture, rng: np.random.Generator) -> Architecture | None:
    at = int(rng.integers(1, arch.depth + 1))
    node = arch.nodes[at]
    k = int(rng.integers(len(node.edges)))
    choices = [a for a in ACTIVATIONS if a != node.edges[k].activation]
    edge = dataclasses.replace(node.edges[k], activation=str(rng.choice(choices)))
    edges = (*node.edges[:k], edge, *node.edges[k + 1 :])
    node = dataclasses.replace(node, edges=edges)
    return Architecture((*arch.nodes[:at], node, *arch.nodes[at + 1 :]), arch.embedding_dim)


def add_skip(arch: Architecture, rng: np.random.Generator) -> Architecture | None:
    options = [
        (i, s)
        for i, node in enumerate(arch.nodes[1:], start=1)
        for s in range(i)
        if s not in {e.source for e in node.edges}
    ]
    if not options:
        return None
    at, source = options[int(rng.integers(len(options)))]
    node = arch.nodes[at]
    op = str(rng.choice(("identity", "linear")))
    activation = "none" if op == "identity" else str(rng.choice(HIDDEN_ACTIVATIONS))
    merge = node.merge if len(node.edges) > 1 else str(rng.choice(("sum", "concat")))
    node = dataclasses.replace(node, edges=(*node.edges, Edge(source, op, activation)), merge=merge)
    return Architecture((*arch.nodes[:at], node, *arch.nodes[at + 1 :]), arch.embedding_dim)


def drop_skip(arch: Architecture, rng: np.random.Generator) -> Architecture | None:
    options = [i for i, node in enumerate(arch.nodes[1:], start=1) if len(node.edges) > 1]
    if not options:
        return None
    at = options[int(rng.integers(len(options)))]
    node = arch.nodes[at]
    k = int(rng.integers(1, len(node.edges)))  # the first edge, the chain's, stays
    edges = node.edges[:k] + node.edges[k + 1 :]
    node = dataclasses.replace(node, edges=edges, merge=node.merge if len(edges) > 1 else "sum")
    return Architecture((*arch.nodes[:at], node, *arch.nodes[at + 1 :]), arch.embedding_dim)


MUTATIONS = (add_layer, remove_layer, change_width, change_activation, add_skip, drop_skip)


def mutate(candidate: Candidate, rng: np.random.Generator) -> Candidate:
    """One mutation of the architecture (tried in random order until one applies); one time
    in five, the training parameters are redrawn instead."""
    if rng.random() < 0.2:
        return dataclasses.replace(candidate, training=sample_training(rng))
    for k in rng.permutation(len(MUTATIONS)):
        child = MUTATIONS[k](candidate.architecture, rng)
        if child is not None:
            return dataclasses.replace(candidate, architecture=child)
    raise AssertionError("change_width always applies")  # pragma: no cover


# --- the ConfigSpace encoding BOHB searches (the same space, with MAX_DEPTH widths)


def configspace(seed: int) -> Any:
    from ConfigSpace import Categorical, ConfigurationSpace, Float, GreaterThanCondition, Integer

    space = ConfigurationSpace(seed=seed)
    depth = Integer("depth", (1, MAX_DEPTH), default=2)
    space.add(
        depth,
        Categorical("norm", NORMS, default="none"),
        Categorical("dropout", DROPOUTS, default=0.0),
        Categorical("skip", SKIPS, default="none"),
        Categorical("embedding_dim", EMBEDDING_DIMS, default=8),
        Float("learning_rate", LEARNING_RATE, default=1e-3, log=True),
        Float("weight_decay", WEIGHT_DECAY, default=1e-5, log=True),
        Categorical("batch_size", BATCH_SIZES, default=128),
    )
    for i in range(1, MAX_DEPTH + 1):
        width = Categorical(f"width_{i}", WIDTHS, default=64, ordered=True)
        activation = Categorical(f"activation_{i}", HIDDEN_ACTIVATIONS, default="relu")
        space.add(width, activation)
        if i > 1:
            space.add(
                GreaterThanCondition(width, depth, i - 1),
                GreaterThanCondition(activation, depth, i - 1),
            )
    return space


def from_config(config: dict[str, Any], max_epochs: int) -> Candidate:
    """The candidate a BOHB config stands for; epochs are BOHB's budget, not a parameter."""
    depth = int(config["depth"])
    arch = build_architecture(
        [int(config[f"width_{i}"]) for i in range(1, depth + 1)],
        [str(config[f"activation_{i}"]) for i in range(1, depth + 1)],
        str(config["norm"]),
        float(config["dropout"]),
        str(config["skip"]),
        int(config["embedding_dim"]),
    )
    training = TrainingParams(
        float(config["learning_rate"]),
        float(config["weight_decay"]),
        int(config["batch_size"]),
        max_epochs,
    )
    return Candidate(arch, training)
