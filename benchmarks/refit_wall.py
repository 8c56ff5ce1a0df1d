"""Does `automl fit` end within its time budget, refit and writing included?

Runs `automl fit` on the shipped datasets (datasets/manifest.csv) as a user does, one run at a
time, and reports the wall time from launch to exit against --time-budget, and when the
refit was done (the manifest's search seconds, on the budget's clock, which starts once the
CLI is imported) and the model file written (from launch). The launch counts: the
interpreter's start-up is part of what a user waits for. The end is the process's exit, as a
shell sees it: output goes to files, since a pipe stays open until the forkserver, which
inherits it, has shut down too. Pass several --code DIRs (exports
of commits) to compare them case by case, in turns, so that a change in the machine's load
hits them alike.

    python benchmarks/refit_wall.py --budgets 20 40 --code OLD NEW \
        --out benchmarks/results/refit_wall.md
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_fit(code: Path, csv_path: Path, target: str, budget: float, n_jobs: int) -> dict:
    """Wall seconds of one `automl fit`, and what its manifest says about the search."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "model.automl"
        command = [sys.executable, "-m", "automl_cli", "fit", str(csv_path), "--target", target]
        command += ["--time-budget", str(budget), "--n-jobs", str(n_jobs), "--quiet"]
        command += ["--out", str(out)]
        errors = Path(folder) / "stderr.txt"
        launched, launched_at = time.monotonic(), time.time()
        with open(errors, "w") as stderr:  # a file, not a pipe, which the forkserver holds open
            returncode = subprocess.run(
                command,
                env={**os.environ, "PYTHONPATH": str(code)},
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            ).returncode
        wall = time.monotonic() - launched
        if returncode != 0:
            return {"wall": wall, "error": errors.read_text().strip()}
        written = out.stat().st_mtime - launched_at
        with zipfile.ZipFile(out) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".json"))
            manifest = json.loads(archive.read(name))
        return {
            "wall": wall,
            "written": written,
            "trials": manifest["trial_count"],
            "stopped_by": manifest["stopped_by"],
            "refitted_at": manifest["search"]["seconds"],
            "algorithm": manifest["algorithm"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budgets", type=float, nargs="+", default=[10.0, 20.0])
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--code", type=Path, nargs="+", default=[ROOT])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with open(ROOT / "datasets" / "manifest.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lines = [
        f"--n-jobs {args.n_jobs}; wall = launch to exit; over = wall - budget; refitted = "
        "seconds on the budget's clock when the refit was done; written = seconds from launch "
        "to the model file's last write",
        "",
        "| dataset | budget s | code | wall s | over s | refitted s | written s | trials "
        "| stopped by | model |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for budget in args.budgets:
        for row in rows:
            for code in args.code:
                data = ROOT / "datasets" / row["file"]
                run = one_fit(code, data, row["target"], budget, args.n_jobs)
                cells = [row["name"], f"{budget:g}", code.name, f"{run['wall']:.2f}"]
                cells.append(f"{run['wall'] - budget:+.2f}")
                if "error" in run:
                    cells += [run["error"], "", "", "", ""]
                else:
                    cells += [f"{run['refitted_at']:.2f}", f"{run['written']:.2f}"]
                    cells += [str(run["trials"]), run["stopped_by"]]
                    cells.append(run["algorithm"])
                lines.append("| " + " | ".join(cells) + " |")
                print(lines[-1], flush=True)
    if args.out is not None:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
