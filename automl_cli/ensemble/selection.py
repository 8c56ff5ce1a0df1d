"""Ensemble selection (Caruana et al. 2004): what ships after the search.

Greedy forward selection with replacement: start from the best few models (sorted
initialization, while each one still helps), then add, again and again, the model whose
addition gives the lowest loss on the task's metric; the ensemble is the mean of the picks, so
a model picked twice weighs twice. Of the nested ensembles along the way, the best is kept, so
it is the best single model alone where no mix beats it on the validation rows.

The ensemble ships whenever `--ensemble-size` > 0. Deciding on rows the selection did not see
(each candidate chosen on one half of the validation rows and scored on the other, both ways
round) between the best single model, the ensemble and stacking (a regularized logistic
regression on the best models' log probabilities) tested behind always shipping the ensemble
in each of four runs of the public suite (ten datasets x three seeds at 60 s; together 26
runs ahead, 35 behind, Wilcoxon p 0.03), and deciding between the single model and the
ensemble alone was behind in 10 of the 12 runs where it departed from the ensemble
(benchmarks/results/suite_always_ensemble.md). Those halves stay as a measure: the held-out
losses of the single model and of the ensemble are the manifest's record of what the ensemble
buys, and the baseline check compares the ensemble's held-out loss, not the optimistic loss of
the rows it was selected on.

With sample weights (`--weight`) every loss weighs each validation row by its weight, as the
search's metric does (automl_cli/metrics.py).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from automl_cli.evaluate import nested_order
from automl_cli.metrics import Metric

LIBRARY_SIZE = 15  # the best full-budget trials the selection chooses from
INIT_SIZE = 3  # sorted initialization: at most this many of the best models


def loss_of(
    metric: Metric, y: np.ndarray, predictions: np.ndarray, weights: np.ndarray | None = None
) -> float:
    """The metric's loss; the common metrics in plain NumPy, since selection scores thousands
    of mixes (scikit-learn's checks cost more than the sums: one choice over 15 models on
    10,000 rows took 3.5 s with them, 0.9 s without, for ROC AUC on a busy machine).
    `weights` weigh the rows (None, or all 0 as on a half of the rows that all weigh 0: alike)."""
    if weights is not None and not weights.any():
        weights = None
    fast = _FAST_LOSSES.get(metric.name)
    if fast is not None and (weights is None or metric.name != "roc_auc"):
        return fast(y, predictions, weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return metric.loss(metric.score(y, predictions, weights))


def _log_loss(y: np.ndarray, proba: np.ndarray, weights: np.ndarray | None) -> float:
    clipped = np.clip(proba, 1e-15, 1.0)
    picked = clipped[np.arange(len(y)), y] / clipped.sum(axis=1)
    return float(-np.average(np.log(picked), weights=weights))


def _binary_auc_loss(y: np.ndarray, proba: np.ndarray, weights: None) -> float:
    """1 - ROC AUC of unweighted rows (weighted ones take scikit-learn's path)."""
    if proba.shape[1] != 2:
        from sklearn.metrics import roc_auc_score

        auc = roc_auc_score(y, proba, multi_class="ovr", labels=np.arange(proba.shape[1]))
        return 1.0 - float(auc)
    from scipy.stats import rankdata

    positive = y == 1
    n_pos = int(positive.sum())
    ranks = rankdata(proba[:, 1])  # ties get their mean rank, as in ROC AUC
    auc = (ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * (len(y) - n_pos))
    return 1.0 - float(auc)


_FAST_LOSSES = {
    "log_loss": _log_loss,
    "roc_auc": _binary_auc_loss,
    "accuracy": lambda y, proba, w: 1.0 - float(np.average(proba.argmax(axis=1) == y, weights=w)),
    "rmse": lambda y, prediction, w: float(np.sqrt(np.average((y - prediction) ** 2, weights=w))),
    "mae": lambda y, prediction, w: float(np.average(np.abs(y - prediction), weights=w)),
}


def greedy_selection(
    library: np.ndarray,
    y: np.ndarray,
    metric: Metric,
    size: int,
    init: int = INIT_SIZE,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """How often each model of `library` (models x rows [x classes]) is picked, at most `size`
    picks in all: the counts of the best ensemble along the greedy path; `weights` weigh the
    rows."""
    n_models = len(library)
    singles = np.array([loss_of(metric, y, p, weights) for p in library])
    counts = np.zeros(n_models, dtype=int)
    total = np.zeros_like(library[0], dtype=float)
    best_counts, best_loss = counts.copy(), np.inf
    for model in np.argsort(singles, kind="stable")[: min(init, size)]:
        loss = loss_of(metric, y, (total + library[model]) / (counts.sum() + 1), weights)
        if counts.sum() and loss >= best_loss:
            break
        counts[model] += 1
        total += library[model]
        best_counts, best_loss = counts.copy(), loss
    while counts.sum() < size:
        picks = counts.sum() + 1
        losses = [loss_of(metric, y, (total + p) / picks, weights) for p in library]
        model = int(np.argmin(losses))  # a tie goes to the earlier, better-ranked model
        counts[model] += 1
        total += library[model]
        if losses[model] < best_loss:
            best_counts, best_loss = counts.copy(), losses[model]
    return best_counts


@dataclass
class Choice:
    """What ships, as weights over the library (one-hot for a single model), and its losses."""

    weights: np.ndarray
    loss: float  # on every validation row (the selection's own rows)
    held_out: dict[str, float] = field(default_factory=dict)  # mean loss on unseen halves

    @property
    def kind(self) -> str:
        """What ships: "ensemble", or "single" where the selection kept one model."""
        return "ensemble" if np.count_nonzero(self.weights) > 1 else "single"


def choose(
    library: np.ndarray,
    y: np.ndarray,
    metric: Metric,
    task: str,
    size: int,
    seed: int,
    weights: np.ndarray | None = None,
) -> Choice:
    """The ensemble selected on every validation row, with the held-out losses of the best
    single model and of the ensemble (module docstring); `library` is ranked, best first;
    `weights` weigh the rows."""

    def loss(y: np.ndarray, predictions: np.ndarray, rows: np.ndarray | None = None) -> float:
        part = weights if weights is None or rows is None else weights[rows]
        return loss_of(metric, y, predictions, part)

    order = nested_order(y, task != "regression", np.random.default_rng(seed))
    halves = (np.sort(order[0::2]), np.sort(order[1::2]))
    held_out = {"single": 0.0, "ensemble": 0.0}
    for fit_rows, score_rows in (halves, halves[::-1]):
        lib, y_fit = library[:, fit_rows], y[fit_rows]
        held, y_held = library[:, score_rows], y[score_rows]
        w_fit = None if weights is None else weights[fit_rows]
        singles = [loss(y_fit, p, fit_rows) for p in lib]
        held_out["single"] += loss(y_held, held[int(np.argmin(singles))], score_rows) / 2
        counts = greedy_selection(lib, y_fit, metric, size, weights=w_fit)
        mix = np.tensordot(counts / counts.sum(), held, axes=1)
        held_out["ensemble"] += loss(y_held, mix, score_rows) / 2
    counts = greedy_selection(library, y, metric, size, weights=weights)
    shares = counts / counts.sum()
    return Choice(shares, loss(y, np.tensordot(shares, library, 1)), held_out)
