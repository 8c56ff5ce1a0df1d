"""Does `automl fit` hand back a model on large data, and how much memory does it take?

Generates seeded synthetic binary-classification CSVs in a temporary folder (never kept in
the repository), runs the real `automl fit` as a subprocess, and samples its whole process
tree (the CLI, the forkserver, the trial workers; `process_tree.py`): the sum of resident
memory (RSS, what most benchmark harnesses report), of proportional memory (PSS, where a page
shared by n processes counts 1/n in each), and each process's share at the RSS peak. Then
`automl predict` on the 1M-row CSV, measured the same way.

Cases (the targets): 1M x 30 at --time-budget 120 (at least 30 trials, RSS peak under
2 GB); 200k x 500 at --time-budget 60 (a model within the budget, RSS peak under 4 GB);
predict on 1M rows (under 15 s).

    python benchmarks/scale.py --out benchmarks/results/scale.jsonl --label after
    python benchmarks/scale.py --code OLD_CHECKOUT --label before ...   # an earlier commit

--data-dir keeps the generated CSVs there between runs (they take a few minutes to write).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from process_tree import measure, report

ROOT = Path(__file__).resolve().parent.parent
CASES = {"1m_x_30": (1_000_000, 30, 120), "200k_x_500": (200_000, 500, 60)}


@dataclass
class Run:
    label: str
    case: str
    command: str
    exit_code: int
    wall_seconds: float
    peak_rss_mb: float
    peak_pss_mb: float
    trials: int | None = None
    model_written: bool | None = None
    load_average: float = 0.0
    at_peak: list = field(default_factory=list)  # (process, RSS MB, PSS MB) at the RSS peak


def write_csv(path: Path, rows: int, columns: int, seed: int) -> None:
    """Numeric features with 4 decimals and a binary target from a noisy linear rule."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    weights = rng.normal(size=columns)
    chunk = 50_000
    with pacsv.CSVWriter(path, _schema(columns)) as writer:
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            X = rng.normal(size=(n, columns)).astype(np.float32).round(4)
            y = (X @ weights + rng.normal(scale=2.0, size=n) > 0).astype(np.int64)
            arrays = [pa.array(X[:, j]) for j in range(columns)] + [pa.array(y)]
            writer.write_table(pa.Table.from_arrays(arrays, schema=_schema(columns)))


def _schema(columns: int):
    import pyarrow as pa

    fields = [pa.field(f"x{j}", pa.float32()) for j in range(columns)]
    return pa.schema(fields + [pa.field("y", pa.int64())])


def run_fit(label: str, case: str, data: Path, budget: int, environment, folder: Path) -> Run:
    model = folder / f"{case}.automl"
    model.unlink(missing_ok=True)
    command = [
        sys.executable, "-m", "automl_cli", "fit", str(data), "--target", "y",
        "--time-budget", str(budget), "--quiet", "--out", str(model),
    ]  # fmt: skip
    peak = measure(command, environment, folder)
    log = model.with_name(model.name + ".trials.jsonl")
    found = [path for path in (log, log.with_suffix(".failed.jsonl")) if path.exists()]
    return Run(
        label, case, _shown(command, folder, data.parent), peak.exit_code,
        round(peak.wall_seconds, 1), round(peak.peak_rss_mb), round(peak.peak_pss_mb),
        trials=len(found[0].read_text().splitlines()) if found else 0,
        model_written=model.exists(), load_average=os.getloadavg()[0], at_peak=peak.at_peak,
    )  # fmt: skip


def run_predict(label: str, data: Path, model: Path, environment, folder: Path) -> Run:
    out = folder / "predictions.csv"
    command = [sys.executable, "-m", "automl_cli", "predict", str(model), str(data), "--out",
               str(out)]  # fmt: skip
    peak = measure(command, environment, folder)
    return Run(
        label, "predict_1m", _shown(command, folder, data.parent), peak.exit_code,
        round(peak.wall_seconds, 1), round(peak.peak_rss_mb), round(peak.peak_pss_mb),
        load_average=os.getloadavg()[0], at_peak=peak.at_peak,
    )  # fmt: skip


def _shown(command: list[str], *folders: Path) -> str:
    """The command as a user would type it: `automl ...`, with the folders left out."""
    words = ["automl", *command[3:]]
    for folder in folders:
        words = [word.replace(str(folder) + "/", "") for word in words]
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--cases", nargs="+", default=[*CASES, "predict_1m"])
    parser.add_argument("--data-dir", type=Path, help="keep the generated CSVs here")
    parser.add_argument("--out", type=Path, help="append the runs as JSON lines here")
    args = parser.parse_args()
    environment = {**os.environ, "PYTHONPATH": str(args.code.resolve())}
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        data_dir = args.data_dir or folder
        data_dir.mkdir(parents=True, exist_ok=True)
        for case in args.cases:
            name = "1m_x_30" if case == "predict_1m" else case
            rows, columns, budget = CASES[name]
            data = data_dir / f"{name}.csv"
            if not data.exists():
                write_csv(data, rows, columns, seed=0)
            if case == "predict_1m":
                model = folder / "1m_x_30.automl"
                if not model.exists():
                    run_fit(args.label, name, data, CASES[name][2], environment, folder)
                run = run_predict(args.label, data, model, environment, folder)
            else:
                run = run_fit(args.label, case, data, budget, environment, folder)
            report(asdict(run), args.out)


if __name__ == "__main__":
    main()
