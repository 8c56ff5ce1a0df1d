"""`automl nas` (contract 10): parse options, call `nas.run`, render the result."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from automl_cli.choices import TASK_OPTIONS

Strategy = Literal["random", "evolution", "bohb", "darts"]
Device = Literal["cpu", "cuda", "auto"]
Task = Literal[TASK_OPTIONS]


def nas(
    data: Annotated[Path, typer.Argument(help="Training data: CSV, Parquet or Feather.")],
    target: Annotated[str, typer.Option("--target", help="Column to predict.")],
    strategy: Annotated[Strategy, typer.Option(help="Search strategy.")] = "evolution",
    task: Annotated[Task, typer.Option(help="Task type; auto detects it from the target.")] = (
        "auto"
    ),
    metric: Annotated[str | None, typer.Option(help="As for `automl fit`.")] = None,
    time_budget: Annotated[
        float, typer.Option(help="Seconds for the whole run, the final retrain included.")
    ] = 300.0,
    max_trials: Annotated[int | None, typer.Option(help="Stop after this many candidates.")] = None,
    n_jobs: Annotated[int, typer.Option(help="Candidates trained at once.")] = 1,
    max_epochs: Annotated[
        int | None,
        typer.Option(help="Most epochs any candidate trains for (default: searched, up to 50)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    device: Annotated[
        Device, typer.Option(help="Where networks train; auto takes a GPU when one is present.")
    ] = "auto",
    out: Annotated[Path, typer.Option(help="Where to write the model file.")] = Path(
        "model.automl"
    ),
    quiet: Annotated[bool, typer.Option("--quiet", help="No leaderboard.")] = False,
) -> None:
    """Search for the best neural network for DATA (PyTorch, the [nas] extra) and write it."""
    from automl_cli.nas.run import NasOptions, run_nas
    from automl_cli.report import leaderboard

    stdout, stderr = Console(), Console(stderr=True)
    options = NasOptions(
        target=target,
        strategy=strategy,
        task=task,
        metric=metric,
        time_budget=time_budget,
        max_trials=max_trials,
        n_jobs=n_jobs,
        seed=seed,
        device=device,
        max_epochs=max_epochs,
        out=out,
    )
    result = run_nas(
        data, options, on_notice=lambda m: None if quiet else stderr.print(f"note: {m}")
    )
    manifest = result.manifest
    if not quiet:
        stdout.print(leaderboard(manifest["leaderboard"], manifest["metric"]))
    stdout.print(
        f"model written to {result.out} ({manifest['algorithm']}, "
        f"{len(manifest['architecture']['nodes']) - 1} hidden nodes, validation "
        f"{manifest['metric']} {manifest['validation_score']:.4f}, "
        f"{manifest['trial_count']} trials)"
    )
