"""Build the knowledge base that ships with automl-cli, and its plain-text export.

    python -m automl_cli.meta.publish --manifest ../shared/datasets/manifest.csv \\
        --time-budget 120 --n-jobs 2

Runs `automl meta add --manifest` into `metabase/build.sqlite` (starting empty, never from the
shipped base; rerun the same command to resume after an interruption), then publishes:
`metabase/metabase.sqlite` (a compact copy), `metabase/tasks.csv` (one row per task with its
meta-features) and `metabase/evaluations.csv.gz` (one row per evaluation, config and library
versions as JSON; gzipped, as it runs to tens of thousands of rows), so the base can be read
with any CSV reader or `sqlite3`. The build file is deleted once published.
A maintainer's command, run from a checkout: the default `--folder` is the package's
`metabase` link, i.e. the repository's `metabase/` (in an installed copy, pass `--folder`).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import math
import sqlite3
import time
from pathlib import Path

from automl_cli.meta.build import add_manifest, read_manifest
from automl_cli.meta.features import META_FEATURES
from automl_cli.meta.locate import shipped_path
from automl_cli.meta.store import MetaBase


def publish(build: Path, folder: Path) -> Path:
    """Write the compact base and the CSV exports of `build` into `folder`."""
    target = folder / "metabase.sqlite"
    fresh = folder / ".metabase.sqlite.tmp"
    fresh.unlink(missing_ok=True)
    with MetaBase.open(build, readonly=True):  # refuses anything that is not a base
        pass
    connection = sqlite3.connect(build)
    try:
        connection.execute("VACUUM INTO ?", (str(fresh),))
    finally:
        connection.close()
    fresh.replace(target)
    with MetaBase.open(target, readonly=True) as base:
        tasks, evaluations = base.tasks(), base.evaluations()
    names = [f.name for f in META_FEATURES]
    with open(folder / "tasks.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "name",
                "task_type",
                "target",
                "n_rows",
                "n_features",
                "evaluations",
                "best_loss",
                "fingerprint",
                *names,
            ]
        )
        for r in tasks:
            t = r.task
            writer.writerow(
                [
                    t.name,
                    t.task_type,
                    t.target,
                    t.n_rows,
                    t.n_features,
                    r.n_evaluations,
                    _number(r.best_loss),
                    t.fingerprint,
                    *(_number(t.meta_features.get(n, math.nan)) for n in names),
                ]
            )
    exported = folder / "evaluations.csv.gz"
    with (
        gzip.GzipFile(exported, "wb", mtime=0) as packed,  # mtime 0: same base, same bytes
        io.TextIOWrapper(packed, encoding="utf-8", newline="") as handle,
    ):
        writer = csv.writer(handle)
        writer.writerow(
            [
                "task",
                "algorithm",
                "budget",
                "loss",
                "metric",
                "status",
                "runtime",
                "seed",
                "space_version",
                "library_versions",
                "config",
            ]
        )
        for r in evaluations:
            e = r.evaluation
            writer.writerow(
                [
                    r.task_name,
                    e.algorithm,
                    e.budget,
                    _number(e.loss),
                    e.metric,
                    e.status,
                    _number(e.runtime, 3),
                    e.seed,
                    e.space_version,
                    json.dumps(e.library_versions, sort_keys=True),
                    json.dumps(e.config, sort_keys=True),
                ]
            )
    return target


def _number(value: float, digits: int = 6) -> str:
    return "" if not math.isfinite(value) else f"{value:.{digits}g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--time-budget", type=float, default=30.0)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--folder",
        type=Path,
        default=shipped_path().parent,  # in a checkout: metabase/
    )
    args = parser.parse_args()
    build = args.folder / "build.sqlite"
    entries = read_manifest(args.manifest)
    started = time.monotonic()

    def step(phase: str, name: str, done: int, total: int) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {done}/{total} {phase} {name}", flush=True)

    add_manifest(
        build,
        entries,
        time_budget=args.time_budget,
        n_jobs=args.n_jobs,
        seed=args.seed,
        on_step=step,
    )
    print(f"published {publish(build, args.folder)}")
    build.unlink()  # done: the next run rebuilds from scratch


if __name__ == "__main__":
    main()
