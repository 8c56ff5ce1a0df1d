"""The `automl` command: parse options, call `api`, render with rich. Nothing else lives here.

Exit codes (docs/architecture.md, contract 1): 0 success; 2 bad usage or bad input, as one line on
stderr; 1 an internal error; 130 interrupted (Ctrl-C); 143 stopped by SIGTERM.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from automl_cli import interrupts
from automl_cli.choices import DEFAULT_METRIC, OPTIMIZERS, TASK_OPTIONS
from automl_cli.cli_meta import DATA_HELP, JsonOption, meta_app
from automl_cli.cli_nas import nas
from automl_cli.errors import AutoMLError, Interrupted
from automl_cli.search.options import DEFAULT_ENSEMBLE_SIZE

_STARTED = time.monotonic()

app = typer.Typer(
    no_args_is_help=True,
    rich_markup_mode=None,
    help="AutoML for tabular data: `automl fit data.csv --target y` turns a CSV into a model.",
)
app.add_typer(meta_app, name="meta")
app.command()(nas)
stdout = Console()
stderr = Console(stderr=True)

Task = Literal[TASK_OPTIONS]  # the names live in choices.py
OptimizerName = Literal[OPTIMIZERS]
DEFAULT_METRICS = ", ".join(f"{metric} ({task})" for task, metric in DEFAULT_METRIC.items())


@app.command()
def fit(
    data: Annotated[Path, typer.Argument(help=f"Training data: {DATA_HELP}.")],
    target: Annotated[str, typer.Option("--target", help="Column to predict.")],
    task: Annotated[Task, typer.Option(help="Task type; auto detects it from the target.")] = (
        "auto"
    ),
    metric: Annotated[
        str | None,
        typer.Option(
            help="roc_auc, log_loss, accuracy, balanced_accuracy, f1, rmse, mae or r2; default: "
            f"{DEFAULT_METRICS}."
        ),
    ] = None,
    time_budget: Annotated[
        float, typer.Option(help="Seconds for the whole run, refit included.")
    ] = 300.0,
    max_trials: Annotated[int | None, typer.Option(help="Stop after this many trials.")] = None,
    optimizer: Annotated[OptimizerName, typer.Option(help="Search strategy.")] = "bohb",
    n_jobs: Annotated[
        int | None, typer.Option(help="Trials run at once, one core each (default: all cores).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    eta: Annotated[int, typer.Option(help="Keep the best 1/eta at each rung.")] = 3,
    min_budget: Annotated[
        float | None,
        typer.Option(
            help="Smallest fraction of training rows a trial fits on (default: automatic)."
        ),
    ] = None,
    trial_time_limit: Annotated[
        float | None,
        typer.Option(help="Seconds after which one trial is stopped (default: max(10, budget/4))."),
    ] = None,
    trial_memory_limit: Annotated[
        float | None,
        typer.Option(help="MB of memory after which one trial is stopped (default: no limit)."),
    ] = None,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Run trials on the Dask cluster at this scheduler address (tcp://HOST:PORT)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the model file.")] = Path(
        "model.automl"
    ),
    metabase: Annotated[
        Path | None,
        typer.Option(
            help="Knowledge base to warm-start from (default: $AUTOML_METABASE, else the user "
            "data folder, else the shipped base)."
        ),
    ] = None,
    no_warm_start: Annotated[
        bool, typer.Option("--no-warm-start", help="Start from the space's default configs only.")
    ] = False,
    early_stopping: Annotated[
        bool,
        typer.Option(
            help="Do not promote configs whose learning curve gives them under a 5 % chance of "
            "beating the best at the full budget (hyperband, bohb and asha only)."
        ),
    ] = False,
    ensemble_size: Annotated[
        int,
        typer.Option(
            help="Rounds of ensemble selection over the search's models; 0 ships the best "
            "single model."
        ),
    ] = DEFAULT_ENSEMBLE_SIZE,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the run logged beside --out (same data and options); its trials are "
            "not run again, and --time-budget and --max-trials bound the new work.",
        ),
    ] = False,
    weight: Annotated[
        str | None,
        typer.Option(
            help="Column of sample weights (numbers >= 0) for every fit and the validation "
            "metric; not a feature, not needed at predict."
        ),
    ] = None,
    group: Annotated[
        str | None,
        typer.Option(
            help="Column of groups whose rows validation never splits between fit and "
            "validation rows; not a feature, not needed at predict."
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Search for the best pipeline for DATA and write it to --out."""
    from automl_cli.outputs import check_fit_outputs

    trial_log = out.with_name(out.name + ".trials.jsonl")
    check_fit_outputs(data, out, trial_log, metabase)  # before any work, even the imports
    from automl_cli import api

    options = api.FitOptions(
        target=target,
        task=task,
        metric=metric,
        time_budget=time_budget,
        max_trials=max_trials,
        optimizer=optimizer,
        seed=seed,
        n_jobs=n_jobs,
        eta=eta,
        min_budget=min_budget,
        trial_time_limit=trial_time_limit,
        trial_memory_limit=trial_memory_limit,
        cluster=cluster,
        out=out,
        trial_log=trial_log,
        metabase=metabase,
        warm_start=not no_warm_start,
        early_stopping=early_stopping,
        ensemble_size=ensemble_size,
        resume=resume,
        weight=weight,
        group=group,
    )
    options.check()  # a bad option costs no worker start
    from automl_cli import json_output

    document_out = json_output.reserve_stdout() if as_json else None
    notices: list[str] = []

    def notice(message: str) -> None:
        notices.append(message)
        if not quiet:
            stderr.print(f"note: {message}")

    from automl_cli.report import LiveProgress, leaderboard

    with LiveProgress(metric, quiet) as progress:
        result = api.fit(
            data,
            options,
            started=_STARTED,
            on_event=progress.update,
            on_notice=notice,
        )
    manifest = result.manifest
    if document_out is not None:
        summary = json_output.fit_summary(result.out, trial_log, manifest, notices)
        json_output.emit(summary, document_out)
        return
    if not quiet:
        stdout.print(leaderboard(manifest["leaderboard"], manifest["metric"]))
    shipped, score = manifest["algorithm"], manifest["validation_score"]
    members = manifest.get("ensemble", {}).get("members")
    if members:
        shipped = f"{manifest['ensemble']['kind']} of {len(members)}"
        score = manifest["ensemble"]["validation_score"]
    stdout.print(
        f"model written to {result.out} ({shipped}, validation "
        f"{manifest['metric']} {score:.4f}, {manifest['trial_count']} trials)"
    )


@app.command()
def predict(
    model: Annotated[Path, typer.Argument(help="Model file written by `automl fit`.")],
    data: Annotated[Path, typer.Argument(help=f"Rows with the model's features: {DATA_HELP}.")],
    out: Annotated[
        Path | None, typer.Option(help="Predictions CSV to write (default: print to stdout).")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Refuse (exit 2) values that cannot be read as the trained type, such as "
            "words in a numeric column, instead of reading them as missing with a note.",
        ),
    ] = False,
) -> None:
    """Predict every row of DATA with MODEL."""
    from automl_cli import quick_start

    quick_start.prepare()  # before pandas and scikit-learn are imported
    from automl_cli import api
    from automl_cli.outputs import check_output

    if out is not None:
        check_output(out, "--out", inputs=[model, data])
    predictions, notes = api.predict(model, data, strict=strict)
    for note in notes:
        stderr.print(f"note: {note}")
    if out is None:
        predictions.to_csv(sys.stdout, index=False)
    else:
        api.write_predictions(predictions, out)
        stderr.print(f"{len(predictions)} predictions written to {out}")


@app.command()
def info(
    model: Annotated[Path, typer.Argument(help="Model file written by `automl fit`.")],
    as_json: JsonOption = False,
) -> None:
    """Show a model file's manifest and leaderboard."""
    from automl_cli import bundle
    from automl_cli.meta.warmstart import describe_neighbours
    from automl_cli.report import ensemble_table, leaderboard, manifest_table, top_features

    manifest = bundle.read_manifest(model)
    if as_json:
        from automl_cli import json_output

        json_output.emit(manifest)
        return
    stdout.print(manifest_table(manifest))
    warm = manifest.get("warm_start", {})
    if warm.get("enabled"):
        names = describe_neighbours([(n["task"], n["distance"]) for n in warm["neighbours"]])
        stdout.print(f"warm start: {warm['configs']} configs; neighbour tasks: {names or 'none'}")
    if manifest.get("architecture"):
        from automl_cli.nas.architecture import Architecture

        described = Architecture.from_dict(manifest["architecture"]).describe()
        stdout.print("architecture:\n" + described, highlight=False)
    stdout.print(leaderboard(manifest["leaderboard"], manifest["metric"]))
    if manifest.get("ensemble", {}).get("members"):
        stdout.print(ensemble_table(manifest))
    top = top_features(manifest)
    if top:
        stdout.print(f"top features (permutation importance): {', '.join(top)}")


@app.command()
def report(
    model: Annotated[Path, typer.Argument(help="Model file written by `automl fit`.")],
    out: Annotated[
        Path | None,
        typer.Option(help="HTML file to write (default: MODEL's name with .report.html)."),
    ] = None,
) -> None:
    """Write one self-contained HTML page about MODEL and the search that made it."""
    from automl_cli.html_report import default_report_path, report_inputs, write_report
    from automl_cli.outputs import check_output

    out = default_report_path(model) if out is None else out
    check_output(out, "--out", inputs=report_inputs(model))
    sources = write_report(model, out)
    stderr.print(f"report written to {out} ({sources.log_note})")


def main(argv: list[str] | None = None) -> None:
    """Run the CLI with the exit codes of contract 1."""
    command = typer.main.get_command(app)
    try:
        code = command.main(argv, prog_name="automl", standalone_mode=False)
    except AutoMLError as error:
        _fail(str(error), 2)
    except Interrupted as stop:
        written = f"best model so far written to {stop.out}" if stop.out else "no new model written"
        _fail(f"{interrupts.describe(stop.signum)}; {written}", interrupts.exit_code(stop.signum))
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except (typer.Exit, typer.Abort) as stop:
        code = getattr(stop, "exit_code", 1)
    except Exception as error:
        if hasattr(error, "format_message"):  # a usage error found by the option parser
            _fail(f"{error.format_message()} (see `automl --help`)", 2)
        if os.environ.get("AUTOML_DEBUG"):
            raise
        _fail(
            f"internal error: {type(error).__name__}: {error} (set AUTOML_DEBUG=1 for "
            "the traceback)",
            1,
        )
    _leave(code if isinstance(code, int) else 0)


def _fail(message: str, code: int) -> None:
    """Print the one-line error and leave at once."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)
    _leave(code)


def _leave(code: int) -> None:
    """Leave at once, with the interpreter's own shutdown skipped.

    Every file is whole or absent by now (atomic writes, context managers have closed). The
    shutdown, with scikit-learn and skops loaded, took 1.5 s on a busy 2-core machine, after
    the model was written (benchmarks/results/refit_wall.md); and a native thread pool
    still starting up (pyarrow's, or the forkserver's preloading) can abort it, which turned a
    clean exit 2 into a SIGABRT.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
