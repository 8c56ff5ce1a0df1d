"""How soon does `automl fit` have its first models? Seconds from launch to each finished trial.

Runs `automl fit --max-trials 3 --n-jobs 1` as a user does, with the shipped knowledge base
(warm) and with --no-warm-start (cold), one run at a time, and reads the trial log's
timestamps against the moment the process was launched. That start-up time counts against
every time budget, and most at the warm-start benchmark's 10 % point (6 s of 60 s). Pass
--code DIR (a checkout of an earlier commit) to time that code the same way, and
--side-by-side to run the warm and the cold fit at once, two processes on the two cores.

    python benchmarks/first_trial.py --repeats 5 --out benchmarks/results/first_trial.md
    python benchmarks/first_trial.py --repeats 5 --side-by-side \
        --out benchmarks/results/first_trial_side_by_side.md
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CASES = {"phoneme": "class", "vehicle": "Class", "eeg_eye_state": "Class"}
TRIALS = 3


def trial_times(
    code: Path, dataset: str, target: str, modes: tuple[bool, ...]
) -> dict[bool, list[float]]:
    """Per mode (warm: True), seconds from launch to the end of each of the first TRIALS
    trials. Several modes run at once, side by side, as benchmarks/warmstart.py runs them."""
    with tempfile.TemporaryDirectory() as folder:
        environment = {**os.environ, "PYTHONPATH": str(code)}
        launched = time.time()
        running = {}
        for warm in modes:
            model = Path(folder) / f"{warm}.automl"
            command = [
                sys.executable, "-m", "automl_cli", "fit", SHARED / "datasets" / f"{dataset}.csv",
                "--target", target, "--time-budget", "30", "--max-trials", str(TRIALS),
                "--n-jobs", "1", "--quiet", "--out", model,
                *([] if warm else ["--no-warm-start"]),
            ]  # fmt: skip
            running[warm] = subprocess.Popen(
                command, env=environment, cwd=folder, stdout=subprocess.DEVNULL
            )
        times = {}
        for warm, process in running.items():
            if process.wait() != 0:
                raise RuntimeError(f"automl fit failed on {dataset} (warm={warm})")
            log = (Path(folder) / f"{warm}.automl.trials.jsonl").read_text().splitlines()
            times[warm] = sorted(json.loads(line)["time"] - launched for line in log)
        return times


def label(code: Path) -> str:
    """The commit a checkout is at (its short hash), or its folder's name outside git."""
    found = subprocess.run(
        ["git", "-C", str(code), "log", "-1", "--format=%h"], capture_output=True, text=True
    )
    return found.stdout.strip() or code.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--code", type=Path, action="append", default=[])
    parser.add_argument(
        "--side-by-side", action="store_true", help="run the warm and the cold fit at once"
    )
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    together = ((True, False),) if args.side_by_side else ((True,), (False,))
    codes = [*args.code, ROOT]
    times: dict[tuple[Path, str, bool], list[list[float]]] = {}
    for _ in range(args.repeats):  # interleaved, so that a change of machine load hits all alike
        for code in codes:
            for dataset, target in CASES.items():
                for modes in together:
                    for warm, run in trial_times(code, dataset, target, modes).items():
                        times.setdefault((code, dataset, warm), []).append(run)
    lines = [
        "# Seconds from launching `automl fit` to its first finished trials",
        "",
        f"Command: `python benchmarks/first_trial.py --repeats {args.repeats}"
        + "".join(" --code CHECKOUT" for _ in args.code)
        + (" --side-by-side" if args.side_by_side else "")
        + f"`. Medians of {args.repeats} runs each, `--n-jobs 1`, "
        + ("the warm and the cold fit at once" if args.side_by_side else "one at a time")
        + "; each cell gives the 1st / 2nd / 3rd trial.",
        "",
        "| code | dataset | warm | cold |",
        "|---|---|---|---|",
    ]
    for code in codes:
        for dataset in CASES:
            cells = []
            for warm in (True, False):
                runs = times[(code, dataset, warm)]
                medians = [statistics.median(run[i] for run in runs) for i in range(TRIALS)]
                cells.append(" / ".join(f"{m:.2f}" for m in medians))
            lines.append(f"| {label(code)} | {dataset} | {cells[0]} | {cells[1]} |")
    report = "\n".join(lines) + "\n"
    print(report)
    if args.out:
        args.out.write_text(report)


if __name__ == "__main__":
    main()
