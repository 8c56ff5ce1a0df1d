"""Paired benchmark of BOHB against Hyperband, its random-config control, BO and evolution.

    python benchmarks/bohb_paired.py --seeds 20 --horizon 50 --out results/bohb_paired.md

Every strategy searches the CASH space of knowledge-base tasks (`cash_surrogate.py`: at
least 3 budgets with 50 successful evaluations each, not solved outright), answered by that
task's surrogate. Same seeds, same Hyperband schedule: `bohb` and `bohb_random`
(random_fraction = 1, the control) differ only in where new configs come from. Cold: no warm
start. Warm: every strategy first gets the warm-start plan `automl fit` would make from the
other tasks (`meta.warmstart.plan_for`, the task's own evaluations left out by its
fingerprint): the plan's configs and, for strategies that use one, its history.

Cost = the sum of budgets, in full-budget evaluations; score at a checkpoint = the
surrogate's normalized full-budget loss of the incumbent (0: the task's best stored config,
1: its median one). The runs of one variant advance in lockstep over seeds so the surrogate
answers each step in one batch; each run's own ask/tell order is the sequential loop's.

Which configs came from BOHB's model: the optimizer's `n_model_proposals` counter, read after
every ask (a bracket draws its first-rung configs lazily, at the ask that hands them out).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cash_surrogate import METABASE, Surrogate, TaskData, load_tasks  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ETA = 3
VARIANTS = {  # label: (strategy, options)
    "hyperband": ("hyperband", {}),
    "bohb": ("bohb", {}),
    "bohb_random": ("bohb", {"random_fraction": 1.0}),
    "bo": ("bo", {}),
    "evolution": ("evolution", {}),
}
RIVALS = ("hyperband", "bohb_random", "bo", "evolution")


@dataclass
class Run:
    """One seed's search: the optimizer and what it has cost and found so far."""

    optimizer: object
    costs: list[float] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    # per new config: (cost when asked, from the model?, surrogate full-budget score)
    proposals: list[tuple[float, bool, float]] = field(default_factory=list)
    cost: float = 0.0


def key(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


def run_variant(
    label: str, surrogate: Surrogate, space, seeds: int, horizon: float, warm
) -> list[Run]:
    """Every seed of one variant, in lockstep; `warm` is (configs, history) or None."""
    from automl_cli.optimize import create_optimizer

    strategy, options = VARIANTS[label]
    runs = []
    for seed in range(seeds):
        opt = create_optimizer(
            strategy,
            space,
            min_budget=surrogate.min_budget,
            max_budget=1.0,
            eta=ETA,
            seed=seed,
            **options,
        )
        if warm is not None:
            opt.warm_start(list(warm[0]), list(warm[1]))
        runs.append(Run(opt))
    full_score: dict[str, float] = {}
    seen: list[set[str]] = [set() for _ in runs]
    active = list(range(len(runs)))
    while active:
        jobs, fresh = [], []
        for i in active:
            opt = runs[i].optimizer
            before = getattr(opt, "n_model_proposals", 0)
            job = opt.ask()
            from_model = getattr(opt, "n_model_proposals", 0) > before
            jobs.append((i, job, from_model))
        configs = [job.config for _, job, _ in jobs]
        unknown = list({key(c): c for c in configs if key(c) not in full_score}.values())
        answers = surrogate.predict(
            configs + unknown, [job.budget for _, job, _ in jobs] + [1.0] * len(unknown)
        )
        for config, value in zip(unknown, answers[len(configs) :], strict=True):
            full_score[key(config)] = float(value)
        for (i, job, from_model), loss in zip(jobs, answers[: len(configs)], strict=True):
            run = runs[i]
            k = key(job.config)
            if k not in seen[i]:
                seen[i].add(k)
                fresh.append(i)
                run.proposals.append((run.cost, from_model, full_score[k]))
            run.optimizer.tell(job, float(loss))
            run.cost += job.budget
            incumbent = run.optimizer.incumbent
            run.costs.append(run.cost)
            run.scores.append(math.inf if incumbent is None else full_score[key(incumbent[0])])
        active = [i for i in active if runs[i].cost < horizon]
    return runs


def at(run: Run, checkpoints: tuple[float, ...]) -> np.ndarray:
    index = np.searchsorted(run.costs, checkpoints, side="right") - 1
    scores = np.array(run.scores)
    return np.where(index >= 0, scores[np.maximum(index, 0)], math.inf)


def model_share(run: Run, checkpoints: tuple[float, ...]) -> list[tuple[int, int]]:
    """(configs from the model, new configs) asked before each checkpoint."""
    out = []
    for c in checkpoints:
        asked = [p for p in run.proposals if p[0] < c]
        out.append((sum(p[1] for p in asked), len(asked)))
    return out


@functools.cache
def known_tasks():
    """The stored tasks as the warm start reads them, read once."""
    from automl_cli.meta.locate import open_for_reading
    from automl_cli.meta.warmstart import known_tasks

    with open_for_reading(METABASE) as base:
        return known_tasks(base)


def warm_plan(task: TaskData, space):
    """The plan `automl fit` would make for this task, from the other tasks only."""
    from automl_cli.meta.warmstart import plan_for

    plan = plan_for(
        task.meta_features, task.task_type, task.fingerprint, space, known_tasks(), "shipped base"
    )
    return plan.configs, plan.history


def benchmark_task(task, tasks, seeds, horizon, checkpoints, labels):
    space = task.space()
    surrogate = Surrogate(task, space)
    trust = surrogate.held_out()
    result = {"task": task.name, "trust": trust, "budgets": sorted(task.counts().items())}
    warm = warm_plan(task, space)
    result["warm"] = {"configs": len(warm[0]), "history": len(warm[1])}
    for start, plan in (("cold", None), ("warm", warm)):
        for label in labels:
            began = time.process_time()
            runs = run_variant(label, surrogate, space, seeds, horizon, plan)
            result[f"{start}/{label}"] = {
                "scores": [at(r, checkpoints).tolist() for r in runs],
                "share": [model_share(r, checkpoints) for r in runs],
                "proposals": [[(m, s) for _, m, s in r.proposals] for r in runs],
                "cpu": time.process_time() - began,
            }
            print(
                f"{task.name} {start}/{label}: {result[f'{start}/{label}']['cpu']:.1f} s",
                flush=True,
            )
    return result


# -- the report ---------------------------------------------------------------------------------
def scores_of(results, variant: str) -> np.ndarray:
    """(tasks x seeds, checkpoints) scores; no incumbent yet counts as the clip's worst."""
    rows = np.array([s for r in results for s in r[variant]["scores"]], dtype=float)
    return np.where(np.isfinite(rows), rows, 3.0)


def fmt_p(p: float) -> str:
    return "–" if not math.isfinite(p) else (f"{p:.1e}" if p < 1e-3 else f"{p:.3f}")


def paired_line(a: np.ndarray, b: np.ndarray) -> str:
    """mean difference a - b, wins / losses of a (lower is better), Wilcoxon p."""
    from scipy.stats import wilcoxon

    diff = a - b
    wins, losses = int((diff < -1e-12).sum()), int((diff > 1e-12).sum())
    p = math.nan
    if wins + losses:
        p = float(wilcoxon(diff, zero_method="wilcox").pvalue)
    return f"{diff.mean():+.3f} ({wins}/{losses}, p {fmt_p(p)})"


def start_section(results, start: str, labels, checkpoints) -> list[str]:
    from scipy.stats import rankdata

    variants = [f"{start}/{label}" for label in labels]
    head = "| | " + " | ".join(f"cost {c:g}" for c in checkpoints) + " |"
    rule = "|---" * (len(checkpoints) + 1) + "|"
    scores = {v: scores_of(results, v) for v in variants}
    lines = [
        f"### {start.capitalize()} start",
        "",
        "Mean normalized loss of the incumbent (median in brackets):",
        "",
        head,
        rule,
    ]
    for v in variants:
        cells = [
            f"{m:.3f} ({q:.3f})"
            for m, q in zip(scores[v].mean(0), np.median(scores[v], 0), strict=True)
        ]
        lines.append(f"| {v.split('/')[1]} | " + " | ".join(cells) + " |")
    stacked = np.stack([scores[v] for v in variants])  # variants x runs x checkpoints
    ranks = rankdata(stacked, axis=0).mean(axis=1)
    lines += ["", "Mean rank among these variants (1 = best, ties shared):", "", head, rule]
    for v, row in zip(variants, ranks, strict=True):
        lines.append(f"| {v.split('/')[1]} | " + " | ".join(f"{x:.2f}" for x in row) + " |")
    if "bohb" in labels:
        lines += [
            "",
            "BOHB minus rival, paired by task and seed: mean difference (BOHB "
            "better / worse, Wilcoxon signed-rank p). Negative = BOHB ahead.",
            "",
            head,
            rule,
        ]
        for rival in (r for r in RIVALS if r in labels):
            cells = [
                paired_line(scores[f"{start}/bohb"][:, k], scores[f"{start}/{rival}"][:, k])
                for k in range(len(checkpoints))
            ]
            lines.append(f"| vs {rival} | " + " | ".join(cells) + " |")
        lines += model_lines(results, start, checkpoints, head, rule)
    return lines + [""]


def model_lines(results, start, checkpoints, head, rule) -> list[str]:
    from scipy.stats import wilcoxon

    variant = f"{start}/bohb"
    shares = np.array([s for r in results for s in r[variant]["share"]])  # runs x cp x 2
    model, new = shares[..., 0].sum(0), shares[..., 1].sum(0)
    lines = [
        "",
        "New configs BOHB asked before each checkpoint that came from its model "
        "(all runs; warm-start configs count as not from the model):",
        "",
        head,
        rule,
        "| from the model | "
        + " | ".join(f"{m} of {n} ({m / max(n, 1):.0%})" for m, n in zip(model, new, strict=True))
        + " |",
    ]
    gaps, pairs = [], []
    for r in results:
        skip = r["warm"]["configs"] if start == "warm" else 0
        for proposals in r[variant]["proposals"]:
            own = np.array(proposals[skip:], dtype=float).reshape(-1, 2)
            mine, rand = own[own[:, 0] == 1, 1], own[own[:, 0] == 0, 1]
            if len(mine) and len(rand):
                gaps.append(np.median(rand) - np.median(mine))
                pairs.append((mine[:, None] < rand[None, :]).mean())
    if gaps:
        p = float(wilcoxon(gaps).pvalue) if np.any(np.abs(gaps) > 0) else math.nan
        lines += [
            "",
            f"Model vs random proposals of the same runs at the full budget "
            f"({len(gaps)} runs with both): median over runs of (random's median - "
            f"model's median normalized full-budget loss) {np.median(gaps):+.3f}, "
            f"Wilcoxon p {fmt_p(p)}; a model proposal beats a random one of its run in "
            f"{np.mean(pairs):.0%} of pairs.",
        ]
    else:
        lines += ["", "No run had both model and random proposals, so they cannot be compared."]
    return lines


def report(results, args, labels, checkpoints, cpu: float) -> str:
    lines = [
        f"# Paired BOHB benchmark{': ' + args.title if args.title else ''}",
        "",
        "Generated by:",
        "",
        f"    python benchmarks/bohb_paired.py --seeds {args.seeds} --horizon {args.horizon:g}"
        f" --tasks {len(results)} --out {args.out}"
        + (f" --variants {' '.join(args.variants)}" if len(args.variants) < len(VARIANTS) else "")
        + (f" --reuse {' '.join(args.reuse)}" if args.reuse else ""),
        "",
        f"CPU time of the searches (every variant, surrogate answers included): "
        f"{sum(r[v]['cpu'] for r in results for v in r if '/' in v) / 60:.1f} min; this "
        f"invocation {cpu / 60:.1f} min (2 cores, shared with other work while measured).",
        "",
        (__doc__ or "").split("\n\n", 2)[2].strip(),
        "",
        "## Tasks and the surrogate's trust",
        "",
        "Held-out (5-fold) Spearman correlation of predicted and stored normalized loss: at "
        "the full budget over all configs, inside algorithms (mean over those with >= 8 "
        "full-budget evaluations) and at the lowest budget.",
        "",
        "| task | evaluations per budget | full | within algorithms | lowest budget | warm "
        "configs / history |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        counts = ", ".join(
            f"1/{round(1 / b)}: {n}" if b < 1 else f"1: {n}" for b, n in r["budgets"]
        )
        t = r["trust"]
        lines.append(
            f"| {r['task']} | {counts} | {t['full']:.2f} | {t['within']:.2f} "
            f"({t['n_algorithms']}) | {t['lowest']:.2f} | {r['warm']['configs']} / "
            f"{r['warm']['history']} |"
        )
    lines += ["", f"## Results ({len(results)} tasks x {args.seeds} seeds)", ""]
    for start in ("cold", "warm"):
        lines += start_section(results, start, labels, checkpoints)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--horizon", type=float, default=50.0)
    parser.add_argument("--tasks", type=int, default=12, help="the first N eligible tasks")
    parser.add_argument("--names", nargs="+", help="only these of the chosen tasks")
    parser.add_argument("--out", default="results/bohb_paired.md")
    parser.add_argument("--title", default="")
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        default=list(VARIANTS),
        help="the variants to run (the others only from --reuse)",
    )
    parser.add_argument(
        "--reuse",
        nargs="+",
        default=[],
        help="earlier runs' .json files: their variants are kept, later files win",
    )
    args = parser.parse_args()
    checkpoints = tuple(c for c in (2, 5, 10, 20, 35, 50, 75, 100, 150, 200) if c < args.horizon)
    checkpoints += (args.horizon,)
    reused: dict[str, dict] = {}
    for path in args.reuse:
        for r in json.loads(Path(path).read_text()):
            reused[r["task"]] = reused.get(r["task"], {}) | r
    tasks = load_tasks()
    chosen = [t for t in tasks if t.eligible()][: args.tasks]
    chosen = [t for t in chosen if args.names is None or t.name in args.names]
    began = time.process_time()
    results = []
    for task in chosen:
        old = reused.get(task.name, {})
        todo = [v for v in args.variants if f"cold/{v}" not in old]
        result = dict(old)
        if todo or not old:
            result |= benchmark_task(task, tasks, args.seeds, args.horizon, checkpoints, todo)
        results.append(result)
    labels = [v for v in VARIANTS if all(f"cold/{v}" in r for r in results)]
    out = Path(__file__).resolve().parent / args.out
    out.with_suffix(".json").write_text(json.dumps(results))
    out.write_text(report(results, args, labels, checkpoints, time.process_time() - began))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
