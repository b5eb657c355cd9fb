"""The imbalance study (../shared/STUDY.md), parts A and B.

Part A: PneumoniaMNIST with all 1214 normal training images and
``n_minority`` pneumonia images drawn with the run's seed; scored on the full
official test set. Part B: digits split 50/50 (seed 0), classes 0 and 1 whole
and a tenth of every other class; scored on the untouched test half.

Every method is followed by the same CNNClassifier, seeded with the run's
seed. Nothing is chosen on the test split. Each finished run is appended to a
JSON-lines file at once, so an interrupted study keeps what it measured and a
rerun skips what is there; ``bench_report.py`` turns the file into tables.

Run by hand, one part at a time (part A with 7 methods, 5 sizes and 5 seeds
takes about 1.5 hours on a 2-core CPU; the GAN samplers, ``--methods dcgan
infogan``, about 2.5 minutes per run):

    python benchmarks/bench_study.py --part A --seeds 0 1 2 3 4
    python benchmarks/bench_study.py --part B --seeds 0 1 2 3 4
    python benchmarks/bench_report.py
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
from _common import METHODS, RESULTS, data_path, machine
from imblearn.metrics import geometric_mean_score
from imblearn.over_sampling import SMOTE, RandomOverSampler
from sklearn.datasets import load_digits
from sklearn.metrics import (
    balanced_accuracy_score,
    f1_score,
    recall_score,
    roc_auc_score,
)
from sklearn.model_selection import TunedThresholdClassifierCV, train_test_split

from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    ResampledClassifier,
    SuperpixelSampler,
)
from gansampler.datasets import load_pneumoniamnist

N_MINORITY = (10, 25, 50, 100, 250)


def parse_method(method):
    """A method name's parts: ``base[@strategy][+filter<p>][+weighted<s>][+cw]``.

    ``featuresmote@0.25+cw`` resamples the minority to a quarter of the
    majority with FeatureSMOTESampler, then trains with class weights;
    ``dcgan+filter0.9`` keeps only new images that a CNNClassifier of the
    real images gives 0.9 for their class; ``featuresmote+weighted0.25``
    is a ResampledClassifier whose new images carry a quarter of their
    class's weight. Every such setting is chosen on the validation split
    (``--split val``) before it is run on the test split.
    """
    base, *options = method.split("+")
    base, _, strategy = base.partition("@")
    parts = {"base": base, "strategy": float(strategy) if strategy else "auto"}
    for option in options:
        if option == "cw":
            parts["class_weight"] = "balanced"
        elif option.startswith("filter"):
            parts["filter"] = float(option[len("filter") :])
        elif option.startswith("weighted"):
            parts["share"] = float(option[len("weighted") :])
        else:
            raise ValueError(f"unknown option {option!r} in method {method!r}")
    return parts


def make_sampler(method, seed, min_count, gan_params=None):
    """The sampler of a method, or None; ``"auto"`` balances."""
    gan_params = gan_params or {}
    parts = parse_method(method)
    base, strategy = parts["base"], parts["strategy"]
    common = {"random_state": seed, "sampling_strategy": strategy}
    if "filter" in parts:
        common["filter_threshold"] = parts["filter"]
    if base in ("ros", "ros_augment"):
        return RandomOverSampler(random_state=seed, sampling_strategy=strategy)
    if base == "smote":
        # SMOTE needs more neighbours than it asks for.
        return SMOTE(
            random_state=seed,
            sampling_strategy=strategy,
            k_neighbors=min(5, min_count - 1),
        )
    if base == "dcgan":
        return DCGANSampler(**common, **gan_params)
    if base == "infogan":
        return InfoGANSampler(**common, **gan_params)
    if base == "featuregan":
        return FeatureGANSampler(**common, **gan_params)
    if base == "featuresmote":
        return FeatureSMOTESampler(**common, k_neighbors=min(5, min_count - 1))
    if base.startswith("superpixel_"):
        return SuperpixelSampler(mode=base.split("_", 1)[1], n_jobs=2, **common)
    return None


def imblearn_resample(sampler, X, y):
    """Resample images with one of imbalanced-learn's samplers.

    They take flat rows only. SMOTE also needs float rows: on ``uint8``
    pixels its differences between neighbours wrap around (imbalanced-learn
    0.14 keeps the input dtype), which turns the new images into noise.
    """
    rows = X.reshape(len(X), -1)
    if isinstance(sampler, SMOTE) and X.dtype == np.uint8:
        X_res, y_res = sampler.fit_resample(rows.astype(np.float32), y)
        X_res = np.clip(np.rint(X_res), 0, 255).astype(np.uint8)
    else:
        X_res, y_res = sampler.fit_resample(rows, y)
    return X_res.reshape((len(X_res),) + X.shape[1:]), y_res


def run_one(method, seed, X, y, classifier_params, gan_params):
    min_count = np.bincount(y)[np.bincount(y) > 0].min()
    parts = parse_method(method)
    sampler = make_sampler(method, seed, min_count, gan_params)
    weights = parts.get("class_weight")
    if parts["base"] == "class_weight":
        weights = "balanced"
    clf = CNNClassifier(
        random_state=seed,
        class_weight=weights,
        augment=parts["base"] == "ros_augment",
        **classifier_params,
    )
    if parts["base"] == "threshold":
        # Tuned for balanced accuracy by internal 5-fold cross-validation on
        # the training data (scikit-learn's default).
        clf = TunedThresholdClassifierCV(clf, scoring="balanced_accuracy")
    if "share" in parts:
        # The sampler runs inside the classifier's fit; its time counts there.
        # imbalanced-learn's samplers take flat rows (read back as 28x28).
        if parts["base"] in ("ros", "smote"):
            X = X.reshape(len(X), -1)
        clf = ResampledClassifier(clf, sampler, synthetic_share=parts["share"])
        sampler = None
    resample_s = 0.0
    if sampler is not None:
        start = time.perf_counter()
        if parts["base"] in ("ros", "ros_augment", "smote"):
            X, y = imblearn_resample(sampler, X, y)
        else:
            X, y = sampler.fit_resample(X, y)
        resample_s = time.perf_counter() - start
    start = time.perf_counter()
    clf.fit(X, y)
    return clf, resample_s, time.perf_counter() - start, len(y)


def part_a_data(path, n_minority, seed):
    X, y = load_pneumoniamnist("train", path)
    rng = np.random.RandomState(seed)
    pneumonia = rng.choice(np.flatnonzero(y == 1), n_minority, replace=False)
    keep = np.concatenate([np.flatnonzero(y == 0), pneumonia])
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


def done_keys(path):
    if not path.exists():
        return set()
    with open(path) as f:
        return {(r["method"], r["n_minority"], r["seed"]) for r in map(json.loads, f)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["A", "B"], required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--n-minority", type=int, nargs="+", default=list(N_MINORITY))
    parser.add_argument(
        "--methods",
        nargs="+",
        default=METHODS,
    )
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument("--out", default=None, help="JSON-lines file of results")
    parser.add_argument(
        "--reference", action="store_true", help="also fit on the full training set"
    )
    parser.add_argument(
        "--split",
        choices=["test", "val"],
        default="test",
        help="part A's evaluation split: 'val' to choose a method's settings",
    )
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else RESULTS / f"study_{args.part}.jsonl"
    done = done_keys(out)
    print(f"# {machine()} -> {out}", flush=True)

    if args.part == "A":
        path = data_path(args.data)
        X_test, y_test = load_pneumoniamnist(args.split, path)
        classifier_params, gan_params = {}, {}
        sizes = list(args.n_minority) + (["full"] if args.reference else [])
    else:
        X_train_full, X_test, y_train_full, y_test = part_b_split()
        # The defaults, as in part A: their training budgets follow the data
        # (issue 11), where part B once needed 30 epochs of batch 32 for the
        # classifier and 100 epochs of batch 32 for the GANs.
        classifier_params, gan_params = {}, {}
        sizes = ["tenth"] + (["full"] if args.reference else [])

    for n in sizes:
        for seed in args.seeds:
            if args.part == "A":
                if n == "full":
                    X, y = load_pneumoniamnist("train", path)
                else:
                    X, y = part_a_data(path, n, seed)
            else:
                X, y = (
                    (X_train_full, y_train_full)
                    if n == "full"
                    else part_b_data(X_train_full, y_train_full, seed)
                )
            methods = ["none"] if n == "full" else args.methods
            for method in methods:
                if (method, n, seed) in done:
                    continue
                clf, resample_s, fit_s, n_fit = run_one(
                    method, seed, X, y, classifier_params, gan_params
                )
                proba = clf.predict_proba(X_test)
                pred = clf.classes_[proba.argmax(axis=1)]
                row = {
                    "part": args.part,
                    "split": args.split if args.part == "A" else "test",
                    "method": method,
                    "n_minority": n,
                    "seed": seed,
                    "n_train": int(len(y)),
                    "n_fit": int(n_fit),
                    "balanced_accuracy": balanced_accuracy_score(y_test, pred),
                    "resample_s": resample_s,
                    "fit_s": fit_s,
                }
                if args.part == "A":
                    row.update(
                        roc_auc=roc_auc_score(y_test, proba[:, 1]),
                        sensitivity=recall_score(y_test, pred, pos_label=1),
                        specificity=recall_score(y_test, pred, pos_label=0),
                        g_mean=geometric_mean_score(y_test, pred),
                    )
                else:
                    row["macro_f1"] = f1_score(y_test, pred, average="macro")
                with open(out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
