"""How long a model file takes to write and to read at zlib levels 1 and 6, and its size.

Takes a model file written by `automl fit`, and writes its model part again at each level as
`bundle.save` does (one deflated zip entry), then reads it back as loading does (inflating
the entry); medians of `--repeats` runs. Large ensembles (deep forests on tens of thousands
of rows) are where the level matters: their file is written after the refit, inside the
time budget.

    python benchmarks/model_write.py --model MODEL.automl --out benchmarks/results/model_write.md
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import zipfile
from pathlib import Path

LEVELS = (1, 6)


def timed(action, repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with zipfile.ZipFile(args.model) as archive:
        payload = archive.read("model.skops")
    lines = [
        f"Model part: {len(payload) / 2**20:.0f} MB uncompressed; medians of {args.repeats} runs.",
        "",
        "| zlib level | file MB | write s | read s |",
        "|---:|---:|---:|---:|",
    ]
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "model.automl"
        for level in LEVELS:

            def write(level: int = level) -> None:
                with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
                    z.writestr("model.skops", payload)

            def read() -> None:
                with zipfile.ZipFile(target) as z:
                    z.read("model.skops")

            write_seconds = timed(write, args.repeats)
            read_seconds = timed(read, args.repeats)
            size = target.stat().st_size / 2**20
            lines.append(f"| {level} | {size:.0f} | {write_seconds:.2f} | {read_seconds:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
