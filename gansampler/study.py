"""The imbalance study on a user's data: which way of handling imbalance wins.

:func:`run_study` compares methods (no handling, class weights, threshold
tuning, the classifier's losses for imbalanced classes and deferred
re-balancing, random oversampling, SMOTE, each gansampler sampler and their
combinations) with the same :class:`CNNClassifier` after each, over seeds,
on a held-out split or stratified cross-validation. ``gansampler study`` is
its command line. Each finished run is appended to a CSV file at once, and a
restarted study skips the runs the file holds.

A method's name is ``base[@strategy][+filter<p>][+weighted<s>][+cw][+threshold]``:
``featuresmote@0.25+cw`` resamples every minority class to a quarter of the
majority with FeatureSMOTESampler, then trains with class weights;
``dcgan+filter0.9`` keeps only new images that a classifier of the real
images gives 0.9 for their class; ``featuresmote+weighted0.25`` is a
:class:`ResampledClassifier` whose new images carry a quarter of their
class's weight; ``focal+cw`` trains with the focal loss and class weights.
``+threshold`` tunes the decision threshold of any method for balanced
accuracy (two classes only), as ``threshold`` does for ``none`` (so
``none+threshold`` is ``threshold``, run for run): ``smote+threshold`` tunes
it by 5-fold cross-validation of SMOTE and the classifier together, SMOTE
resampling each fold's training images alone.
"""

__all__ = ["fit_method", "parse_method", "plot", "run_study", "summarize"]

import csv
import io
import json
from pathlib import Path

import numpy as np

from ._files import write_atomic
from ._methods import (  # noqa: F401 (re-exported)
    check_binary,
    file_in_the_way,
    fit_method,
    make_sampler,
    method_entry,
    option_errors,
    parse_method,
    score,
    splits,
    tunes_threshold,
)
from ._registry import METHODS, imblearn_resample  # noqa: F401 (re-exported)

# The base names, as they were listed before the registry held them.
BASES = tuple(METHODS)

# The simple fixes, the recipe's candidates (docs: "a recipe per regime")
# and each fast sampler; the GANs take minutes a fit and are asked by name.
DEFAULT_METHODS = (
    "none",
    "class_weight",
    "logit_adjusted",
    "threshold",
    "ros",
    "smote",
    "superpixel",
    "superpixel+weighted0.25",
    "featuresmote",
)
FIELDS = (
    "method",
    "seed",
    "fold",
    "balanced_accuracy",
    "roc_auc",
    "macro_f1",
    "resample_s",
    "fit_s",
)


def one_run(method, seed, fold, X, y, train, test):
    """Fit on ``train``, score on ``test``: one row of the results."""
    model, resample_s, fit_s, _ = fit_method(method, seed, X[train], y[train])
    row = {"method": method, "seed": seed, "fold": fold}
    row.update(score(model, X[test], y[test]))
    row.update(resample_s=resample_s, fit_s=fit_s)
    return row


def read_done(path):
    """The rows a results file holds (an interrupted study's included).

    A last line cut off by an interruption (no newline at its end) is
    removed from the file, so that the next row starts on a line of its own.
    Any other line that does not read as a finished run is an error that
    names the file and the line: nothing is counted as done from it.
    """
    if not path.exists():
        return []
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{path} is not a results file of this study: it is not text (byte "
            f"{error.start} is not UTF-8). Choose another output folder, or "
            "remove the file."
        ) from None
    whole = text[: text.rfind("\n") + 1]
    header = text.partition("\n")[0].rstrip("\r").split(",")  # csv ends rows in \r\n
    # A header cut short is a file of this study that holds no run.
    if header != list(FIELDS) and (whole or not ",".join(FIELDS).startswith(text)):
        raise ValueError(
            f"{path} is not a results file of this study: its first line is "
            f"{','.join(header)!r}, not {','.join(FIELDS)!r}. Choose another "
            "output folder, or remove the file."
        )
    reader = csv.reader(io.StringIO(whole, newline=""))
    next(reader, None)
    rows = [_parse_row(path, reader.line_num, values) for values in reader if values]
    if not whole:
        path.unlink()
    elif whole != text:
        write_atomic(path, lambda p: p.write_text(whole))
    return rows


def _parse_row(path, line, values):
    row = dict(zip(FIELDS, values, strict=False))
    try:
        if len(values) != len(FIELDS) or not row["method"]:
            raise ValueError
        row["seed"], row["fold"] = int(row["seed"]), int(row["fold"])
        row.update({k: float(row[k]) for k in FIELDS[3:]})
    except ValueError:
        raise ValueError(
            f"{path}, line {line}, is not a finished run: {','.join(values)!r} "
            f"does not read as {','.join(FIELDS)} (a method, two integers, five "
            "numbers). Repair or remove the line; a removed run is run again."
        ) from None
    return row


def check_setup(path, setup):
    """Refuse to resume a results file written for other data or settings."""
    if not path.exists():
        return
    try:
        before = json.loads(path.read_bytes())
    except ValueError:  # not UTF-8, or not JSON
        raise ValueError(
            f"{path} does not read as the settings of a study (JSON); choose "
            "another output folder, or remove the file."
        ) from None
    if before != setup:
        raise ValueError(
            f"{path.parent} holds a study of other data or settings "
            f"({before}); choose another output folder to study {setup}."
        )


def describe(X, y, cv, test_size):
    """What decides a study's runs besides method and seed."""
    import hashlib

    digest = hashlib.sha256(np.ascontiguousarray(X).tobytes())
    digest.update(np.asarray(y).astype(str).tobytes())
    return {
        "data": digest.hexdigest()[:16],
        "shape": list(np.shape(X)),
        "cv": cv,
        "test_size": None if cv else test_size,
    }


def append_row(path, row):
    """Append one finished run at once, so that an interruption loses only
    the runs still going."""
    new = not path.exists() or path.stat().st_size == 0
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({k: row[k] for k in FIELDS})
        f.flush()


def _one_thread_run(*args):
    """:func:`one_run` on one torch thread, restored afterwards: a run then
    computes the same numbers serially, in parallel or on a cluster."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return one_run(*args)
    finally:
        torch.set_num_threads(threads)


def default_methods(y):
    """``DEFAULT_METHODS``, less those that tune a binary cut (``threshold``)
    where ``y`` has more than two classes."""
    binary = len(np.unique(y)) <= 2
    return [m for m in DEFAULT_METHODS if binary or not tunes_threshold(m)]


def run_study(
    X,
    y,
    methods=None,
    seeds=(0, 1, 2),
    results=None,
    *,
    cv=None,
    test_size=0.3,
    n_jobs=1,
    scheduler=None,
    log=print,
):
    """Run every method on every seed (and fold); return the result rows.

    Rows already in ``results`` are kept and not run again; each new row is
    appended as soon as its run finishes. Every argument is checked, and
    every split drawn, before anything is written.

    Parameters
    ----------
    X : ndarray of shape (n, H, W), (n, H, W, C) or (n, D)
        The images.
    y : ndarray of shape (n,)
        Their labels.
    methods : sequence of str or None, default=None
        Method names (see the module's docstring), each once. None runs
        ``DEFAULT_METHODS``, less ``threshold`` where ``y`` has more than two
        classes (it tunes a binary cut).
    seeds : sequence of int, default=(0, 1, 2)
        Seeds, each once, from 0 to 2**32 - 1: each draws its own split and
        every estimator's ``random_state``.
    results : str, path or None, default=None
        CSV file of finished runs, to append to and resume from; a
        ``study.json`` beside it records the data and split settings, and a
        study of other data or settings is refused.
    cv : int or None, default=None
        Stratified k-fold (k >= 2) instead of one held-out split.
    test_size : float, default=0.3
        The held-out share, in (0, 1), when ``cv`` is None.
    n_jobs : int, default=1
        Runs side by side (joblib), each on one torch thread; -1 for one per
        CPU core.
    scheduler : str or None, default=None
        Address of a Dask scheduler to run the runs on instead.
    log : callable, default=print
        Called with each progress line.

    Returns
    -------
    rows : list of dict
        One per run of ``methods`` and ``seeds`` (and fold), finished before
        or now; the file keeps every run it ever finished.
    """
    import joblib

    errors = option_errors(seeds, cv, test_size, n_jobs)
    if errors:
        name, (value, rule) = next(iter(errors.items()))
        raise ValueError(f"{name}={value!r} {rule}.")
    if methods is None:
        methods = default_methods(y)
    for name, values in (("methods", methods), ("seeds", seeds)):
        repeated = sorted({v for v in values if list(values).count(v) > 1})
        if repeated:
            raise ValueError(
                f"{name} names {repeated} more than once; each run would be "
                "done and counted twice."
            )
    check_binary(methods, y)
    # Every split is drawn before anything is written.
    plan = [
        (seed, *split) for seed in seeds for split in splits(y, seed, cv, test_size)
    ]
    path = Path(results) if results is not None else None
    done = _start_results(path, describe(X, y, cv, test_size)) if path else []
    finished = {(r["method"], r["seed"], r["fold"]) for r in done}
    tasks = [
        (method, seed, fold, X, y, train, test)
        for seed, fold, train, test in plan
        for method in methods
        if (method, seed, fold) not in finished
    ]
    # The report covers the runs asked for; the file keeps every run.
    asked = set(seeds)
    rows = [r for r in done if r["method"] in methods and r["seed"] in asked]
    log(f"{len(tasks)} runs to go, {len(rows)} done before")
    calls = (joblib.delayed(_one_thread_run)(*task) for task in tasks)
    if scheduler is not None:
        from dask.distributed import Client

        with Client(scheduler), joblib.parallel_config(backend="dask"):
            outputs = joblib.Parallel(n_jobs=-1, return_as="generator_unordered")(calls)
            rows += _collect(outputs, path, len(tasks), log)
    else:
        outputs = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")(calls)
        rows += _collect(outputs, path, len(tasks), log)
    return rows


def _start_results(path, setup):
    """Check the results file and its folder, then make them ready: the
    folder made and ``study.json`` written only once all is well."""
    blocking = file_in_the_way(path.parent)
    if blocking is not None or path.is_dir():
        what = f"{blocking} is a file" if blocking else f"{path} is a folder"
        raise ValueError(
            f"results={str(path)!r} cannot be written: {what}. Give the name of "
            "a CSV file in a folder, new or of the same study."
        )
    study_json = path.with_name("study.json")
    check_setup(study_json, setup)
    done = read_done(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not study_json.exists():
        text = json.dumps(setup, sort_keys=True)
        write_atomic(study_json, lambda p: p.write_text(text))
    return done


def _collect(outputs, path, total, log):
    rows = []
    for k, row in enumerate(outputs, 1):
        if path is not None:
            append_row(path, row)
        rows.append(row)
        log(
            f"[{k}/{total}] {row['method']} seed {row['seed']} fold {row['fold']}: "
            f"balanced accuracy {row['balanced_accuracy']:.3f}, "
            f"AUC {row['roc_auc']:.3f}"
        )
    return rows


def summarize(rows, metrics=("balanced_accuracy", "roc_auc", "macro_f1")):
    """A markdown table of each method's mean and spread over seeds (and
    folds), best first by the first metric, and one line naming the best
    method and its margin over class weights."""
    by_method = {}
    for row in rows:
        by_method.setdefault(row["method"], []).append(row)
    stats = {
        m: {k: np.array([float(r[k]) for r in rs]) for k in metrics}
        for m, rs in by_method.items()
    }
    order = sorted(stats, key=lambda m: -stats[m][metrics[0]].mean())
    lines = [
        "| method | " + " | ".join(metrics) + " | runs |",
        "|---" * (len(metrics) + 2) + "|",
    ]
    for m in order:
        cells = [f"{v.mean():.3f} +- {_std(v):.3f}" for v in stats[m].values()]
        lines.append(f"| {m} | " + " | ".join(cells) + f" | {len(by_method[m])} |")
    best = order[0]
    verdict = f"Best by {metrics[0]}: {best}, {stats[best][metrics[0]].mean():.3f}"
    if "class_weight" in stats and best != "class_weight":
        gap = stats[best][metrics[0]].mean() - stats["class_weight"][metrics[0]].mean()
        spread = max(
            _std(stats[best][metrics[0]]), _std(stats["class_weight"][metrics[0]])
        )
        verdict += f", {gap:+.3f} over class_weight (spread over runs {spread:.3f})"
    return "\n".join(lines), verdict + "."


def _std(values):
    return values.std(ddof=1) if len(values) > 1 else 0.0


def plot(rows, metric="balanced_accuracy"):
    """A figure of each method's runs (one dot each) and mean, by ``metric``.

    Returns the :class:`matplotlib.figure.Figure`; it is not shown or saved.
    Needs matplotlib (the plot extra).
    """
    import matplotlib.pyplot as plt

    methods = sorted({r["method"] for r in rows})
    fig, ax = plt.subplots(figsize=(6, 0.4 * len(methods) + 1.2))
    for k, m in enumerate(methods):
        values = [float(r[metric]) for r in rows if r["method"] == m]
        ax.plot(values, [k] * len(values), "o", alpha=0.5, color="C0")
        ax.plot([np.mean(values)], [k], "|", markersize=18, color="C3")
    ax.set_yticks(range(len(methods)), methods)
    ax.set_xlabel(metric.replace("_", " "))
    fig.tight_layout()
    return fig
