"""The loss of one configuration at one budget (docs/architecture.md, contract 4).

Validation rule, fixed per dataset from its size and the seed:
- fewer than 1,000 rows: 5-fold cross-validation (stratified for classification), repeated
  CV_REPEATS times with fresh folds; each repeat's score is the metric on its pooled
  out-of-fold predictions (every row scored once), and the score is their mean;
- otherwise one holdout: 20 % of the rows (at most 10,000) are the validation rows.
Small data gets folds because one small holdout is too noisy to rank configs by, and repeats
because one set of folds is too: a long search on 700 rows found configs that fitted its
folds' noise and tested worse than a short search's (benchmarks/results/repeated_cv.md).
Larger data gets one split because five fits would cost five times the search time for
little gain. A trial's kept predictions (for the ensemble) are its repeats' mean per row.

A budget b is the fraction of a split's training rows that a trial fits on. The training rows
of each split are put in one seeded order and a trial takes the first ceil(b * n) of them, so
the rows at budget 1/9 contain those at 1/27 (nested). For classification the order
interleaves the classes in proportion (each row gets the key (rank within its class + u) /
class size with u uniform, the first row of each class goes first), so every prefix is
stratified and holds every class. Every budget is scored on the same validation rows.

Groups (`--group`): the rule is the same over whole groups, so no group has rows on both sides
of a split. Folds get the groups in a seeded order, largest first, each to the fold with the
fewest rows so far (at least CV_FOLDS groups are needed); the holdout takes groups in a seeded
order until it holds 20 % of the rows (at least 2 groups are needed, one on each side). The
training rows keep the nested, stratified order above.

Weights (`--weight`): every fit gets the rows' weights (the pipeline's learner step takes them
as `sample_weight`) and the metric weighs each validation row by its weight.
"""

from __future__ import annotations

import math
import time
import traceback
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from automl_cli.errors import DataError
from automl_cli.metrics import Metric
from automl_cli.model import predict_scores
from automl_cli.space import algorithm_of, build_pipeline, trial_parts

if TYPE_CHECKING:
    from automl_cli.data import Dataset

CV_BELOW_ROWS = 1_000
SOUNDNESS_ROWS = 10_000  # rows a refit is checked on (refit_is_sound)
CV_FOLDS = 5
CV_REPEATS = 3
HOLDOUT_FRACTION = 0.2
HOLDOUT_MAX_ROWS = 10_000
FULL_BUDGET = 1.0 - 1e-9  # a trial at this budget or more keeps its validation predictions


@dataclass(frozen=True)
class Split:
    """Training rows in nested-subsample order, and the validation rows."""

    train: np.ndarray
    valid: np.ndarray
    repeat: int = 0  # which repetition of the folds it belongs to

    def train_rows(self, budget: float) -> np.ndarray:
        n = max(1, min(len(self.train), math.ceil(budget * len(self.train) - 1e-9)))
        return self.train[:n]


@dataclass(frozen=True)
class TrialResult:
    """What one trial gave: its loss, score and cost, or why it failed."""

    job_id: int
    config: dict[str, Any] = field(hash=False)
    budget: float
    loss: float
    score: float
    status: str  # "ok" | "failed" | "timeout" | "memory" | "crashed" | "cancelled"
    fit_seconds: float = 0.0
    seconds: float = 0.0
    error: str | None = None
    # the validation predictions of a trial at the full budget, in `Evaluator.validation_rows`
    # order, for the ensemble (automl_cli/ensemble); never in the trial log's JSON lines
    predictions: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def algorithm(self) -> str:
        return algorithm_of(self.config)

    def to_dict(self) -> dict[str, Any]:
        record = dict(self.__dict__)
        del record["predictions"]
        record["algorithm"] = self.algorithm
        for key in ("loss", "score"):
            if not math.isfinite(record[key]):
                record[key] = None
        return record


def nested_order(y: np.ndarray, stratified: bool, rng: np.random.Generator) -> np.ndarray:
    """Positions 0..len(y)-1 in an order whose every prefix is a seeded (stratified) subsample."""
    n = len(y)
    if not stratified:
        return rng.permutation(n)
    keys = np.empty(n)
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        ranks = rng.permutation(len(members))
        keys[members] = (ranks + rng.random(len(members))) / len(members)
        keys[members[ranks == 0]] = -1.0  # every class is in every prefix
    return np.argsort(keys, kind="stable")


def make_splits(
    y: np.ndarray,
    task: str,
    seed: int,
    groups: np.ndarray | None = None,
    repeats: int = CV_REPEATS,
) -> list[Split]:
    """The validation rule of the module docstring, folds `repeats` times over where the data
    is small; `groups` (codes 0..g-1, one per row) keep each group's rows on one side of every
    split (grouped folds are not repeated: dealing whole groups largest first to balance the
    folds leaves few other ways to deal them)."""
    if groups is not None:
        return grouped_splits(y, task, seed, groups)
    rng = np.random.default_rng(seed)
    n = len(y)
    stratified = task != "regression"
    order = nested_order(y, stratified, rng)  # stratified fold assignment for free
    if n < CV_BELOW_ROWS:
        splits = []
        for repeat in range(repeats):
            if repeat:
                order = nested_order(y, stratified, rng)
            fold_of = np.empty(n, dtype=int)
            fold_of[order] = np.arange(n) % CV_FOLDS
            for k in range(CV_FOLDS):
                train = np.flatnonzero(fold_of != k)
                train = train[nested_order(y[train], stratified, rng)]
                splits.append(Split(train, np.flatnonzero(fold_of == k), repeat))
        return splits
    n_valid = min(HOLDOUT_MAX_ROWS, int(round(HOLDOUT_FRACTION * n)))
    is_valid = np.zeros(n, dtype=bool)
    is_valid[order[np.linspace(0, n - 1, n_valid).round().astype(int)]] = True
    train = np.flatnonzero(~is_valid)
    train = train[nested_order(y[train], stratified, rng)]
    return [Split(train, np.flatnonzero(is_valid))]


def grouped_splits(y: np.ndarray, task: str, seed: int, groups: np.ndarray) -> list[Split]:
    """The validation rule over whole groups (module docstring)."""
    rng = np.random.default_rng(seed)
    n = len(y)
    sizes = np.bincount(groups)
    n_groups = len(sizes)
    cross_validated = n < CV_BELOW_ROWS
    needed = CV_FOLDS if cross_validated else 2
    if n_groups < needed:
        rule = f"{CV_FOLDS}-fold cross-validation" if cross_validated else "a holdout"
        raise DataError(
            f"--group has {n_groups} group(s) but {rule} needs at least {needed}; "
            "choose a column with more groups, or drop --group"
        )
    shuffled = rng.permutation(n_groups)
    if cross_validated:
        fold_of_group = np.empty(n_groups, dtype=int)
        rows_in_fold = np.zeros(CV_FOLDS)
        for group in shuffled[np.argsort(-sizes[shuffled], kind="stable")]:
            fold = int(np.argmin(rows_in_fold))
            fold_of_group[group] = fold
            rows_in_fold[fold] += sizes[group]
        fold_of = fold_of_group[groups]
        is_valid = [fold_of == k for k in range(CV_FOLDS)]
    else:
        n_valid = min(HOLDOUT_MAX_ROWS, int(round(HOLDOUT_FRACTION * n)))
        reached = int(np.searchsorted(np.cumsum(sizes[shuffled]), n_valid)) + 1
        is_valid = [np.isin(groups, shuffled[: min(reached, n_groups - 1)])]
    stratified = task != "regression"
    splits = []
    for valid in is_valid:
        train = np.flatnonzero(~valid)
        splits.append(Split(train[nested_order(y[train], stratified, rng)], np.flatnonzero(valid)))
    return splits


class Evaluator:
    """Scores configs on one dataset; built once per worker, then called per trial."""

    def __init__(
        self,
        dataset: Dataset,
        metric: Metric,
        *,
        seed: int = 0,
        n_threads: int = 1,
        keep_predictions: bool = False,
    ):
        self.X = dataset.X
        self.y = dataset.y
        self.weights = dataset.weights  # None: every row weighs alike
        self.task = dataset.task
        self.n_classes = len(dataset.classes)
        self.categorical = list(dataset.schema.categorical)
        self.numeric = [c for c in dataset.schema.feature_names if c not in self.categorical]
        self.metric = metric
        self.seed = seed
        self.n_threads = n_threads
        self.keep_predictions = keep_predictions  # full-budget trials keep them (ensembles)
        self.splits = make_splits(self.y, self.task, seed, dataset.groups)

    @property
    def repeats(self) -> int:
        return self.splits[-1].repeat + 1

    @property
    def validation(self) -> str:
        """The validation rule in words, for reports."""
        folds = len(self.splits) // self.repeats
        if folds == 1:
            return f"holdout of {len(self.splits[0].valid)} rows"
        if self.repeats == 1:
            return f"{folds}-fold cross-validation"
        return f"{folds}-fold cross-validation, repeated {self.repeats} times"

    @property
    def validation_rows(self) -> np.ndarray:
        """Every validation row once, split after split of the first repeat: the order of a
        trial's kept predictions."""
        return np.concatenate([split.valid for split in self.splits if split.repeat == 0])

    @property
    def n_train(self) -> int:
        """Training rows of one split at budget 1."""
        return len(self.splits[0].train)

    def pipeline(self, config: dict[str, Any], n_threads: int | None = None) -> Any:
        return build_pipeline(
            config,
            task=self.task,
            numeric=self.numeric,
            categorical=self.categorical,
            n_threads=self.n_threads if n_threads is None else n_threads,
            seed=self.seed,
        )

    def evaluate(self, job_id: int, config: dict[str, Any], budget: float) -> TrialResult:
        """Fit on each split's budget rows; the score is the mean over repeats of the metric on
        a repeat's pooled validation predictions."""
        started = time.perf_counter()
        fit_seconds = 0.0
        valid = self.validation_rows
        try:
            shape = (len(self.y), self.n_classes) if self.n_classes else len(self.y)
            summed, scores = np.zeros(shape), []
            for repeat in range(self.repeats):
                predictions = np.zeros(shape)
                for split in (split for split in self.splits if split.repeat == repeat):
                    predictions[split.valid], seconds = self._fit_and_predict(
                        config, split.train_rows(budget), split.valid
                    )
                    fit_seconds += seconds
                if not np.all(np.isfinite(predictions[valid])):
                    raise ValueError("the model predicted NaN or infinite values")
                with warnings.catch_warnings():  # an overflow is refused below, not printed
                    warnings.simplefilter("ignore")
                    scores.append(
                        self.metric.score(self.y[valid], predictions[valid], self.weights_of(valid))
                    )
                summed += predictions
            score = float(np.mean(scores))
            loss = self.metric.loss(score)
            if not math.isfinite(loss):
                raise ValueError(f"the metric {self.metric.name} is not finite ({score})")
        except Exception as error:  # a failing trial is a result, never the end of the run
            return TrialResult(
                job_id,
                config,
                budget,
                math.inf,
                math.nan,
                "failed",
                fit_seconds / len(self.splits),
                time.perf_counter() - started,
                error=_describe(error),
            )
        return TrialResult(
            job_id,
            config,
            budget,
            loss,
            score,
            "ok",
            fit_seconds / len(self.splits),
            time.perf_counter() - started,
            predictions=self._kept(summed[valid] / self.repeats, budget),
        )

    def _fit_and_predict(
        self, config: dict[str, Any], rows: np.ndarray, valid: np.ndarray
    ) -> tuple[np.ndarray, float]:
        """The predictions for the `valid` rows of `config` fitted on `rows`, and the seconds
        the fitting took. A large forest is fitted in parts (`trial_parts`) on rows prepared
        once, each part predicting and freed before the next is fitted; the mean of the parts'
        predictions is the whole forest's."""
        model = self.pipeline(config)
        parts = trial_parts(config, len(rows), self.seed)
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if len(parts) == 1:
                self.fit_rows(model, rows)
                seconds = time.perf_counter() - started
                return predict_scores(model, self.X.iloc[valid], self.task, self.n_classes), seconds
            prepare, learner = model[:-1], model[-1]
            y, weights = self.y[rows], self.weights_of(rows)
            X_train = prepare.fit_transform(self.X.iloc[rows], y)
            seconds, summed = time.perf_counter() - started, 0.0
            X_valid = prepare.transform(self.X.iloc[valid])
            for part in parts:
                started = time.perf_counter()
                learner.set_params(**part)  # a refit drops the previous part's trees first
                learner.fit(X_train, y, sample_weight=weights)
                seconds += time.perf_counter() - started
                summed = summed + predict_scores(learner, X_valid, self.task, self.n_classes)
        return np.asarray(summed) / len(parts), seconds

    def _kept(self, predictions: np.ndarray, budget: float) -> np.ndarray | None:
        if self.keep_predictions and budget >= FULL_BUDGET:
            return predictions.astype(np.float32)
        return None

    def fit_final(
        self, config: dict[str, Any], n_threads: int | None = None, rows: float = 1.0
    ) -> Any:
        """The config refitted for the model file: on every row, or on a seeded (stratified)
        `rows` fraction of them where every row cannot be fitted in the time left."""
        model = self.pipeline(config, n_threads)
        kept = None  # every row
        if rows < 1.0:
            rng = np.random.default_rng(self.seed)
            order = nested_order(self.y, self.task != "regression", rng)
            kept = np.sort(order[: max(1, math.ceil(rows * len(self.y) - 1e-9))])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.fit_rows(model, kept)
        return model

    def weights_of(self, rows: np.ndarray | None = None) -> np.ndarray | None:
        """The weights of `rows` (None: every row), or None when rows are not weighted, or
        when all of `rows` weigh 0 (then they count alike rather than not at all)."""
        if self.weights is None:
            return None
        weights = np.asarray(self.weights if rows is None else self.weights[rows])
        return weights if weights.any() else None

    def fit_rows(self, model: Any, rows: np.ndarray | None) -> Any:
        """Fit a pipeline on `rows` (None: every row, without a copy), their weights routed to
        its learner step ("model")."""
        X, y = (self.X, self.y) if rows is None else (self.X.iloc[rows], self.y[rows])
        weights = self.weights_of(rows)
        if weights is None:
            return model.fit(X, y)
        return model.fit(X, y, model__sample_weight=weights)

    def refit_is_sound(self, model: Any, validation_loss: float) -> bool:
        """Whether a refitted model fits its own training rows about as well as it promised.

        A refit on every row can fail where the search's fits did not: boosting with a large
        learning rate may diverge (seen on a car-evaluation task: validation log loss 0.0003,
        the refit right on 43 % of its own training rows). A sound model scores its training
        rows at least about as well as it scored unseen ones. So the in-sample loss (on at most
        SOUNDNESS_ROWS rows) may exceed `validation_loss` by half the gap to the constant
        predictor's loss, and by at least a tenth of that loss, so a model that barely beats
        the constant is not refused for noise; beyond that, or on any error, it is refused.
        """
        rows = np.linspace(0, len(self.y) - 1, min(len(self.y), SOUNDNESS_ROWS)).astype(int)
        y = self.y[rows]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                predicted = predict_scores(model, self.X.iloc[rows], self.task, self.n_classes)
            if not np.all(np.isfinite(predicted)):
                return False
            if self.n_classes:
                counts = np.bincount(self.y, weights=self.weights, minlength=self.n_classes)
                shares = counts / counts.sum()
                constant = np.tile(shares, (len(y), 1))
            else:
                constant = np.full(len(y), float(np.average(self.y, weights=self.weights)))
            weights = self.weights_of(rows)
            in_sample = self.metric.loss(self.metric.score(y, predicted, weights))
            baseline = self.metric.loss(self.metric.score(y, constant, weights))
        except Exception:  # a model that cannot even score its own rows is not sound
            return False
        margin = max(0.5 * (baseline - validation_loss), 0.1 * abs(baseline))
        return bool(in_sample <= validation_loss + margin)

    def refit_estimate(self, result: TrialResult, rows: float = 1.0) -> float:
        """Seconds a refit on all rows (or a `rows` fraction) should take, from the trial's
        per-split fit time."""
        trained = max(1, len(self.splits[0].train_rows(result.budget)))
        return result.fit_seconds * rows * len(self.y) / trained


def _describe(error: BaseException) -> str:
    last = traceback.extract_tb(error.__traceback__)[-1:] if error.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(error).__name__}: {error}{where}"
