"""Does the warm start help? `automl fit` with and without it, leave-one-dataset-out.

For each dataset of ../shared/datasets: the shipped knowledge base minus that dataset's task
(copied, then the task removed), so the search never sees its own evaluations. The rows listed
in ../shared/benchmarks/test_rows_seed0.json are the test rows, every other row trains (as
benchmarks/suite.py does). `automl fit` runs as a whole process, with the base (warm) and with
--no-warm-start (cold), the two side by side on one core each (`--n-jobs 1`), so that machine
load hits both alike. From its trial log (one line, with a timestamp, per finished trial) the
incumbent at 10, 25, 50 and 100 % of the budget is found with the search's own rule (largest
budget first, then validation loss); that config is refitted on all training rows in this
process (an unsound refit gives way to the next, as in `automl fit`) and scored on the
test rows with the peers' metric (binary ROC AUC, multiclass log loss, regression RMSE).
Normalized score: 0 = the constant predictor, 1 = the best of every peer system and every run
here. Default: every dataset, 3 seeds, 60 s (about 45 minutes per seed on two cores); pass
--datasets / --seeds / --budget for a subset.

    python benchmarks/warmstart.py --budget 30 --seeds 0 1 \\
        --datasets credit_approval phoneme spambase kr_vs_kp vehicle segment car abalone \\
        concrete kin8nm --out benchmarks/results/warmstart.md

Runs are appended to <out>.jsonl as they finish; rerunning skips those already there.
Offline tables close the report, computed from the stored evaluations alone (no fitting,
seconds): the warm start's queue against the cold start's (by count and in time), the size of
the knowledge base, a queue that learns from the first trials, how well a config's cost on a
new task is foreseen, and ways to rank stored configs. `--offline` writes those tables alone,
for any knowledge base.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ConfigSpace import ConfigurationSpace

    from automl_cli.meta.warmstart import KnownTask

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SHIPPED = ROOT / "metabase" / "metabase.sqlite"
CHECKPOINTS = (0.10, 0.25, 0.50, 1.00)
HIGHER_IS_BETTER = {"binary": True, "multiclass": False, "regression": False}
TIE = 0.005  # normalized-score difference below which warm and cold tie
REFIT_CANDIDATES = 5  # as in `automl fit`: an unsound refit gives way to the next trial


def test_metric(task: str, y_true: pd.Series, scores: np.ndarray, classes: list) -> float:
    from sklearn.metrics import log_loss, roc_auc_score

    if task == "regression":
        return float(np.sqrt(np.mean((y_true.to_numpy(dtype=float) - scores) ** 2)))
    codes = pd.Categorical(y_true.astype(str), categories=[str(c) for c in classes]).codes
    proba = np.clip(scores, 1e-15, 1)
    proba /= proba.sum(axis=1, keepdims=True)
    if task == "binary":
        return float(roc_auc_score(codes, proba[:, 1]))
    return float(log_loss(codes, proba, labels=range(len(classes))))


def incumbents(log: Path, started: float, budget: float) -> list[list[dict]]:
    """At each checkpoint, the configs `automl fit` would refit, best first (empty: none yet)."""
    trials = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    out = []
    for share in CHECKPOINTS:
        done = [t for t in trials if t["status"] == "ok" and t["time"] - started <= share * budget]
        done.sort(key=lambda t: (-t["budget"], t["loss"], t["job_id"]))
        out.append(done[:REFIT_CANDIDATES])
    return out


def fit_command(folder: Path, target: str, task: str, budget: float, seed: int, warm: bool):
    """`automl fit` as a user runs it, on one core (its twin run has the other)."""
    name = "warm" if warm else "cold"
    mode = ["--metabase", folder / "loo.sqlite"] if warm else ["--no-warm-start"]
    return [
        sys.executable, "-m", "automl_cli", "fit", folder / "train.csv",
        "--target", target, "--task", task, "--time-budget", str(budget),
        "--n-jobs", "1", "--seed", str(seed), "--quiet",
        "--out", folder / f"{name}.automl", *mode,
    ]  # fmt: skip


def run_pair(
    name: str, row: pd.Series, test_rows: list[int], budget: float, seed: int, shipped: Path
) -> list[dict]:
    """The warm and the cold run of one dataset and seed, side by side, both scored."""
    from automl_cli.meta.store import MetaBase, copy_base

    data = pd.read_csv(SHARED / "datasets" / row["file"])
    target, task = row["target"], row["task"]
    is_test = np.zeros(len(data), dtype=bool)
    is_test[test_rows] = True
    train, test = data[~is_test], data[is_test]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        train.to_csv(folder / "train.csv", index=False)
        test.drop(columns=target).to_csv(folder / "test.csv", index=False)
        copy_base(shipped, folder / "loo.sqlite")
        with MetaBase.open(folder / "loo.sqlite") as opened:
            if name in {r.task.name for r in opened.tasks()}:
                opened.remove_task(name)
        runs = []
        for warm in (True, False):
            command = fit_command(folder, target, task, budget, seed, warm)
            process = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            runs.append((warm, time.time(), process))
        finished = []
        for warm, started, process in runs:
            stderr = process.communicate()[1]
            finished.append((warm, started, stderr, process.returncode, time.time()))
        return [score_run(folder, name, task, target, test, budget, seed, *r) for r in finished]


def score_run(folder, name, task, target, test, budget, seed, warm, started, stderr, code, ended):
    """Test scores of one run's incumbents at the checkpoints, from its trial log."""
    from automl_cli.bundle import read_manifest
    from automl_cli.data import load_training_data, read_csv
    from automl_cli.evaluate import Evaluator, predict_scores
    from automl_cli.metrics import resolve_metric

    model = folder / ("warm.automl" if warm else "cold.automl")
    log = model.with_name(model.name + ".trials.jsonl")
    if not log.exists() or not log.read_text().strip():
        return {"dataset": name, "seed": seed, "warm": warm, "error": stderr[-300:]}
    # a failed final refit (the fit's own business) leaves the trial log usable
    note = stderr.strip()[-200:] if code != 0 else ""
    dataset = load_training_data(folder / "train.csv", target, task)
    X_test = dataset.schema.features(read_csv(folder / "test.csv"))
    evaluator = Evaluator(dataset, resolve_metric(None, task), seed=seed)
    scored: dict[str, float] = {}
    scores = []
    for ranked in incumbents(log, started, budget):
        score = None
        for position, trial in enumerate(ranked):
            key = json.dumps(trial["config"], sort_keys=True)
            if key not in scored:
                fitted = evaluator.fit_final(trial["config"], n_threads=2)
                sound = evaluator.refit_is_sound(fitted, trial["loss"])
                predicted = predict_scores(fitted, X_test, task, len(dataset.classes))
                test_score = test_metric(task, test[target], predicted, list(dataset.classes))
                scored[key] = (sound, test_score)
            sound, score = scored[key]
            if sound or position == len(ranked) - 1:
                break
        scores.append(score)
    warm_entry = read_manifest(model).get("warm_start", {}) if model.exists() else {}
    first = min(json.loads(line)["time"] for line in log.read_text().splitlines() if line)
    return {
        "dataset": name,
        "task": task,
        "seed": seed,
        "warm": warm,
        "scores": scores,
        "fit_seconds": ended - started,
        "neighbours": warm_entry.get("neighbours", []),
        "warm_seconds": warm_entry.get("seconds"),
        "first_trial_seconds": first - started,
        "note": note,
    }


def constant_score(row: pd.Series, test_rows: list[int]) -> float:
    """The test score of predicting the training class shares (or mean): normalized 0."""
    data = pd.read_csv(SHARED / "datasets" / row["file"])
    target, task = row["target"], row["task"]
    is_test = np.zeros(len(data), dtype=bool)
    is_test[test_rows] = True
    train, test = data.loc[~is_test, target], data.loc[is_test, target]
    if task == "regression":
        return test_metric(task, test, np.full(len(test), train.mean()), [])
    classes = sorted(train.unique().tolist())
    shares = train.value_counts(normalize=True).reindex(classes).to_numpy()
    return test_metric(task, test, np.tile(shares, (len(test), 1)), classes)


def normalize(
    results: list[dict], peers: pd.DataFrame, constants: dict[str, float]
) -> pd.DataFrame:
    """One row per (dataset, seed, mode, checkpoint) with the normalized test score."""
    rows = []
    for r in results:
        if "error" in r:
            continue
        for share, score in zip(CHECKPOINTS, r["scores"], strict=True):
            rows.append(
                {
                    "dataset": r["dataset"],
                    "task": r["task"],
                    "seed": r["seed"],
                    "warm": r["warm"],
                    "run": r.get("run", "this"),
                    "share": share,
                    "score": score,
                }
            )
    frame = pd.DataFrame(rows)
    norms = []
    for _, row in frame.iterrows():
        mine = frame[frame.dataset == row.dataset].score.dropna()
        theirs = peers[peers.dataset == row.dataset]
        higher = HIGHER_IS_BETTER[row.task]
        pool = list(mine) + list(theirs[theirs.system != "constant"].score)
        best = max(pool) if higher else min(pool)
        base = constants[row.dataset]
        value = 0.0 if pd.isna(row.score) else (row.score - base) / (best - base)
        norms.append(max(value, 0.0) if np.isfinite(value) else np.nan)
    frame["norm"] = norms
    return frame


def shown(path: Path) -> str:
    """A path as the report prints it: relative to the repository when inside it."""
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def render(
    results: list[dict], peers: pd.DataFrame, constants: dict, args: argparse.Namespace
) -> str:
    from scipy.stats import wilcoxon

    from automl_cli.meta.warmstart import describe_neighbours

    frame = normalize(results, peers, constants)
    per = frame.groupby(["dataset", "warm", "share"]).norm.mean().unstack("warm")
    lines = [
        f"# Warm start vs cold start, leave-one-dataset-out, {args.budget:g} s, seeds "
        f"{' '.join(map(str, args.seeds))}",
        "",
        "Command: `python benchmarks/warmstart.py --budget "
        f"{args.budget:g} --seeds {' '.join(map(str, args.seeds))} --datasets "
        f"{' '.join(args.datasets)} --out {shown(args.out)}"
        + (f" --metabase {shown(args.metabase)}" if args.metabase != SHIPPED else "")
        + (f" --against {shown(args.against)}`" if args.against else "`"),
        "",
        "Normalized test score of the incumbent (0 = constant predictor, 1 = best of the peers "
        "and of every run here), mean over seeds; the incumbent at each point of the budget is "
        f"refitted on the training rows and scored on the test rows. Tie: |diff| < {TIE}.",
        "",
        "Wilcoxon: two-sided signed-rank test of the per-dataset differences (warm - cold).",
        "",
        "| point | warm mean | cold mean | warm wins | ties | warm losses | Wilcoxon p |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for share, warm, cold, wins, ties, losses in summary(frame):
        table = per.xs(share, level="share")
        diff = table[True] - table[False]
        p_value = wilcoxon(diff[diff != 0]).pvalue if (diff != 0).sum() > 1 else float("nan")
        lines.append(
            f"| {share:.0%} | {warm:.4f} | {cold:.4f} | {wins} | {ties} | {losses} | "
            f"{p_value:.3f} |"
        )
    lines += [
        "",
        "Per dataset (warm / cold normalized score at 10 %, 25 %, 50 %, 100 %):",
        "",
        "| dataset | 10 % | 25 % | 50 % | 100 % | neighbours (first run with a model file) |",
        "|---|---|---|---|---|---|",
    ]
    for name in dict.fromkeys(r["dataset"] for r in results):
        cells = []
        for share in CHECKPOINTS:
            w, c = per.loc[(name, share), True], per.loc[(name, share), False]
            cells.append(f"{w:.3f} / {c:.3f}")
        warm = [r for r in results if r["dataset"] == name and r["warm"] and r.get("warm_seconds")]
        near = describe_neighbours(
            [(n["task"], n["distance"]) for n in (warm[0]["neighbours"] if warm else [])]
        )
        near = near or ("none: portfolio" if warm else "not recorded (no model file)")
        lines.append(f"| {name} | {' | '.join(cells)} | {near} |")
    refit_failed = sum(bool(r.get("note")) for r in results if "error" not in r)
    lines += [
        "",
        f"{refit_failed} of {len(results)} runs ended without a model file (the final refit did "
        "not fit in the time left); their trial logs are scored all the same.",
    ]
    firsts = {
        warm: [r["first_trial_seconds"] for r in results if r["warm"] is warm and "scores" in r]
        for warm in (True, False)
    }
    if all(firsts.values()):
        lines += [
            "",
            "Seconds from launch to the first finished trial, median: warm "
            f"{np.median(firsts[True]):.2f} ({len(firsts[True])} runs), cold "
            f"{np.median(firsts[False]):.2f} ({len(firsts[False])} runs).",
        ]
    errors = [r for r in results if "error" in r]
    if errors:
        lines += ["", "Failed runs:", ""]
        lines += [
            f"- {r['dataset']} seed {r['seed']} warm={r['warm']}: {r['error']}" for r in errors
        ]
    return "\n".join(lines) + "\n"


def read_runs(raw: Path) -> list[dict]:
    """The finished runs recorded in a .jsonl, without the failed ones."""
    runs = [json.loads(line) for line in raw.read_text().splitlines() if line.strip()]
    return [r for r in runs if "error" not in r]


def summary(frame: pd.DataFrame) -> list[tuple[float, float, float, int, int, int]]:
    """Per checkpoint: the share, warm mean, cold mean, and warm wins / ties / losses."""
    per = frame.groupby(["dataset", "warm", "share"]).norm.mean().unstack("warm").dropna()
    rows = []
    for share in CHECKPOINTS:
        table = per.xs(share, level="share")
        diff = table[True] - table[False]
        wins, losses = int((diff > TIE).sum()), int((diff < -TIE).sum())
        rows.append(
            (
                share,
                table[True].mean(),
                table[False].mean(),
                wins,
                len(diff) - wins - losses,
                losses,
            )
        )
    return rows


def against(results: list[dict], earlier: Path, peers: pd.DataFrame, constants: dict) -> str:
    """This run beside an earlier one on the same datasets and seeds, on one normalization."""
    runs = {(r["dataset"], r["seed"]) for r in results}
    old = [r for r in read_runs(earlier) if (r["dataset"], r["seed"]) in runs]
    frame = normalize(results + [{**r, "run": "earlier"} for r in old], peers, constants)
    lines = [
        "",
        f"## Beside the earlier run {earlier.name}",
        "",
        "The same datasets and seeds from both runs, normalized together (a pair missing in "
        "either run is left out of that run's rows).",
        "",
        "| run | point | warm mean | cold mean | warm wins | ties | warm losses |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for run in ("earlier", "this"):
        for share, warm, cold, wins, ties, losses in summary(frame[frame.run == run]):
            lines.append(
                f"| {run} | {share:.0%} | {warm:.4f} | {cold:.4f} | {wins} | {ties} | {losses} |"
            )
    return "\n".join(lines) + "\n"


def config_features(configs: list[dict]) -> np.ndarray:
    """Configs of every learner as one numeric table: one column per hyperparameter, log10 for
    positive numbers, choices as codes, -9 where a hyperparameter is inactive."""
    names = sorted({k for c in configs for k in c})
    codes: dict[str, dict] = {n: {} for n in names}
    table = np.full((len(configs), len(names)), -9.0)
    for i, config in enumerate(configs):
        for j, name in enumerate(names):
            value = config.get(name)
            if isinstance(value, bool | str):
                table[i, j] = codes[name].setdefault(value, len(codes[name]))
            elif isinstance(value, int | float):
                table[i, j] = np.log10(value) if value > 0 else value
    return table


def offline_ranking(tasks: list[KnownTask], names: set[str], seed: int = 0) -> str:
    """Leave-one-task-out on the stored cross-evaluations: which ranking of other tasks' best
    configs finds a good config on each held-out task (named in `names`) first? No fitting,
    only stored losses."""
    from sklearn.ensemble import RandomForestRegressor

    from automl_cli.meta.similarity import similarity_vector
    from automl_cli.meta.warmstart import (
        CONFIGS_PER_NEIGHBOUR,
        family,
        greedy_portfolio,
        learner_key,
        nearest,
    )

    rng = np.random.default_rng(seed)
    found: dict[str, list[list[float]]] = {
        m: [] for m in ("random", "neighbours", "portfolio", "surrogate")
    }
    for held in (t for t in tasks if t.name in names):
        others = [
            o for o in tasks if o is not held and family(o.task_type) == family(held.task_type)
        ]
        norm = held.normalized()
        source = {}
        for task, distance in nearest(held.meta_features, others):
            for key in task.ranked()[:CONFIGS_PER_NEIGHBOUR]:
                source.setdefault(key, (distance, task.configs[key]))
        candidates = [k for k in source if k in norm]
        if len(candidates) < 4:
            continue
        orders = {"neighbours": sorted(candidates, key=lambda k: source[k][0])}
        picks = [learner_key(c) for c in greedy_portfolio(others, size=len(candidates))]
        orders["portfolio"] = [k for k in picks if k in norm] + [
            k for k in orders["neighbours"] if k not in picks
        ]
        rows, target, configs = [], [], []
        for task in others:
            meta = np.nan_to_num(similarity_vector(task.meta_features), nan=-9.0)
            for key, loss in task.normalized().items():
                rows.append(meta)
                configs.append(task.configs[key])
                target.append(loss)
        here = np.nan_to_num(similarity_vector(held.meta_features), nan=-9.0)
        table = config_features(configs + [source[k][1] for k in candidates])
        X = np.hstack([np.vstack(rows + [here] * len(candidates)), table])
        model = RandomForestRegressor(200, min_samples_leaf=3, random_state=seed, n_jobs=1)
        model.fit(X[: len(rows)], target)
        predicted = model.predict(X[len(rows) :])
        orders["surrogate"] = [candidates[i] for i in np.argsort(predicted, kind="stable")]
        losses = np.array([norm[k] for k in candidates])
        shuffles = [rng.permutation(losses) for _ in range(200)]
        found["random"].append([np.mean([s[:n].min() for s in shuffles]) for n in (1, 3)])
        for method in ("neighbours", "portfolio", "surrogate"):
            ranked = [norm[k] for k in orders[method]]
            found[method].append([min(ranked[:1]), min(ranked[:3])])
    lines = [
        "",
        "## Offline: ranking stored configs for a held-out task",
        "",
        "Leave-one-task-out over the knowledge base, no fitting: the candidates are the best "
        "configs of the other tasks of the same family that were also scored on the held-out "
        "task (by the build's cross-evaluation); each method orders them, and the table gives "
        "the held-out task's normalized loss (0 = its best stored config, 1 = its median) of "
        "the first config and of the best of the first three, averaged over "
        f"{len(found['random'])} held-out tasks. surrogate = a random forest on "
        "(similarity meta-features, config) -> normalized loss, trained on the other tasks.",
        "",
        "| method | loss of the 1st | best of the first 3 |",
        "|---|---:|---:|",
    ]
    for method, values in found.items():
        mean = np.mean(values, axis=0)
        lines.append(f"| {method} | {mean[0]:.3f} | {mean[1]:.3f} |")
    return "\n".join(lines) + "\n"


QUEUE_FIRSTS = (1, 2, 3, 4, 6)  # offline: the first k configs of a queue
QUEUE_TIMES = (1.5, 3, 6, 12, 24)  # offline: a queue's first t median-config runtimes


def best_so_far(configs: list[dict], held: KnownTask) -> tuple[list[float], list[float]]:
    """The best normalized loss `held` stored for the first k configs of a queue (each k of
    QUEUE_FIRSTS), and for those done within t runtimes of its median config when run one after
    another at their stored runtimes (each t of QUEUE_TIMES). A config never evaluated there
    is left out of the first and takes the median config's time in the second; none at all
    counts as 1."""
    from automl_cli.meta.warmstart import learner_key

    norm = held.normalized()
    median = held.median_runtime
    keys = [learner_key(c) for c in configs]
    firsts = [min([norm[k] for k in keys[:n] if k in norm], default=1.0) for n in QUEUE_FIRSTS]
    ends = np.cumsum([held.runtimes.get(k, median) / median for k in keys])
    in_time = [
        min([norm[k] for k, end in zip(keys, ends, strict=True) if end <= t and k in norm],
            default=1.0)
        for t in QUEUE_TIMES
    ]  # fmt: skip
    return firsts, in_time


def held_out(tasks: list[KnownTask], names: set[str]) -> Iterator[tuple]:
    """Leave-one-task-out: each stored task named in `names`, the others, its search space and
    the warm start's plan from the others."""
    from automl_cli.meta.warmstart import plan_for
    from automl_cli.space import build_space

    for held in tasks:
        if held.name not in names:
            continue
        meta = held.meta_features
        space = build_space(
            held.task_type, int(meta["rows"]), int(meta["features"]),
            int(meta["categorical_features"]),
        )  # fmt: skip
        others = [t for t in tasks if t is not held]
        yield (
            held,
            others,
            space,
            plan_for(meta, held.task_type, held.fingerprint, space, others, "stored"),
        )


def offline_queues(tasks: list[KnownTask], names: set[str]) -> str:
    """Leave-one-task-out on the stored evaluations: the warm start's queue against the cold
    start's default portfolio, by the best stored loss among the first k configs of each and
    among those done within a time."""
    from automl_cli.meta.warmstart import learner_key
    from automl_cli.space import default_configs

    by_count = {"warm": [], "cold": []}
    by_time = {"warm": [], "cold": []}
    known_share = []
    for held, _others, space, plan in held_out(tasks, names):
        for name, configs in (("warm", plan.configs), ("cold", default_configs(space))):
            firsts, in_time = best_so_far(configs, held)
            by_count[name].append(firsts)
            by_time[name].append(in_time)
        known_share.append(np.mean([learner_key(c) in held.losses for c in plan.configs[:6]]))
    lines = [
        "",
        "## Offline: the warm start's queue against the cold start's",
        "",
        f"Leave-one-task-out, no fitting: each of the {len(known_share)} benchmark datasets "
        f"in turn is the held-out task, the warm start plans its queue from the other "
        f"{len(tasks) - 1} stored tasks, the cold start takes the "
        "space's default portfolio, and each queue's first k configs are looked up in the "
        "held-out task's stored evaluations (normalized loss, 0 = its best stored config, 1 = "
        "its median). A config never evaluated on the held-out task is left out (of the warm "
        f"queue's first six, {np.mean(known_share):.0%} were evaluated there; the defaults all "
        "were); none at all counts as 1. Ahead / behind: a difference over 0.02.",
        "",
        *queue_table("first k", QUEUE_FIRSTS, by_count),
        "",
        "### The queue in time",
        "",
        "The same queues run one config after another at the held-out task's stored runtimes "
        "(full budget, from the build): the best normalized loss among the configs done within "
        "t runtimes of its median config. A config never evaluated there takes the median "
        "config's time and finds nothing. This is the early part of a fit that the fitted "
        "benchmark's 10 % and 25 % points see, without its start-up and noise.",
        "",
        *queue_table("within t", QUEUE_TIMES, by_time),
    ]
    return "\n".join(lines) + "\n"


def queue_table(label: str, points: tuple, best: dict[str, list[list[float]]]) -> list[str]:
    """Rows of warm against cold at each point: mean best loss, and ahead / level / behind."""
    warm, cold = np.array(best["warm"]), np.array(best["cold"])
    lines = [
        f"| {label} | warm mean | cold mean | warm ahead | level | warm behind |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for i, point in enumerate(points):
        diff = cold[:, i] - warm[:, i]
        ahead, behind = int((diff > 0.02).sum()), int((diff < -0.02).sum())
        lines.append(
            f"| {point:g} | {warm[:, i].mean():.3f} | {cold[:, i].mean():.3f} | {ahead} | "
            f"{len(diff) - ahead - behind} | {behind} |"
        )
    return lines


def in_time_cells(runs: np.ndarray, cold: np.ndarray) -> list[str]:
    """One cell per point of QUEUE_TIMES: the mean best normalized loss of `runs` (draw x
    held-out task x time), and the tasks ahead / behind `cold` (task x time) by over 0.02,
    averaged over the draws."""
    diff = cold[None] - runs
    ahead = (diff > 0.02).sum(axis=1).mean(axis=0)
    behind = (diff < -0.02).sum(axis=1).mean(axis=0)
    return [
        f"{runs[:, :, i].mean():.3f}, {round(ahead[i], 1):g} / {round(behind[i], 1):g}"
        for i in range(len(QUEUE_TIMES))
    ]


ACTIVE_SETTINGS = ((1, 0.75), (1, 0.9), (4, 0.75), (4, 0.9))  # (static configs first, agreement)


def active_queue(
    held: KnownTask,
    others: list[KnownTask],
    space: ConfigurationSpace,
    static: list[dict],
    after: int,
    agreement: float,
) -> list[dict]:
    """Active testing (Leite, Brazdil & Vanschoren 2012) on the stored evaluations: the static
    plan's first `after` configs, then one at a time the greedy portfolio's next pick, with each
    stored task's similarity weight multiplied, for every pair of configs `held` has run so
    far, by `agreement` if the task orders the pair as `held` does and by 1 - agreement if it
    reverses it. So tasks that rank configs as this one does lead the next pick."""
    from functools import cache

    from automl_cli.meta.warmstart import (
        MAX_CONFIGS,
        expected_cost,
        family,
        greedy_portfolio,
        learner_key,
        nearest,
        similarity_weights,
    )
    from automl_cli.space import default_configs
    from automl_cli.space.adapt import SpaceAdapter

    pool = [t for t in others if family(t.task_type) == family(held.task_type)]
    ranked = nearest(held.meta_features, pool)
    pool, prior = [t for t, _ in ranked], similarity_weights(ranked)
    adapt, defaults = SpaceAdapter(space), default_configs(space)
    cost = cache(lambda key: expected_cost(key, pool, held.meta_features))
    queue = list(static[:after])
    keys = [learner_key(c) for c in queue]
    while len(queue) < MAX_CONFIGS:
        seen = [k for k in keys if k in held.losses]
        weights = prior.copy()
        for i, first in enumerate(seen):
            for second in seen[i + 1 :]:
                here = np.sign(held.losses[first] - held.losses[second])
                if not here:  # a tie here says nothing about the stored tasks
                    continue
                for n, task in enumerate(pool):
                    if first in task.losses and second in task.losses:
                        there = np.sign(task.losses[first] - task.losses[second])
                        if there:  # a tie there neither agrees nor disagrees
                            weights[n] *= agreement if there == here else 1 - agreement
        picks = greedy_portfolio(
            pool, 1, given=tuple(keys), weights=weights, extra=defaults, cost=cost
        )
        adapted = adapt(picks[0]) if picks else None
        if adapted is None or learner_key(adapted) in keys:
            break
        queue.append(adapted)
        keys.append(learner_key(adapted))
    return queue


def offline_active(tasks: list[KnownTask], names: set[str]) -> str:
    """Leave-one-task-out: the static plan and active queues (`active_queue`) in time, each
    against the cold start's default portfolio."""
    from automl_cli.space import default_configs

    rows = {"static": [], **{setting: [] for setting in ACTIVE_SETTINGS}}
    cold = []
    for held, others, space, plan in held_out(tasks, names):
        static = plan.configs
        rows["static"].append(best_so_far(static, held)[1])
        cold.append(best_so_far(default_configs(space), held)[1])
        for after, agreement in ACTIVE_SETTINGS:
            configs = active_queue(held, others, space, static, after, agreement)
            rows[(after, agreement)].append(best_so_far(configs, held)[1])
    cold = np.array(cold)
    lines = [
        "",
        "## Offline: a queue that learns from the first trials",
        "",
        "Active testing (Leite, Brazdil & Vanschoren 2012), not used by `automl fit`: after the "
        "static plan's first n configs, each next config is the greedy portfolio's next pick "
        "with the stored tasks reweighted by how they order the configs run so far: each pair "
        "ordered as on the held-out task multiplies a task's weight by p, each pair reversed "
        'by 1 - p. Leave-one-task-out and timed as in "the queue in time"; each cell gives '
        "the mean best normalized loss within t runtimes of the median config, and the tasks "
        "ahead / behind the cold start's default portfolio (by over 0.02).",
        "",
        "| queue | " + " | ".join(f"within {t:g}" for t in QUEUE_TIMES) + " |",
        "|---|" + "---:|" * len(QUEUE_TIMES),
    ]
    for setting, best in rows.items():
        label = setting if setting == "static" else f"active, n = {setting[0]}, p = {setting[1]}"
        lines.append(f"| {label} | " + " | ".join(in_time_cells(np.array([best]), cold)) + " |")
    lines.append(f"| cold | {' | '.join(f'{v:.3f}' for v in cold.mean(axis=0))} |")
    return "\n".join(lines) + "\n"


BASE_SIZES = (10, 20, 30, 39)  # offline: how many other stored tasks a plan may draw on
BASE_DRAWS = 3  # random draws of each size


def offline_base_size(tasks: list[KnownTask], names: set[str], seed: int = 0) -> str:
    """Leave-one-task-out with the plan drawing on only a random m of the other stored tasks:
    how the warm start's lead in time over the cold start changes with the size of the base."""
    from automl_cli.meta.warmstart import plan_for
    from automl_cli.space import default_configs

    rng = np.random.default_rng(seed)
    every = len(tasks) - 1
    draws = {m: BASE_DRAWS for m in BASE_SIZES if m < every} | {every: 1}
    best: dict[int, list[list[list[float]]]] = {m: [[] for _ in range(n)] for m, n in draws.items()}
    cold = []
    for held, others, space, plan in held_out(tasks, names):
        cold.append(best_so_far(default_configs(space), held)[1])
        best[every][0].append(best_so_far(plan.configs, held)[1])
        for m in sorted(draws.keys() - {every}):
            for draw in range(draws[m]):
                drawn = [others[i] for i in sorted(rng.choice(every, m, replace=False))]
                queue = plan_for(
                    held.meta_features, held.task_type, held.fingerprint, space, drawn, "drawn"
                ).configs
                best[m][draw].append(best_so_far(queue, held)[1])
    cold = np.array(cold)
    lines = [
        "",
        "## Offline: the size of the knowledge base",
        "",
        f'Leave-one-task-out on the {len(cold)} benchmark datasets as in "the queue in time", '
        f"but the warm start plans from a random m of the other {every} stored tasks "
        f"({BASE_DRAWS} draws of each size, averaged; m = {every} is the plan in use). Each "
        "cell: the mean best normalized loss within t runtimes of the median config, and the "
        "tasks ahead / behind the cold start's default portfolio (by over 0.02).",
        "",
        "| tasks drawn on | " + " | ".join(f"within {t:g}" for t in QUEUE_TIMES) + " |",
        "|---:|" + "---:|" * len(QUEUE_TIMES),
    ]
    for m in sorted(best):
        lines.append(f"| {m} | " + " | ".join(in_time_cells(np.array(best[m]), cold)) + " |")
    return "\n".join(lines) + "\n"


def offline_costs(tasks: list[KnownTask], names: set[str]) -> str:
    """Leave-one-task-out on the stored runtimes: how well a booster config's relative cost on
    a held-out multiclass task (named in `names`) is foreseen from the other tasks, for a few
    class-scaling exponents."""
    from automl_cli.meta.warmstart import (
        CLASS_COST_EXPONENT,
        COSTLY,
        expected_cost,
        trees_per_round,
    )
    from automl_cli.space.definition import BOOSTERS

    lines = [
        "",
        "## Offline: cost of a config on a new task",
        "",
        "Leave-one-task-out over the stored runtimes, no fitting: for every booster config timed "
        "on a held-out multiclass task and on some other task, its relative cost there (seconds "
        "over the task's median config's) against the one `expected_cost` foresees from the "
        "other tasks, each scaled by (classes here / classes there) ** exponent. Error: log10 of "
        f"foreseen over actual. Costly: over {COSTLY:g}, which queues a config last. The "
        f"exponent in use is {CLASS_COST_EXPONENT:g}.",
        "",
        "| exponent | configs | median abs error | median error | costly caught | costly missed "
        "| false alarms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for exponent in (0.0, 0.5, 0.75, 1.0):
        errors, caught, missed, false = [], 0, 0, 0
        for held in tasks:
            if held.name not in names or trees_per_round(held.meta_features) == 1:
                continue
            others = [t for t in tasks if t is not held]
            for key in held.runtimes:
                if held.configs[key]["algorithm"] not in BOOSTERS:
                    continue
                foreseen = expected_cost(key, others, held.meta_features, exponent=exponent)
                if foreseen is None:
                    continue
                actual = held.relative_cost(key)
                errors.append(np.log10(foreseen / actual))
                caught += foreseen > COSTLY and actual > COSTLY
                missed += foreseen <= COSTLY and actual > COSTLY
                false += foreseen > COSTLY and actual <= COSTLY
        errors = np.array(errors)
        lines.append(
            f"| {exponent:g} | {len(errors)} | {np.median(np.abs(errors)):.3f} | "
            f"{np.median(errors):+.3f} | {caught} | {missed} | {false} |"
        )
    return "\n".join(lines) + "\n"


def offline_tables(metabase: Path, names: set[str]) -> str:
    """The report's offline sections, from the stored tasks of `metabase`, holding out in turn
    each one named in `names` (the benchmark's datasets)."""
    from automl_cli.meta.store import MetaBase
    from automl_cli.meta.warmstart import known_tasks

    with MetaBase.open(metabase, readonly=True) as base:
        tasks = known_tasks(base)
    return (
        offline_queues(tasks, names) + offline_base_size(tasks, names)
        + offline_active(tasks, names) + offline_costs(tasks, names)
        + offline_ranking(tasks, names)
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    manifest = pd.read_csv(SHARED / "datasets" / "manifest.csv").set_index("name")
    parser.add_argument("--datasets", nargs="+", default=list(manifest.index))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=60)
    parser.add_argument("--metabase", type=Path, default=SHIPPED)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/warmstart.md")
    parser.add_argument(
        "--against",
        type=Path,
        help="the .jsonl of an earlier run (another knowledge base, say): its runs of the same "
        "datasets and seeds are summarized beside these, normalized together",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="only the offline tables of --metabase (no fitting, a few minutes)",
    )
    args = parser.parse_args()
    if args.offline:
        args.out.write_text(
            f"# Offline tables of the knowledge base {shown(args.metabase)}\n\n"
            f"Command: `python benchmarks/warmstart.py --offline --datasets "
            f"{' '.join(args.datasets)} --metabase {shown(args.metabase)} --out "
            f"{shown(args.out)}`\n" + offline_tables(args.metabase, set(args.datasets))
        )
        print(f"written {args.out}")
        return
    test_rows = json.loads((SHARED / "benchmarks" / "test_rows_seed0.json").read_text())
    peers = pd.read_csv(SHARED / "benchmarks" / "peers-public-60s.csv")
    raw = args.out.with_suffix(".jsonl")
    results = read_runs(raw) if raw.exists() else []  # failed runs are retried
    done = {(r["dataset"], r["seed"], r["warm"]) for r in results}
    raw.parent.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        for name in args.datasets:
            if (name, seed, True) in done and (name, seed, False) in done:
                continue
            pair = run_pair(
                name, manifest.loc[name], test_rows[name], args.budget, seed, args.metabase
            )
            with raw.open("a") as handle:
                for result in pair:
                    print(json.dumps(result), flush=True)
                    handle.write(json.dumps(result) + "\n")
            results = [r for r in results if (r["dataset"], r["seed"]) != (name, seed)] + pair
    results = [r for r in results if r["dataset"] in args.datasets and r["seed"] in args.seeds]
    constants = {n: constant_score(manifest.loc[n], test_rows[n]) for n in args.datasets}
    text = render(results, peers, constants, args)
    if args.against:
        text += against(results, args.against, peers, constants)
    text += offline_tables(args.metabase, set(args.datasets))
    args.out.write_text(text)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
