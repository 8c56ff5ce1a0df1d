"""Replay a decision rule on `shipping.py`'s printed lines: per dataset, the test score of the
candidate with the lowest held-out loss among KINDS (a tie to the first named), written in
`suite.py`'s format for `suite_summary.py`. It needs no fit: the printed lines hold every
candidate's test score and the held-out losses the fit decided on.

    python benchmarks/decision_replay.py --printed PRINTED_seedS.jsonl \
        --kinds single ensemble --out RULE_seedS.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--printed", type=Path, required=True)
    parser.add_argument("--kinds", nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = []
    for result in map(json.loads, args.printed.read_text().splitlines()):
        held_out = result["held_out_losses"]
        kinds = [k for k in args.kinds if k in held_out]
        pick = min(kinds, key=lambda k: (held_out[k], kinds.index(k)))
        line = {key: result[key] for key in ("dataset", "task", "lgbm_default")}
        lines.append(json.dumps(line | {"automl": result[pick], "algorithm": pick}))
    args.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
