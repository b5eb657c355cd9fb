"""Turn the study's JSON-lines results into markdown tables and a plot.

python benchmarks/bench_report.py [--plot docs/_static/study_a.png]
python benchmarks/bench_report.py --page
python benchmarks/bench_report.py --files study_A_14.jsonl study_B_14.jsonl
python benchmarks/bench_report.py --files study_A_26.jsonl study_A_14.jsonl \
    --paired logit_adjusted:class_weight logit_adjusted:threshold

``--files`` reads the named result files (parts A and B by their rows'
``part``, part C by its ``frechet_distance``) instead of the default ones;
``--paired new:base`` compares two methods of them seed by seed.
``--page`` rewrites the current results in docs/benchmarks.md (the block
between its two markers) from the result files that ``SOURCES`` in
results_page.py lists.
"""

import argparse
import json
from collections import defaultdict

import numpy as np
from _common import RESULTS, mean_std
from results_page import write_page

from gansampler._registry import METHODS


def load(part, name=None):
    path = RESULTS / (name or f"study_{part}.jsonl")
    if not path.exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def group(rows, *keys):
    out = defaultdict(list)
    for r in rows:
        out[tuple(r[k] for k in keys)].append(r)
    return out


def place(method):
    """Where ``method`` comes in a table: its base's place in the registry
    (gansampler._registry.METHODS), then its name; a name whose base the
    registry does not hold (``real``, part C's floor) comes last."""
    base = method.split("+")[0].partition("@")[0]
    order = list(METHODS)
    return (order.index(base) if base in order else len(order), method)


def ordered(methods):
    return sorted(set(methods), key=place)


def table_a(rows, metric):
    sizes = sorted({r["n_minority"] for r in rows if r["n_minority"] != "full"})
    methods = ordered(r["method"] for r in rows)
    cells = group(rows, "method", "n_minority")
    lines = [
        f"| {metric} | " + " | ".join(f"n={n}" for n in sizes) + " |",
        "|---" * (len(sizes) + 1) + "|",
    ]
    for m in methods:
        values = []
        for n in sizes:
            found = cells.get((m, n), [])
            seeds = len(found)
            values.append(
                f"{mean_std([r[metric] for r in found])} ({seeds})" if found else ""
            )
        lines.append(f"| {m} | " + " | ".join(values) + " |")
    for m in ordered(m for m, n in cells if n == "full"):
        full = cells[(m, "full")]
        lines.append(
            f"\nFull training set, {m}: {metric} {mean_std([r[metric] for r in full])} "
            f"({len(full)} seeds)."
        )
    return "\n".join(lines)


def table_compare(new, old, metrics=("balanced_accuracy", "roc_auc")):
    """Part A rows of ``new`` beside ``old`` on the same seeds, and ``old``
    on all its seeds: for a change that reruns part of the study."""
    cells_new, cells_old = (
        group(new, "method", "n_minority"),
        group(old, "method", "n_minority"),
    )
    header = ["method", "n"]
    for metric in metrics:
        header += [f"{metric} now", "before, same seeds", "before, all seeds"]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for method, n in sorted(cells_new, key=lambda k: (k[1], place(k[0]))):
        found = cells_new[(method, n)]
        seeds = {r["seed"] for r in found}
        before = cells_old.get((method, n), [])
        same = [r for r in before if r["seed"] in seeds]
        row = [method, str(n)]
        for metric in metrics:
            row += [
                f"{mean_std([r[metric] for r in found])} ({len(found)})",
                f"{mean_std([r[metric] for r in same])} ({len(same)})" if same else "",
                f"{mean_std([r[metric] for r in before])} ({len(before)})"
                if before
                else "",
            ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def table_paired(rows, pairs, metrics=("balanced_accuracy", "roc_auc")):
    """Each ``new:base`` pair of methods, paired by size and seed: the mean
    and spread of new minus base, and on how many seeds new is ahead."""
    by = {(r["method"], r["n_minority"], r["seed"]): r for r in rows}
    header = ["new - base", "n", *(f"{m} difference" for m in metrics), "new ahead"]
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for pair in pairs:
        new, base = pair.split(":")
        sizes = sorted({n for m, n, _ in by if m == new}, key=str)
        for n in sizes:
            seeds = sorted(s for m, k, s in by if m == new and k == n)
            seeds = [s for s in seeds if (base, n, s) in by]
            if not seeds:
                continue
            cells, ahead = [], []
            for metric in metrics:
                diff = [by[new, n, s][metric] - by[base, n, s][metric] for s in seeds]
                cells.append(mean_std(diff))
                ahead.append(f"{sum(d > 0 for d in diff)}/{len(diff)}")
            lines.append(
                f"| {new} - {base} | {n} | "
                + " | ".join(cells)
                + f" | {' and '.join(ahead)} |"
            )
    return "\n".join(lines)


def table_b(rows):
    metrics = ["balanced_accuracy", "macro_f1", "resample_s", "fit_s"]
    cells = group(rows, "method", "n_minority")
    lines = [
        "| method | " + " | ".join(metrics) + " | seeds |",
        "|---" * (len(metrics) + 2) + "|",
    ]
    keys = sorted(
        cells,
        key=lambda k: (k[1] == "full", ordered([m for m, _ in cells]).index(k[0])),
    )
    for m, n in keys:
        found = cells[(m, n)]
        name = m if n != "full" else "whole training half"
        lines.append(
            f"| {name} | "
            + " | ".join(mean_std([r[k] for r in found]) for k in metrics)
            + f" | {len(found)} |"
        )
    return "\n".join(lines)


def table_c(rows):
    cells = group(rows, "method")
    lines = ["| method | Frechet distance | resample_s | seeds |", "|---|---|---|---|"]
    for (m,), found in cells.items():
        lines.append(
            f"| {m} | {mean_std([r['frechet_distance'] for r in found])} | "
            f"{mean_std([r['resample_s'] for r in found])} | {len(found)} |"
        )
    return "\n".join(lines)


def plot_a(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells = group([r for r in rows if r["n_minority"] != "full"], "method")
    cells = {(m,): cells[(m,)] for m in ordered(k[0] for k in cells)}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, metric in zip(axes, ["balanced_accuracy", "roc_auc"], strict=True):
        for (method,), found in cells.items():
            by_n = group(found, "n_minority")
            sizes = sorted(k[0] for k in by_n)
            means = [np.mean([r[metric] for r in by_n[(n,)]]) for n in sizes]
            stds = [
                np.std([r[metric] for r in by_n[(n,)]], ddof=1)
                if len(by_n[(n,)]) > 1
                else 0
                for n in sizes
            ]
            ax.errorbar(sizes, means, yerr=stds, marker="o", capsize=3, label=method)
        ax.set_xscale("log")
        ax.set_xlabel("pneumonia training images (n_minority)")
        ax.set_ylabel(f"test {metric.replace('_', ' ')}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default=None, help="PNG path for part A's plot")
    parser.add_argument(
        "--compare",
        nargs="+",
        default=None,
        help="part A result files of a rerun, shown beside results/study_A.jsonl",
    )
    parser.add_argument(
        "--files", nargs="+", default=None, help="result files under results/"
    )
    parser.add_argument(
        "--paired",
        nargs="+",
        default=None,
        help="new:base method pairs, paired by seed, from the --files",
    )
    parser.add_argument(
        "--page",
        action="store_true",
        help="rewrite the current results in docs/benchmarks.md",
    )
    args = parser.parse_args()
    if args.page:
        write_page()
        return
    if args.paired:
        rows = [row for name in args.files for row in load(None, name)]
        print(table_paired(rows, args.paired))
        return
    if args.compare:
        new = [row for name in args.compare for row in load("A", name)]
        print(table_compare(new, load("A")))
        return
    if args.files:
        rows = [row for name in args.files for row in load(None, name)]
        rows_a = [r for r in rows if r.get("part") == "A"]
        rows_b = [r for r in rows if r.get("part") == "B"]
        rows_c = {"files": [r for r in rows if "frechet_distance" in r]}
    else:
        rows_a, rows_b = load("A"), load("B")
        rows_c = {s: load("C", f"quality_{s}.jsonl") for s in ("test", "val")}
    if rows_a:
        for metric in [
            "balanced_accuracy",
            "roc_auc",
            "sensitivity",
            "specificity",
            "g_mean",
            "resample_s",
            "fit_s",
        ]:
            print(
                f"\n### Part A: {metric} (mean +- std over seeds, seeds in brackets)\n"
            )
            print(table_a(rows_a, metric))
        if args.plot:
            plot_a(rows_a, args.plot)
    if rows_b:
        print("\n### Part B\n")
        print(table_b(rows_b))
    for split, found in rows_c.items():
        if found:
            print(f"\n### Part C ({split})\n")
            print(table_c(found))


if __name__ == "__main__":
    main()
