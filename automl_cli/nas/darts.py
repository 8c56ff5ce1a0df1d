"""DARTS (Liu et al. 2019) for tabular networks: differentiable search of one cell.

Every edge of a one-shot cell mixes the candidate operations (linear blocks with four
activations, identity, zero) through softmax-relaxed architecture weights (`darts_cell.py`).
Training alternates an architecture step on a batch of validation rows with a weight step on a
batch of training rows (first-order: the architecture gradient is taken at the current
weights, without DARTS's second-order unrolled step). Weight sharing in this one network is the
performance estimation: one training run scores every cell at once. The cell is then
discretized (per node, the `edges_per_node` strongest incoming edges, each with its strongest
non-zero operation) into the project's Architecture and retrained from scratch with the shared
trainer, whose score is the strategy's result.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from automl_cli.nas.architecture import INPUT, Architecture, Candidate, Edge, Node, TrainingParams
from automl_cli.nas.strategy import Limits, Outcome, Problem, best_of


@dataclass(frozen=True)
class DartsSettings:
    """The one-shot search: cell size, its training, and its share of the time budget."""

    n_nodes: int = 4
    width: int = 64
    edges_per_node: int = 2
    epochs: int = 30
    batch_size: int = 128
    weight_lr: float = 3e-3
    weight_decay: float = 1e-4
    arch_lr: float = 3e-3
    arch_weight_decay: float = 1e-3
    search_share: float = 0.5  # of the time left; the retraining of the cell gets the rest
    retraining: TrainingParams = field(default_factory=TrainingParams)  # of the discretized cell


@dataclass(frozen=True)
class OneShotResult:
    """The trained mixing weights (edges x operations) and what the search cost."""

    weights: np.ndarray
    candidates: tuple[tuple[str, str], ...]
    epochs: int
    seconds: float


def discretize(
    weights: np.ndarray,
    candidates: tuple[tuple[str, str], ...],
    n_nodes: int,
    width: int,
    edges_per_node: int,
    embedding_dim: int = 8,
) -> Architecture:
    """DARTS's genotype as an Architecture: per node the strongest incoming edges (an edge's
    strength is its best non-zero operation's weight), each keeping that operation."""
    from automl_cli.nas.darts_cell import edge_list

    usable = [k for k, (op, _) in enumerate(candidates) if op != "zero"]
    rows: dict[int, list[tuple[float, int, int]]] = {}
    for row, (target, source) in enumerate(edge_list(n_nodes)):
        best = max(usable, key=lambda k: weights[row, k])
        rows.setdefault(target, []).append((float(weights[row, best]), source, best))
    nodes = [INPUT]
    for target in range(1, n_nodes + 1):
        strongest = sorted(rows[target], key=lambda t: (-t[0], t[1]))[:edges_per_node]
        edges = tuple(
            Edge(source, *candidates[k]) for _, source, k in sorted(strongest, key=lambda t: t[1])
        )
        nodes.append(Node(width, edges, "sum"))
    return Architecture(tuple(nodes), embedding_dim)


def train_one_shot(
    problem: Problem,
    settings: DartsSettings,
    deadline: float,
    candidates: tuple[tuple[str, str], ...] | None = None,
) -> OneShotResult:
    """Alternate architecture steps (validation rows) and weight steps (training rows) of
    `problem.splits[0]` until `settings.epochs` or `deadline`."""
    import torch

    from automl_cli.nas import training
    from automl_cli.nas.darts_cell import CANDIDATES, OneShotNetwork

    candidates = candidates or CANDIDATES
    started = time.monotonic()
    torch.manual_seed(problem.seed)  # as the shared trainer: torch's generator from the seed
    rng = np.random.default_rng(problem.seed)
    network = OneShotNetwork(
        problem.layout,
        problem.n_outputs,
        settings.n_nodes,
        settings.width,
        candidates=candidates,
    ).to(problem.device)
    weight_opt = torch.optim.AdamW(
        network.weight_parameters(), lr=settings.weight_lr, weight_decay=settings.weight_decay
    )
    arch_opt = torch.optim.Adam(
        [network.alphas],
        lr=settings.arch_lr,
        betas=(0.5, 0.999),
        weight_decay=settings.arch_weight_decay,
    )
    criterion = training.loss_function(problem)
    split = problem.splits[0]
    train_rows, valid_rows = np.asarray(split.train), np.asarray(split.valid)
    batch_size = min(settings.batch_size, len(train_rows))

    def loss(rows: np.ndarray):
        index = torch.as_tensor(rows, device=problem.device)
        out = network(problem.numeric[index], problem.categorical[index])
        return criterion(out.squeeze(1) if problem.task == "regression" else out, problem.y[index])

    network.train()
    epochs = 0
    while epochs < settings.epochs and time.monotonic() < deadline:
        for train_batch in training.batches(train_rows, batch_size, rng):
            size = min(len(train_batch), len(valid_rows))
            arch_opt.zero_grad()
            loss(rng.choice(valid_rows, size=size, replace=False)).backward()
            arch_opt.step()
            weight_opt.zero_grad()
            loss(train_batch).backward()
            torch.nn.utils.clip_grad_norm_(network.weight_parameters(), 5.0)
            weight_opt.step()
        epochs += 1
    weights = network.mixing_weights().detach().cpu().numpy()
    return OneShotResult(weights, candidates, epochs, time.monotonic() - started)


def search(problem: Problem, limits: Limits) -> Outcome:
    """Strategy `darts`: the one-shot search, then the discretized cell retrained and scored
    by the shared trainer (one trial)."""
    return search_with(problem, limits, DartsSettings())


def search_with(problem: Problem, limits: Limits, settings: DartsSettings) -> Outcome:
    """`search` with other settings (tests and benchmarks)."""
    from automl_cli.nas import training

    started = time.monotonic()
    one_shot_deadline = started + settings.search_share * max(limits.time_left(), 0.0)
    settings = replace(settings, epochs=limits.epochs(settings.epochs))  # --max-epochs caps both
    result = train_one_shot(problem, settings, one_shot_deadline)
    architecture = discretize(
        result.weights, result.candidates, settings.n_nodes, settings.width, settings.edges_per_node
    )
    candidate = Candidate(architecture, settings.retraining)
    epochs = limits.epochs(settings.retraining.max_epochs)
    trial = training.evaluate(candidate, problem, epochs, limits.deadline)
    trial = replace(trial, seconds=time.monotonic() - started)  # the one-shot search included
    return Outcome(best_of([trial]), [trial])
