"""Training and scoring one candidate: the performance estimation every strategy shares.

Epochs are the fidelity: a candidate is scored after `epochs` epochs at most (a low-fidelity
trial trains fewer). Across epochs the validation loss is watched on the first split: training
stops when it has not improved for PATIENCE epochs, or when the learning curve extrapolated to
the last epoch (optimize/early_stopping.py's bounded forecast) gives it little chance to beat
the best trial so far. The epoch of the lowest validation loss is the candidate's epochs,
and the other splits of a cross-validation train for that many.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import torch

from automl_cli.nas.architecture import Candidate
from automl_cli.nas.network import Network
from automl_cli.nas.strategy import Problem, Trial
from automl_cli.optimize.early_stopping import CurveStopper

PATIENCE = 5
MIN_EPOCHS_BEFORE_CURVE = 3
PREDICT_BATCH = 8192


def resolve_device(option: str) -> str:
    """cpu, cuda, or for auto whichever is present."""
    if option == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return option


def loss_function(problem: Problem) -> torch.nn.Module:
    if problem.task == "regression":
        return torch.nn.MSELoss()
    return torch.nn.CrossEntropyLoss()


def batches(rows: np.ndarray, batch_size: int, rng: np.random.Generator):
    """Shuffled batches of `rows`; a last batch of one row joins the one before (batch norm)."""
    order = rng.permutation(rows)
    starts = list(range(0, len(order), batch_size))
    if len(starts) > 1 and len(order) - starts[-1] < 2:
        starts.pop()
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(order)
        yield order[start:end]


def build(candidate: Candidate, problem: Problem, seed: int) -> Network:
    torch.manual_seed(seed)  # torch's own generator: weights drawn from the run's seed
    return Network(candidate.architecture, problem.layout, problem.n_outputs).to(problem.device)


def train_epoch(net, optimizer, problem: Problem, rows, batch_size, rng, criterion) -> None:
    net.train()
    for batch in batches(rows, batch_size, rng):
        index = torch.as_tensor(batch, device=problem.device)
        out = net(problem.numeric[index], problem.categorical[index])
        target = problem.y[index]
        loss = criterion(out.squeeze(1) if problem.task == "regression" else out, target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def scores(net: Network, problem: Problem, rows: np.ndarray) -> np.ndarray:
    """Class probabilities or target values (in the target's own scale) of `rows`."""
    net.eval()
    outputs = []
    with torch.no_grad():
        for start in range(0, len(rows), PREDICT_BATCH):
            index = torch.as_tensor(rows[start : start + PREDICT_BATCH], device=problem.device)
            outputs.append(net(problem.numeric[index], problem.categorical[index]))
    out = torch.cat(outputs)
    if problem.task == "regression":
        mean, std = problem.y_scale
        return out.squeeze(1).double().cpu().numpy() * std + mean
    return torch.softmax(out.double(), dim=1).cpu().numpy()


def validation_loss(problem: Problem, rows: np.ndarray, predicted: np.ndarray) -> float:
    if not np.all(np.isfinite(predicted)):
        return math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = problem.metric.loss(problem.metric.score(problem.y_raw[rows], predicted))
    return loss if math.isfinite(loss) else math.inf


def fit(
    candidate: Candidate,
    problem: Problem,
    rows: np.ndarray,
    epochs: int,
    seed: int,
    deadline: float = math.inf,
) -> Network:
    """A network trained on `rows` for `epochs` epochs (or until `deadline`): the final refit,
    and DARTS's retraining of its discretized cell."""
    net = build(candidate, problem, seed)
    params = candidate.training
    optimizer = torch.optim.AdamW(
        net.parameters(), lr=params.learning_rate, weight_decay=params.weight_decay
    )
    rng, criterion = np.random.default_rng(seed), loss_function(problem)
    for _ in range(epochs):
        if time.monotonic() > deadline:
            break
        train_epoch(net, optimizer, problem, rows, params.batch_size, rng, criterion)
    return net


def evaluate(
    candidate: Candidate,
    problem: Problem,
    epochs: int,
    deadline: float = math.inf,
    incumbent_loss: float | None = None,
) -> Trial:
    """Train on each split's training rows for at most `epochs` epochs, score the pooled
    validation rows at the best epoch (module docstring); a failure is an infinite loss."""
    started = time.monotonic()
    try:
        return _evaluate(candidate, problem, epochs, deadline, incumbent_loss, started)
    except (RuntimeError, ValueError, FloatingPointError):  # a diverging or too big network
        return Trial(candidate, math.nan, math.inf, 0, time.monotonic() - started)


def _evaluate(candidate, problem, epochs, deadline, incumbent_loss, started) -> Trial:
    params = candidate.training
    stopper = CurveStopper(max_budget=1.0)
    criterion = loss_function(problem)
    first, rest = problem.splits[0], problem.splits[1:]
    net = build(candidate, problem, problem.seed)
    optimizer = torch.optim.AdamW(
        net.parameters(), lr=params.learning_rate, weight_decay=params.weight_decay
    )
    rng = np.random.default_rng(problem.seed)
    curve: list[float] = []
    best_loss, best_epoch, best_predictions, stopped = math.inf, 0, None, False
    for epoch in range(1, epochs + 1):
        if time.monotonic() > deadline:
            stopped = True
            break
        train_epoch(net, optimizer, problem, first.train, params.batch_size, rng, criterion)
        predicted = scores(net, problem, first.valid)
        loss = validation_loss(problem, first.valid, predicted)
        curve.append(loss)
        if loss < best_loss:
            best_loss, best_epoch, best_predictions = loss, epoch, predicted
        if epoch - best_epoch >= PATIENCE:
            stopped = epoch < epochs
            break
        points = [(e / params.max_epochs, v) for e, v in enumerate(curve, start=1)]
        if epoch >= MIN_EPOCHS_BEFORE_CURVE and stopper.should_stop(points, incumbent_loss):
            stopped = epoch < epochs
            break
    if best_predictions is None:
        return Trial(candidate, math.nan, math.inf, 0, time.monotonic() - started, True)
    pooled_rows, pooled = [first.valid], [best_predictions]
    for split in rest:
        net = fit(candidate, problem, split.train, best_epoch, problem.seed, deadline)
        pooled_rows.append(split.valid)
        pooled.append(scores(net, problem, split.valid))
    rows = np.concatenate(pooled_rows)
    loss = validation_loss(problem, rows, np.concatenate(pooled))
    score = problem.metric.score_of_loss(loss) if math.isfinite(loss) else math.nan
    seconds = time.monotonic() - started
    return Trial(candidate, score, loss, best_epoch, seconds, stopped, tuple(curve))
