"""`automl nas` (contract 10): the data read, typed and validated as `automl fit` does, one
search strategy, the best network retrained on every row, and the model file written.

Time: the search gets SEARCH_SHARE of the budget; the retrain on every row gets the rest (and
stops at the budget's end whatever epoch it reached).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from automl_cli.errors import UsageError

SEARCH_SHARE = 0.8
LEADERBOARD_SIZE = 10
DEVICES = ("cpu", "cuda", "auto")
INSTALL_HINT = 'automl nas needs PyTorch and safetensors: pip install "automl-cli[nas]"'


@dataclass(frozen=True)
class NasOptions:
    target: str
    strategy: str = "evolution"
    task: str = "auto"
    metric: str | None = None
    time_budget: float = 300.0
    max_trials: int | None = None
    n_jobs: int = 1
    seed: int = 0
    device: str = "auto"
    max_epochs: int | None = None
    out: Path | None = None

    def check(self) -> None:
        """Refuse bad options before any work (UsageError, exit 2)."""
        from automl_cli.nas.strategy import NAMES

        if self.strategy not in NAMES:
            raise UsageError(f"--strategy {self.strategy!r} is unknown; use one of {NAMES}")
        if not (self.time_budget > 0 and math.isfinite(self.time_budget)):
            raise UsageError("--time-budget must be a positive number of seconds")
        if self.max_trials is not None and self.max_trials < 1:
            raise UsageError("--max-trials must be at least 1")
        if self.max_epochs is not None and self.max_epochs < 1:
            raise UsageError("--max-epochs must be at least 1")
        if self.n_jobs < 1:
            raise UsageError("--n-jobs must be at least 1")
        if self.device not in DEVICES:
            raise UsageError(f"--device must be one of {', '.join(DEVICES)}")
        try:
            import safetensors  # noqa: F401
            import torch
        except ImportError:
            raise UsageError(INSTALL_HINT) from None
        if self.device == "cuda" and not torch.cuda.is_available():
            raise UsageError("--device cuda: no CUDA device is visible; use --device cpu")


@dataclass
class NasResult:
    out: Path | None
    manifest: dict[str, Any]
    model: Any
    trials: list = field(default_factory=list)


def run_nas(data: str | Path, options: NasOptions, on_notice=lambda message: None) -> NasResult:
    """Search, retrain and save (module docstring)."""
    started = time.monotonic()
    options.check()
    from automl_cli.outputs import check_output

    if options.out is not None:
        check_output(Path(options.out), "--out", [Path(data)])
    import torch

    from automl_cli.data import load_training_data
    from automl_cli.metrics import resolve_metric
    from automl_cli.model import Model
    from automl_cli.nas import training
    from automl_cli.nas.estimator import NetworkEstimator
    from automl_cli.nas.strategy import Limits, load_strategy

    dataset = load_training_data(data, options.target, options.task)
    metric = resolve_metric(options.metric, dataset.task)
    for notice in dataset.notices:
        on_notice(notice)
    device = training.resolve_device(options.device)
    # one core per candidate, like `automl fit`'s trials: tabular networks are small, and
    # threads that wait for a busy core cost more than they give (1.2 s per backward pass of
    # a tiny network with two threads on a loaded 2-core machine, against milliseconds)
    torch.set_num_threads(1)
    problem, encoding = prepare(dataset, metric, device, options.seed)
    deadline = started + options.time_budget
    limits = Limits(
        started + SEARCH_SHARE * options.time_budget,
        options.max_trials,
        options.n_jobs,
        options.max_epochs,
    )
    outcome = load_strategy(options.strategy)(problem, limits)
    best = outcome.best
    every_row = np.arange(len(dataset.y))
    epochs = max(1, best.epochs)
    network = training.fit(best.candidate, problem, every_row, epochs, options.seed, deadline)
    estimator = NetworkEstimator(
        network,
        best.candidate.architecture,
        best.candidate.training,
        encoding,
        dataset.task,
        problem.n_outputs,
        problem.y_scale,
        epochs,
    )
    manifest = _manifest(dataset, metric, options, outcome, problem, started, device)
    model = Model(estimator, dataset.schema, dataset.task, dataset.classes, manifest)
    if options.out is not None:
        model.save(options.out)
    return NasResult(options.out, model.manifest, model, outcome.trials)


def prepare(dataset, metric, device: str, seed: int):
    """The Problem of strategy.py for a typed dataset: tensors on `device`, `automl fit`'s
    splits; and the Encoding the model file keeps."""
    import torch

    from automl_cli.evaluate import make_splits
    from automl_cli.nas.encoding import Encoding
    from automl_cli.nas.strategy import Problem

    encoding = Encoding.fit(dataset.X, list(dataset.schema.categorical))
    numeric, codes = encoding.transform(dataset.X)
    if dataset.task == "regression":
        y_raw = np.asarray(dataset.y, dtype=np.float64)
        mean, std = float(y_raw.mean()), float(y_raw.std()) or 1.0
        y = torch.tensor((y_raw - mean) / std, dtype=torch.float32, device=device)
        y_scale, n_outputs = (mean, std), 1
    else:
        y_raw = np.asarray(dataset.y, dtype=np.int64)
        y = torch.tensor(y_raw, dtype=torch.int64, device=device)
        y_scale, n_outputs = (0.0, 1.0), len(dataset.classes)
    problem = Problem(
        numeric=torch.from_numpy(numeric).to(device),
        categorical=torch.from_numpy(codes).to(device),
        y=y,
        y_raw=y_raw,
        y_scale=y_scale,
        splits=make_splits(dataset.y, dataset.task, seed, repeats=1),  # a network is costly
        task=dataset.task,
        n_outputs=n_outputs,
        metric=metric,
        layout=encoding.layout,
        device=device,
        seed=seed,
    )
    return problem, encoding


def _trial_record(index: int, trial) -> dict[str, Any]:
    """A trial as a leaderboard row (the shape `automl fit`'s rows have)."""
    arch = trial.candidate.architecture
    config = {
        "algorithm": "network",
        "network:depth": arch.depth,
        "network:widths": "-".join(str(n.width) for n in arch.nodes[1:]),
        "network:learning_rate": trial.candidate.training.learning_rate,
        "network:batch_size": trial.candidate.training.batch_size,
    }
    return {
        "job_id": index,
        "algorithm": "network",
        "budget": trial.epochs,
        "score": trial.score if trial.ok else None,
        "loss": trial.loss if trial.ok else None,
        "fit_seconds": round(trial.seconds, 3),
        "config": config,
        "architecture": arch.to_dict(),
    }


def _manifest(dataset, metric, options, outcome, problem, started, device) -> dict[str, Any]:
    best = outcome.best
    ranked = sorted(
        (i for i, t in enumerate(outcome.trials) if t.ok), key=lambda i: outcome.trials[i].loss
    )
    splits = problem.splits
    validation = (
        f"{len(splits)}-fold cross-validation"
        if len(splits) > 1
        else f"holdout of {len(splits[0].valid)} rows"
    )
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "task": dataset.task,
        "metric": metric.name,
        "target": dataset.schema.target,
        "weight": None,
        "group": None,
        "schema": dataset.schema.to_dict(),
        "classes": list(dataset.classes),
        "training_rows": len(dataset.y),
        "refit_rows": 1.0,
        "algorithm": f"network ({options.strategy})",
        "architecture": best.candidate.architecture.to_dict(),
        "training": {**best.candidate.training.to_dict(), "epochs": max(1, best.epochs)},
        "validation_score": best.score,
        "validation_loss": best.loss,
        "validation": validation,
        "trial_count": len(outcome.trials),
        "failed_trials": sum(not t.ok for t in outcome.trials),
        "search": {
            "optimizer": f"nas {options.strategy}",
            "strategy": options.strategy,
            "seed": options.seed,
            "time_budget": options.time_budget,
            "max_trials": options.max_trials,
            "device": device,
            "n_jobs": options.n_jobs,
            "max_epochs": options.max_epochs,
            "seconds": round(time.monotonic() - started, 2),
        },
        "leaderboard": [_trial_record(i, outcome.trials[i]) for i in ranked[:LEADERBOARD_SIZE]],
        "notices": list(dataset.notices),
    }
