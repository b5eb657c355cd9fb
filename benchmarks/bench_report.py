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
between its two markers) from the result files that ``SOURCES`` lists.
"""

import argparse
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from _common import RESULTS, ROOT

from gansampler._registry import METHODS


def load(part, name=None):
    path = RESULTS / (name or f"study_{part}.jsonl")
    if not path.exists():
        return []
    with open(path) as f:
        return [json.loads(line) for line in f]


def cell(values):
    values = np.asarray(values, float)
    std = values.std(ddof=1) if len(values) > 1 else 0.0
    return f"{values.mean():.3f} +- {std:.3f}"


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
                f"{cell([r[metric] for r in found])} ({seeds})" if found else ""
            )
        lines.append(f"| {m} | " + " | ".join(values) + " |")
    for m in ordered(m for m, n in cells if n == "full"):
        full = cells[(m, "full")]
        lines.append(
            f"\nFull training set, {m}: {metric} {cell([r[metric] for r in full])} "
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
                f"{cell([r[metric] for r in found])} ({len(found)})",
                f"{cell([r[metric] for r in same])} ({len(same)})" if same else "",
                f"{cell([r[metric] for r in before])} ({len(before)})"
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
                cells.append(cell(diff))
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
            + " | ".join(cell([r[k] for r in found]) for k in metrics)
            + f" | {len(found)} |"
        )
    return "\n".join(lines)


def table_c(rows):
    cells = group(rows, "method")
    lines = ["| method | Frechet distance | resample_s | seeds |", "|---|---|---|---|"]
    for (m,), found in cells.items():
        lines.append(
            f"| {m} | {cell([r['frechet_distance'] for r in found])} | "
            f"{cell([r['resample_s'] for r in found])} | {len(found)} |"
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


# --- The results page ------------------------------------------------------
#
# ``--page`` writes the current results into docs/benchmarks.md, between the
# two markers below. Which result lines are current is data, here: every
# result file of the study's parts A and D (and the full-set classifier files)
# is either a SOURCE (its test-split rows are current, but for the rows it
# drops) or in NOT_CURRENT, each with its reason. No two sources may give the
# same method, size and seed: a rerun must drop the older rows by name.
# Lines without ``split`` predate the validation runs (issue 14): they are
# test-split rows.

PAGE = ROOT / "docs" / "benchmarks.md"
BEGIN = "<!-- results: generated by benchmarks/bench_report.py --page; do not edit -->"
END = "<!-- results: end of the generated block -->"
BASELINES = ("none", "class_weight", "threshold")
REGIMES = (
    ("About 10 minority images", (10,)),
    ("About 25", (25,)),
    ("About 50", (50,)),
    ("100 and more", (100, 250)),
    ("The full training set", ("full",)),
)


@dataclass(frozen=True)
class Source:
    """A result file whose test-split rows are current.

    ``drop`` names the rows left out, ``"method"`` or ``"method n=25"``;
    ``sizes`` keeps only those ``n_minority``; ``commit`` and ``device`` are
    read from the archive's text for lines that predate those fields (the
    page marks them ``*``), ``later`` gives ``(method, n, seeds, commit)``
    where some of those lines ran at another commit.
    """

    file: str
    why: str
    drop: tuple = ()
    sizes: tuple = ()
    commit: str = ""
    device: str = ""
    later: tuple = ()


# fmt: off
SOURCES = (
    Source("study_A.jsonl", sizes=(100, 250), commit="d81bd34", device="cpu-2", why="the first full study (version 0.1's budgets); kept at n=100 and 250 only, for the methods not rerun since: issue 11's budgets moved every method there by about a point and no rank, where at n=10 they moved the baselines by 4 points", drop=("none n=100", "class_weight n=100", "dcgan n=100", "infogan n=100", "featuregan n=100", "none n=250", "class_weight n=250", "ros n=250", "smote n=250", "superpixel_both n=250", "dcgan n=250", "infogan n=250", "featuregan n=250")),  # noqa: E501
    Source("study_A_budgets_n10.jsonl", commit="ee69ac1", device="cpu-1", why="issue 11: the methods of the first study on the budgets that follow the data, n=10; class weights come from issue 14's five seeds (the same bits on seeds 0 to 2)", drop=("class_weight",)),  # noqa: E501
    Source("study_A_budgets_n250.jsonl", commit="ee69ac1", device="cpu-1", why="issue 11: the same at n=250, the newest rows of these methods there"),  # noqa: E501
    Source("study_A_trainer.jsonl", commit="5da52b0", device="cpu-1", why="issue 12: the GAN samplers on one trainer, with issue 11's budgets and fixed seeding, n=100"),  # noqa: E501
    Source("study_A_14.jsonl", commit="85ccb6e", device="cpu-1", later=(("threshold", 10, (2, 3, 4), "3212f66"),), why="issue 14: class weights, FeatureSMOTE, ros_augment, threshold tuning at n=10; its superpixel rows are of the border bug and its one threshold row at n=25 is superseded by the CPU rerun", drop=("superpixel+weighted0.25", "threshold n=25")),  # noqa: E501
    Source("study_A_14_fixed.jsonl", commit="0f06242", device="cpu-1", why="issue 14: superpixel+weighted0.25 rerun after SuperpixelSampler's border fix"),  # noqa: E501
    Source("study_A_14_h200.jsonl", commit="45502f7", device="cuda:H200", why="issue 14: threshold+cw at n=25, the only rows of that method"),  # noqa: E501
    Source("study_A_thr_cpu25.jsonl", why="issues 26 and 27: threshold tuning at n=25 rerun on the CPU, superseding the H100 rows"),  # noqa: E501
    Source("study_A_thr_cpu50.jsonl", why="issues 26 and 27: threshold tuning at n=50 rerun on the CPU, superseding the H100 rows"),  # noqa: E501
    Source("study_A_26.jsonl", why="issue 26: the logit-adjusted loss at n=10 to 250 and on the full set; its ldam_drw rows measure the loss that issue 33 replaced", drop=("ldam_drw",)),  # noqa: E501
    Source("study_A_27.jsonl", why="issue 27: variance transfer at a quarter weighted share"),  # noqa: E501
    Source("study_A_27t.jsonl", why="issue 27: the tuned cut of variance transfer's pipeline"),  # noqa: E501
    Source("study_A_34.jsonl", why="issue 34: no handling and class weights at n=100 on the current code, superseding the first study's"),  # noqa: E501
    Source("study_D_35_n10.jsonl", why="issue 35: part D (normal as the minority), n=10, the first rows: seeds 0 and 1 of the five cheap candidates, seed 2 of four; the rest is to run"),  # noqa: E501
    Source("study_D_35_n25.jsonl", why="issue 35: part D, n=25, the first rows: seeds 0 and 1 of the five cheap candidates, seed 2 of three; the rest is to run"),  # noqa: E501
    Source("backbones_time.jsonl", why="issue 26: CNNClassifier() on the full set at 28 and 64 pixels at the code of then; its ldam_drw rows measure the loss that issue 33 replaced", drop=("ldam_drw", "ldam_drw, 64 px")),  # noqa: E501
)
NOT_CURRENT = {
    "study_A_14_h100.jsonl": "threshold tuning at 25 and 50 on an H100, superseded by the CPU rerun (study_A_thr_cpu*.jsonl)",  # noqa: E501
    "study_A_34_before.jsonl": "issue 34's baseline: the code before its changes (b8f319b), superseded by study_A_34.jsonl",  # noqa: E501
    "backbones.jsonl": "issue 16: ResNet-18 beside light, an architecture comparison at older code; light rerun in backbones_time.jsonl, ldam_drw replaced by issue 33",  # noqa: E501
}
# fmt: on


def unclassified(results=None):
    """Committed result files of parts A and D and of the full-set
    classifier that neither SOURCES nor NOT_CURRENT lists (files still being
    written, untracked, wait until they are committed); validation files need
    no entry (their rows never appear as results)."""
    import subprocess

    results = RESULTS if results is None else results
    listed = {s.file for s in SOURCES} | set(NOT_CURRENT)
    done = subprocess.run(
        ["git", "ls-files", "."], cwd=results, capture_output=True, text=True
    )
    tracked = set(done.stdout.split()) if done.returncode == 0 else None
    names = [
        p.name
        for pattern in ("study_[AD]*.jsonl", "backbones*.jsonl")
        for p in results.glob(pattern)
        if tracked is None or p.name in tracked
    ]
    return sorted(
        name
        for name in names
        if name not in listed and not name.startswith(("study_A_val", "study_D_val"))
    )


def _normalise(row):
    """A backbones line as a study line: ``light@28`` is ``none`` on the
    full training set, ``light@64+ldam_drw`` is ``ldam_drw, 64 px``."""
    if "config" not in row:
        return row
    network, _, rest = row["config"].partition("@")
    size, _, loss = rest.partition("+")
    method = (loss or "none") + ("" if size == "28" else f", {size} px")
    if network != "light":
        method += f" ({network})"
    return {
        **row,
        "part": "A",
        "split": "test",
        "method": method,
        "n_minority": "full",
        "balanced_accuracy": row["bacc"],
        "roc_auc": row["auc"],
    }


def _dropped(source, row):
    for spec in source.drop:
        method, _, n = spec.partition(" n=")
        if row["method"] == method and (not n or str(row["n_minority"]) == n):
            return True
    return bool(source.sizes) and row["n_minority"] not in source.sizes


def current_rows(results=None):
    """The current test-split rows of SOURCES, each with ``commit`` and
    ``device`` (``*`` where read from the archive's text) and ``file``."""
    results = RESULTS if results is None else results
    rows, seen = [], {}
    for source in SOURCES:
        with open(results / source.file) as f:
            lines = [_normalise(json.loads(line)) for line in f if line.strip()]
        for row in lines:
            if row.get("split", "test") != "test" or _dropped(source, row):
                continue
            commit = row.get("commit") or f"{source.commit}*"
            for method, n, seeds, later in source.later:
                if (row["method"], row["n_minority"]) == (method, n) and row[
                    "seed"
                ] in seeds:
                    commit = f"{later}*"
            key = (row["part"], row["method"], row["n_minority"], row["seed"])
            if key in seen:
                raise ValueError(
                    f"{key} is in both {seen[key]} and {source.file}: drop the "
                    "superseded rows in bench_report.SOURCES"
                )
            seen[key] = source.file
            rows.append(
                {
                    **row,
                    "commit": commit,
                    "device": row.get("device") or f"{source.device}*",
                    "file": source.file,
                }
            )
    return rows


def _diff(new, base, metric):
    """``new - base`` paired by seed: the cell and the numbers behind it."""
    seeds = sorted(set(new) & set(base))
    if not seeds:
        return "-"
    d = [new[s][metric] - base[s][metric] for s in seeds]
    std = np.std(d, ddof=1) if len(d) > 1 else 0.0
    ahead = sum(x > 0 for x in d)
    return f"{np.mean(d):+.3f} +- {std:.3f}, ahead on {ahead} of {len(d)}"


def regime_tables(rows, part, n):
    """The markdown of one part at one size: every method, best mean
    balanced accuracy first, paired by seed against the strongest baseline,
    then against the other baselines. Returns (text, figures), ``figures``
    mapping (method, column) to each cell's text."""
    cells = {}
    for r in rows:
        if r["part"] == part and r["n_minority"] == n:
            cells.setdefault(r["method"], {})[r["seed"]] = r
    if not cells:
        return "", {}

    def mean(m, metric="balanced_accuracy"):
        return np.mean([r[metric] for r in cells[m].values()])

    methods = sorted(cells, key=lambda m: (-mean(m), m))
    baselines = [m for m in methods if m in BASELINES]
    strongest = baselines[0] if baselines else None
    metrics = ("balanced_accuracy", "roc_auc")
    figures = {}
    size = "full training set" if n == "full" else f"n={n}"
    lines = []
    if strongest:
        lines.append(
            f"Part {part}, {size}; the strongest baseline is `{strongest}` "
            f"(balanced accuracy {mean(strongest):.3f}).\n"
        )
        header = ["balanced accuracy", "ROC AUC"]
        header += [
            f"{h}, minus `{strongest}`" for h in ("balanced accuracy", "ROC AUC")
        ]
    else:
        lines.append(f"Part {part}, {size}; no baseline has rows here.\n")
        header = ["balanced accuracy", "ROC AUC"]
    header = ["method", "seeds", *header, "commit", "device"]
    lines += ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    for m in methods:
        found = cells[m]
        row = [f"`{m}`", str(len(found))]
        for metric in metrics:
            figures[(m, metric)] = cell([r[metric] for r in found.values()])
            row.append(figures[(m, metric)])
        if strongest:
            for metric in metrics:
                text = (
                    "(the baseline)"
                    if m == strongest
                    else _diff(found, cells[strongest], metric)
                )
                figures[(m, f"{metric} - {strongest}")] = text
                row.append(text)
        row.append(", ".join(sorted({r["commit"] for r in found.values()})))
        row.append(", ".join(sorted({r["device"] for r in found.values()})))
        lines.append("| " + " | ".join(row) + " |")
    others = baselines[1:]
    if others:
        lines.append(
            f"\nPart {part}, {size}, paired by seed against the other baselines:\n"
        )
        header = ["method"] + [
            f"{h}, minus `{b}`"
            for b in others
            for h in ("balanced accuracy", "ROC AUC")
        ]
        lines += ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
        for m in methods:
            row = [f"`{m}`"]
            for b in others:
                for metric in metrics:
                    text = "-" if m == b else _diff(cells[m], cells[b], metric)
                    figures[(m, f"{metric} - {b}")] = text
                    row.append(text)
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines), figures


def results_page(results=None):
    """The generated block of docs/benchmarks.md, markers included, and
    the figures of its tables: {(part, n, method, column): cell text}."""
    rows = current_rows(results)
    parts = sorted({r["part"] for r in rows})
    out = [
        BEGIN,
        "",
        "## Current results",
        "",
        "Every table below is generated by `python benchmarks/bench_report.py "
        "--page` from the committed result lines in `benchmarks/results/`: the "
        "test split only (validation rows chose the methods and never appear "
        "here), the newest rows of each method at each size, as listed, with "
        "the reason, in `SOURCES` in `benchmarks/bench_report.py`. Cells are "
        "`mean +- standard deviation` over seeds. The baselines are no "
        "handling (`none`), class weights (`class_weight`) and threshold "
        "tuning (`threshold`); the strongest is the one with the highest mean "
        'balanced accuracy at that size. "minus" columns pair by seed: the '
        "mean difference +- its spread, and on how many of the shared seeds "
        "the method is ahead. A method wins only when it is ahead on at least "
        "4 of 5 seeds. Balanced accuracy is at the 0.5 cut, where the test "
        "split's shift weighs most; ROC AUC is free of the cut. The commit and "
        "device are those of the rows (`cpu-1`: one torch thread a process on "
        "the 2-core machine); `*` marks those read from the archive's text, "
        "for lines that predate those fields. Rows of different commits or "
        "devices are paired all the same: that is part of the noise.",
    ]
    figures = {}
    for title, sizes in REGIMES:
        out += ["", f"### {title}"]
        for n in sizes:
            for part in parts:
                text, found = regime_tables(rows, part, n)
                if text:
                    out += ["", text]
                    figures.update({(part, n, *k): v for k, v in found.items()})
    out += ["", END]
    return "\n".join(out) + "\n", figures


def write_page(page=PAGE):
    """Rewrite the block between BEGIN and END in ``page``, atomically."""
    text = page.read_text()
    if text.count(BEGIN) != 1 or text.count(END) != 1:
        raise ValueError(f"{page} needs one {BEGIN!r} and one {END!r} line")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    block, _ = results_page()
    tmp = page.with_name(page.name + ".tmp")
    tmp.write_text(head + block.rstrip("\n") + tail)
    os.replace(tmp, page)


# --- The recipe's figures -------------------------------------------------
#
# Every figure that the user guide's recipe (docs/user_guide.rst, "Which
# handling to try: a recipe per regime") quotes for a method at a size, and
# the cell of the results page it comes from. ``quoted`` is the recipe's text;
# ``column`` a metric or "metric - base" (paired by seed); ``flip`` reads the
# cell as base minus method (the recipe's "threshold tuning was ahead of the
# logit-adjusted loss"); ``ahead`` the seeds the recipe says the method is
# ahead on (``quoted`` is empty where the recipe gives only those). ``now``
# is the page's figure where the recipe disagrees with the current rows.
# tests/test_results_page.py checks each against the page.
# Figures that pair with a method that is not a baseline (variance transfer
# against the logit-adjusted loss), sensitivity, specificity and ranges over
# several methods are not on the page and not listed.


@dataclass(frozen=True)
class RecipeFigure:
    n: object
    method: str
    column: str
    quoted: str
    ahead: int | None = None
    flip: bool = False
    now: str | None = None
    part: str = "A"


BA, AUC = "balanced_accuracy", "roc_auc"
# fmt: off
RECIPE_FIGURES = (
    RecipeFigure(10, "logit_adjusted", BA, "0.834"),
    RecipeFigure(10, "logit_adjusted", f"{BA} - class_weight", "+0.027 +- 0.015", ahead=5),  # noqa: E501
    RecipeFigure(10, "threshold", BA, "0.819"),
    RecipeFigure(10, "logit_adjusted", f"{BA} - threshold", "+0.015 +- 0.033"),
    RecipeFigure(10, "class_weight", BA, "0.808"),
    RecipeFigure(10, "superpixel+weighted0.25", BA, "0.805"),
    RecipeFigure(10, "variance_transfer+threshold", BA, "0.859"),
    RecipeFigure(10, "variance_transfer+threshold", AUC, "0.947"),
    RecipeFigure(10, "variance_transfer+threshold", f"{BA} - threshold", "+0.040 +- 0.032", ahead=5),  # noqa: E501
    RecipeFigure(25, "threshold", BA, "0.880"),
    RecipeFigure(25, "class_weight", BA, "0.849"),
    RecipeFigure(25, "threshold", f"{BA} - class_weight", "+0.031 +- 0.011", ahead=5),  # noqa: E501
    RecipeFigure(25, "logit_adjusted", BA, "0.869"),
    RecipeFigure(25, "logit_adjusted", f"{BA} - threshold", "+0.011 +- 0.012", ahead=4, flip=True),  # noqa: E501
    RecipeFigure(25, "logit_adjusted", f"{BA} - class_weight", "+0.020 +- 0.016", ahead=4),  # noqa: E501
    RecipeFigure(25, "variance_transfer+weighted0.25", AUC, "0.958"),
    RecipeFigure(25, "variance_transfer+weighted0.25", f"{AUC} - class_weight", "+0.006 +- 0.005", ahead=5),  # noqa: E501
    RecipeFigure(25, "threshold", AUC, "0.957"),
    RecipeFigure(25, "variance_transfer+threshold", BA, "0.880"),
    RecipeFigure(25, "variance_transfer+threshold", AUC, "0.961"),
    RecipeFigure(25, "variance_transfer+threshold", f"{BA} - threshold", "-0.000 +- 0.008"),  # noqa: E501
    RecipeFigure(25, "variance_transfer+threshold", f"{BA} - class_weight", "", ahead=5),  # noqa: E501
    RecipeFigure(25, "variance_transfer+threshold", f"{AUC} - threshold", "+0.004 +- 0.002", ahead=5),  # noqa: E501
    RecipeFigure(25, "featuresmote", AUC, "0.957"),
    RecipeFigure(25, "featuresmote", BA, "0.82"),
    RecipeFigure(50, "threshold", BA, "0.898"),
    RecipeFigure(50, "threshold", AUC, "0.965"),
    RecipeFigure(50, "class_weight", BA, "0.891"),
    RecipeFigure(50, "class_weight", AUC, "0.962"),
    RecipeFigure(50, "logit_adjusted", BA, "0.892"),
    RecipeFigure(50, "threshold", f"{BA} - class_weight", "+0.007 +- 0.005", ahead=5),  # noqa: E501
    RecipeFigure(50, "logit_adjusted", f"{BA} - threshold", "+0.006 +- 0.005", ahead=5, flip=True),  # noqa: E501
    RecipeFigure(50, "variance_transfer+weighted0.25", AUC, "0.965"),
    RecipeFigure(50, "variance_transfer+weighted0.25", BA, "0.889"),
    RecipeFigure(50, "variance_transfer+weighted0.25", f"{AUC} - class_weight", "+0.003 +- 0.001", ahead=5),  # noqa: E501
    RecipeFigure(50, "variance_transfer+threshold", AUC, "0.968"),
    RecipeFigure(50, "variance_transfer+threshold", f"{AUC} - threshold", "", ahead=5),  # noqa: E501
    RecipeFigure(50, "variance_transfer+threshold", BA, "0.878"),
    RecipeFigure(50, "superpixel+weighted0.25", BA, "0.879"),
    RecipeFigure(50, "superpixel+weighted0.25", f"{AUC} - threshold", "", ahead=0),  # noqa: E501
    RecipeFigure(50, "featuresmote", AUC, "0.966"),
    RecipeFigure(50, "featuresmote", BA, "0.87"),
    RecipeFigure(250, "none", BA, "0.923"),
    RecipeFigure(250, "ros", BA, "0.922"),
    RecipeFigure(250, "dcgan", BA, "0.922"),
    RecipeFigure(250, "smote", BA, "0.914"),
    RecipeFigure(250, "class_weight", BA, "0.905"),
    RecipeFigure(250, "logit_adjusted", f"{BA} - none", "0.028", ahead=3, flip=True),  # noqa: E501
    RecipeFigure(100, "class_weight", BA, "0.906"),
    RecipeFigure(100, "dcgan", BA, "0.907"),
    RecipeFigure(100, "featuregan", BA, "0.909"),
    RecipeFigure(100, "ros", BA, "0.902"),
    RecipeFigure(100, "smote", BA, "0.903"),
)
# fmt: on
_CELL = re.compile(r"([+-]?\d\.\d+)(?: \+- (\d\.\d+))?(?:, ahead on (\d+) of (\d+))?$")


def page_figure(figure, cell):
    """What the page says for ``figure``, read from the ``cell`` of its
    table: the figure at the recipe's precision (None where the recipe
    quotes only the seeds), and the seeds on which the method is ahead
    (None where the cell has no pairs)."""
    mean, std, ahead, n = _CELL.match(cell).groups()
    if figure.flip:
        mean, ahead = -float(mean), ahead and int(n) - int(ahead)
    ahead = None if ahead is None else int(ahead)
    if not figure.quoted:
        return None, ahead
    head = figure.quoted.split(" ")[0]
    digits = len(head.split(".")[1])
    text = (
        f"{float(mean):+.{digits}f}" if head[0] in "+-" else f"{float(mean):.{digits}f}"
    )
    if " +- " in figure.quoted:
        text += f" +- {float(std):.{digits}f}"
    return text, ahead


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
