"""`automl meta ...`: inspect and grow the knowledge base. Parsing and rendering only.

Reading commands (list, show, suggest) read the user's base when it exists, else the shipped
one; `add` and `remove` write the user's base, created as a copy of the shipped one first.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from automl_cli.errors import UsageError

if TYPE_CHECKING:
    from automl_cli.meta.build import AddSummary, ManifestEntry

meta_app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="The knowledge base of earlier tasks that warm-starts `automl fit`.",
)
stdout = Console()
stderr = Console(stderr=True)

MetabaseOption = Annotated[
    Path | None,
    typer.Option(
        "--metabase",
        help="Knowledge base file (default: $AUTOML_METABASE, else the user data "
        "folder; reading falls back to the shipped base).",
    ),
]
DATA_HELP = "CSV (delimiter sniffed; gzip, bzip2, xz or ZIP compressed or not), Parquet or Feather"
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout, and nothing else there.")
]


@meta_app.command()
def add(
    data: Annotated[
        Path | None,
        typer.Argument(help=f"Training data: {DATA_HELP}."),
    ] = None,
    target: Annotated[str | None, typer.Option(help="Column to predict.")] = None,
    name: Annotated[
        str | None, typer.Option(help="Task name (default: the file name without extension).")
    ] = None,
    manifest: Annotated[
        Path | None,
        typer.Option(
            help="CSV with columns name, file (relative to it) and target: add every dataset; "
            "rerun to resume."
        ),
    ] = None,
    time_budget: Annotated[
        float,
        typer.Option(
            help="Seconds per dataset: 2/3 search, 1/3 scoring other tasks' best configs."
        ),
    ] = 60.0,
    n_jobs: Annotated[int | None, typer.Option(help="Trials run at once.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    metabase: MetabaseOption = None,
) -> None:
    """Evaluate the search space on DATA and store every evaluation in the knowledge base."""
    from automl_cli.meta import build
    from automl_cli.meta.locate import open_for_writing
    from automl_cli.outputs import check_output

    if (data is None) == (manifest is None):
        raise UsageError("pass either DATA.csv --target COL or --manifest FILE, not both")
    if data is not None and target is None:
        raise UsageError("`automl meta add DATA.csv` needs --target COL")
    if manifest is not None and (target is not None or name is not None):
        raise UsageError("--target and --name are read from the manifest; drop them")
    if not (math.isfinite(time_budget) and time_budget > 0):
        raise UsageError(f"--time-budget must be a positive number of seconds, got {time_budget:g}")
    if metabase is not None:
        check_output(metabase, "--metabase", inputs=[data, manifest], creates_folder=True)
    entries = build.read_manifest(manifest) if manifest is not None else []
    if data is not None:  # unusable data is refused before the user's base is created
        from automl_cli.data import load_training_data

        load_training_data(data, target)
    with open_for_writing(metabase) as base:  # creates the user's base from the shipped one
        path = base.path
    if manifest is not None:
        summaries = _add_manifest(path, entries, time_budget, n_jobs, seed)
    else:
        summaries = [
            build.add_dataset(
                path, data, target, name=name, time_budget=time_budget, n_jobs=n_jobs, seed=seed
            )
        ]
    for s in summaries:
        stdout.print(
            f"{s.name}: {s.searched} search + {s.cross} cross evaluations stored "
            f"(best loss {s.best_loss:.4f}) in {path}"
        )


def _add_manifest(
    path: Path, entries: list[ManifestEntry], time_budget: float, n_jobs: int | None, seed: int
) -> list[AddSummary]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from automl_cli.meta import build

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=stderr, transient=True) as progress:
        bar = progress.add_task("starting", total=2 * len(entries))

        def step(phase: str, name: str, done: int, total: int) -> None:
            if phase.startswith("skipped"):  # the bar vanishes at the end; this line stays
                progress.console.print(f"{name}: {phase}")
            progress.update(bar, completed=done, description=f"{phase} {name}".strip())

        return build.add_manifest(
            path, entries, time_budget=time_budget, n_jobs=n_jobs, seed=seed, on_step=step
        )


@meta_app.command("list")
def list_tasks(metabase: MetabaseOption = None, as_json: JsonOption = False) -> None:
    """The stored tasks: size, evaluations and best score on all rows."""
    from rich.table import Table  # imported here: `automl predict` loads this module

    from automl_cli.meta.locate import open_for_reading

    with open_for_reading(metabase) as base:
        records = base.tasks()
        path = base.path
    if as_json:
        from automl_cli import json_output

        json_output.emit(json_output.task_list(path, records))
        return
    table = Table(title=f"Knowledge base {path}", title_justify="left")
    for column in ("name", "task", "rows", "features", "evaluations", "best score (all rows)"):
        table.add_column(column, justify="left" if column in ("name", "task") else "right")
    for r in records:
        table.add_row(
            r.task.name,
            r.task.task_type,
            str(r.task.n_rows),
            str(r.task.n_features),
            str(r.n_evaluations),
            _best_score(r.task.task_type, r.best_loss),
        )
    stdout.print(table)
    stdout.print(f"{len(records)} tasks")


@meta_app.command()
def show(
    name: Annotated[str, typer.Argument(help="Task name, as `automl meta list` shows it.")],
    top: Annotated[int, typer.Option(help="How many best configs to show.")] = 5,
    metabase: MetabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """A task's meta-features and its best configs."""
    from rich.table import Table  # imported here: `automl predict` loads this module

    from automl_cli.choices import DEFAULT_METRIC
    from automl_cli.meta.features import META_FEATURES
    from automl_cli.meta.locate import open_for_reading

    if top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    with open_for_reading(metabase) as base:
        record = base.task(name)
        metric = DEFAULT_METRIC[record.task.task_type]
        best = base.best_configs(name, top, metric=metric)
        path = base.path
    if as_json:
        from automl_cli import json_output

        json_output.emit(json_output.task_detail(record, metric, best, path))
        return
    task = record.task
    stdout.print(
        f"{task.name}: {task.task_type}, target {task.target}, {task.n_rows} rows, "
        f"{task.n_features} features, {record.n_evaluations} evaluations"
    )
    features = Table(title="Meta-features", title_justify="left")
    for column in ("name", "group", "value"):
        features.add_column(column, justify="right" if column == "value" else "left")
    for f in META_FEATURES:
        value = task.meta_features.get(f.name, math.nan)
        features.add_row(f.name, f.group, "-" if math.isnan(value) else f"{value:.4g}")
    stdout.print(features)
    configs = Table(title=f"Best configs ({metric} loss)", title_justify="left")
    for column in ("loss", "budget", "algorithm", "settings"):
        configs.add_column(column)
    for r in best:
        e = r.evaluation
        configs.add_row(f"{e.loss:.4f}", f"{e.budget:.3g}", e.algorithm, _settings(e.config))
    stdout.print(configs)


@meta_app.command()
def remove(
    name: Annotated[str, typer.Argument(help="Task name, as `automl meta list` shows it.")],
    metabase: MetabaseOption = None,
) -> None:
    """Delete a task and its evaluations from your knowledge base."""
    from automl_cli.meta.locate import open_for_reading, open_for_writing

    with open_for_reading(metabase) as base:  # an unknown name is refused before any copy
        base.task(name)
    with open_for_writing(metabase) as base:
        removed = base.remove_task(name)
        path = base.path
    stdout.print(f"removed {name} and its {removed} evaluations from {path}")


@meta_app.command()
def suggest(
    data: Annotated[Path, typer.Argument(help=f"Training data: {DATA_HELP}.")],
    target: Annotated[str, typer.Option("--target", help="Column to predict.")],
    seed: Annotated[int, typer.Option(help="Seed of the meta-feature subsamples.")] = 0,
    metabase: MetabaseOption = None,
) -> None:
    """Show, without fitting, the neighbour tasks and the configs a warm start tries first."""
    from rich.table import Table  # imported here: `automl predict` loads this module

    from automl_cli.data import load_training_data
    from automl_cli.meta.locate import open_for_reading
    from automl_cli.meta.warmstart import plan_warm_start
    from automl_cli.space import space_for

    with open_for_reading(metabase):  # fail early on an unreadable base (a fit would go on)
        pass
    dataset = load_training_data(data, target)
    space = space_for(dataset)
    plan = plan_warm_start(dataset, space, metabase, seed=seed)
    used = {name for name, _ in plan.neighbours}
    neighbours = Table(title=f"Nearest tasks in {plan.source}", title_justify="left")
    for column in ("task", "distance", "used"):
        neighbours.add_column(column)
    for name, distance in plan.nearest:
        neighbours.add_row(name, f"{distance:.3f}", "yes" if name in used else "no (too far)")
    stdout.print(neighbours)
    configs = Table(title="Configs tried first", title_justify="left")
    for column in ("#", "algorithm", "settings"):
        configs.add_column(column)
    for i, config in enumerate(plan.configs, 1):
        configs.add_row(str(i), config["algorithm"], _settings(config))
    stdout.print(configs)
    stdout.print(plan.notice())


def _best_score(task_type: str, loss: float) -> str:
    """The best loss as its metric's score; stored roc_auc losses are 1 - AUC.

    Spelled out rather than looked up in `metrics`, which would import scikit-learn.
    """
    from automl_cli.choices import DEFAULT_METRIC

    if not math.isfinite(loss):
        return "-"
    metric = DEFAULT_METRIC[task_type]
    return f"{1.0 - loss if metric == 'roc_auc' else loss:.4f} {metric}"


def _settings(config: dict) -> str:
    """A config in one line: the learner's own settings bare, preprocessing with its step."""
    prefix = f"{config.get('algorithm')}:"
    return ", ".join(
        f"{k.removeprefix(prefix)}={_short(v)}" for k, v in config.items() if k != "algorithm"
    )


def _short(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
