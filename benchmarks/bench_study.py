"""The imbalance study (../shared/STUDY.md), parts A, B and D.

Part A: PneumoniaMNIST with all 1214 normal training images and
``n_minority`` pneumonia images drawn with the run's seed; scored on the full
official test set. Part D, its mirror: 1214 pneumonia training images and
``n_minority`` normal ones (10, 25 or 50), both drawn with the run's seed;
scored the same way, with the minority's recall (normal: specificity) as
``minority_recall``. Part B: digits split 50/50 (seed 0), classes 0 and 1 whole
and a tenth of every other class; scored on the untouched test half.

Every method is followed by the same CNNClassifier, seeded with the run's
seed. Nothing is chosen on the test split. Each finished run is appended to a
JSON-lines file at once, so an interrupted study keeps what it measured and a
rerun skips what is there; ``bench_report.py`` turns the file into tables.

Run by hand, one part at a time. ``--methods`` takes the study's method
names (``gansampler.study``); without it, the methods that ``gansampler
study`` runs by default (less ``threshold`` in part B, which has ten
classes). The first study's 7 methods at 5 sizes and 5 seeds took about 1.5
hours on a 2-core CPU; the GAN samplers, ``--methods dcgan infogan``, about
2.5 minutes per run:

    python benchmarks/bench_study.py --part A --seeds 0 1 2 3 4
    python benchmarks/bench_study.py --part B --seeds 0 1 2 3 4
    python benchmarks/bench_report.py

``--sampler-param transfer_scale=0.5`` gives the methods' sampler a setting
other than its default, to measure it on the validation split; each result
line records it. The seed (``--seeds``) and the method's ``@strategy``
suffix set ``random_state`` and ``sampling_strategy``, so these are refused
there.
"""

import argparse
import json
from pathlib import Path

import numpy as np
from _common import RESULTS, data_path, machine, provenance
from imblearn.metrics import geometric_mean_score
from sklearn.datasets import load_digits
from sklearn.metrics import (
    balanced_accuracy_score,
    f1_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split

from gansampler._methods import with_sampler_params
from gansampler._registry import METHODS as REGISTRY
from gansampler.datasets import load_pneumoniamnist
from gansampler.study import default_methods, fit_method, parse_method

N_MINORITY = (10, 25, 50, 100, 250)
N_MINORITY_D = (10, 25, 50)
# Part D's majority: as many pneumonia images as part A has normal ones.
N_MAJORITY_D = 1214


# One copy of the methods: the library's registry, which ``gansampler study``
# and ``gansampler resample`` read too.
run_one = fit_method


def method_name(text):
    """A --methods name, checked before the first run rather than at its own."""
    try:
        parse_method(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def sampler_param(text):
    """A --sampler-param, ``name=value``; the value read as JSON (a number),
    else kept as text."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"{text!r}: write name=value")
    try:
        value = json.loads(value)
    except json.JSONDecodeError:
        pass
    return name, value


def set_sampler_params(methods, params):
    """Give the samplers of ``methods`` the settings ``params`` in the
    registry, for this process only (to measure a setting on validation).
    Each setting is checked before the first run by the library
    (``with_sampler_params``): a misspelt name, a value out of range, and
    ``random_state`` or ``sampling_strategy``, which each run sets from its
    seed and the method's name, are refused. Returns the bases given them."""
    try:
        entries = with_sampler_params(methods, params)
    except ValueError as error:
        raise SystemExit(f"--sampler-param {error}") from None
    REGISTRY.update(entries)
    return set(entries)


def part_a_data(path, n_minority, seed):
    X, y = load_pneumoniamnist("train", path)
    rng = np.random.RandomState(seed)
    pneumonia = rng.choice(np.flatnonzero(y == 1), n_minority, replace=False)
    keep = np.concatenate([np.flatnonzero(y == 0), pneumonia])
    return X[keep], y[keep]


def part_d_data(path, n_minority, seed):
    """Part D: ``N_MAJORITY_D`` pneumonia and ``n_minority`` normal training
    images, both drawn without replacement by one generator seeded with
    ``seed`` (pneumonia first), normal images first as in part A."""
    X, y = load_pneumoniamnist("train", path)
    rng = np.random.RandomState(seed)
    pneumonia = rng.choice(np.flatnonzero(y == 1), N_MAJORITY_D, replace=False)
    normal = rng.choice(np.flatnonzero(y == 0), n_minority, replace=False)
    keep = np.concatenate([normal, pneumonia])
    return X[keep], y[keep]


def part_b_split():
    X, y = load_digits(return_X_y=True)
    X = X.reshape(-1, 8, 8)
    return train_test_split(X, y, test_size=0.5, stratify=y, random_state=0)


def part_b_data(X_train, y_train, seed):
    rng = np.random.RandomState(seed)
    keep = []
    for label in np.unique(y_train):
        idx = np.flatnonzero(y_train == label)
        if label not in (0, 1):
            idx = rng.choice(idx, max(2, len(idx) // 10), replace=False)
        keep.append(idx)
    keep = np.sort(np.concatenate(keep))
    return X_train[keep], y_train[keep]


def done_keys(path, sampler_params=None):
    """The runs in ``path`` with these sampler settings (none by default),
    as (method, size, seed): a rerun skips them."""
    if not path.exists():
        return set()
    with open(path) as f:
        rows = [json.loads(line) for line in f]
    return {
        (r["method"], r["n_minority"], r["seed"])
        for r in rows
        if r.get("sampler_params", {}) == (sampler_params or {})
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["A", "B", "D"], required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument(
        "--n-minority",
        type=int,
        nargs="+",
        default=None,
        help=f"part A: default {N_MINORITY}; part D: default {N_MINORITY_D}",
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        type=method_name,
        default=None,
        help="method names (default: those that gansampler study runs)",
    )
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument("--out", default=None, help="JSON-lines file of results")
    parser.add_argument(
        "--reference", action="store_true", help="also fit on the full training set"
    )
    parser.add_argument(
        "--reference-methods",
        nargs="+",
        type=method_name,
        default=["none"],
        help="the methods fitted on the full training set (with --reference)",
    )
    parser.add_argument(
        "--split",
        choices=["test", "val"],
        default="test",
        help="part A's or D's evaluation split: 'val' to choose a method's settings",
    )
    parser.add_argument(
        "--sampler-param",
        type=sampler_param,
        action="append",
        default=[],
        help="name=value, a setting of the methods' sampler (repeatable); "
        "recorded in each result line as sampler_params",
    )
    args = parser.parse_args()
    pneumonia = args.part in ("A", "D")
    if pneumonia:
        path = data_path(args.data)
        X_test, y_test = load_pneumoniamnist(args.split, path)
        classes = np.array([0, 1])
        classifier_params, gan_params = {}, {}
        default_sizes = N_MINORITY if args.part == "A" else N_MINORITY_D
        sizes = list(args.n_minority or default_sizes)
        # The full training set is the same in both directions: part A's.
        sizes += ["full"] if args.reference and args.part == "A" else []
    else:
        X_train_full, X_test, y_train_full, y_test = part_b_split()
        classes = np.unique(y_train_full)
        # The defaults, as in part A: their training budgets follow the data
        # (issue 11), where part B once needed 30 epochs of batch 32 for the
        # classifier and 100 epochs of batch 32 for the GANs.
        classifier_params, gan_params = {}, {}
        sizes = ["tenth"] + (["full"] if args.reference else [])
    # By default the methods that ``gansampler study`` runs, less threshold
    # tuning where there are more than two classes.
    study_methods = args.methods or default_methods(classes)
    sampler_params = dict(args.sampler_param)
    given = set_sampler_params(study_methods, sampler_params)

    def settings(method):
        """The sampler settings that ``method``'s runs have, and record."""
        return sampler_params if parse_method(method)["base"] in given else {}

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else RESULTS / f"study_{args.part}.jsonl"
    done = {False: done_keys(out), True: done_keys(out, sampler_params)}
    print(f"# {machine()} -> {out}", flush=True)

    for n in sizes:
        for seed in args.seeds:
            if pneumonia:
                if n == "full":
                    X, y = load_pneumoniamnist("train", path)
                elif args.part == "A":
                    X, y = part_a_data(path, n, seed)
                else:
                    X, y = part_d_data(path, n, seed)
            else:
                X, y = (
                    (X_train_full, y_train_full)
                    if n == "full"
                    else part_b_data(X_train_full, y_train_full, seed)
                )
            methods = args.reference_methods if n == "full" else study_methods
            for method in methods:
                if (method, n, seed) in done[bool(settings(method))]:
                    continue
                given_params = settings(method)
                clf, resample_s, fit_s, n_fit = run_one(
                    method, seed, X, y, classifier_params, gan_params
                )
                proba = clf.predict_proba(X_test)
                # predict, not the argmax of proba: threshold tuning moves the cut.
                pred = clf.predict(X_test)
                row = {
                    "part": args.part,
                    "split": args.split if pneumonia else "test",
                    "method": method,
                    "n_minority": n,
                    "seed": seed,
                    "n_train": int(len(y)),
                    "n_fit": int(n_fit),
                    "balanced_accuracy": balanced_accuracy_score(y_test, pred),
                    "resample_s": resample_s,
                    "fit_s": fit_s,
                    **({"sampler_params": given_params} if given_params else {}),
                    **provenance(),
                }
                if pneumonia:
                    row.update(
                        roc_auc=roc_auc_score(y_test, proba[:, 1]),
                        sensitivity=recall_score(y_test, pred, pos_label=1),
                        specificity=recall_score(y_test, pred, pos_label=0),
                        g_mean=geometric_mean_score(y_test, pred),
                    )
                    minority = 0 if args.part == "D" else 1
                    row["minority_recall"] = recall_score(
                        y_test, pred, pos_label=minority
                    )
                else:
                    row["macro_f1"] = f1_score(y_test, pred, average="macro")
                with open(out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
