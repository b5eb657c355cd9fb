"""M2mSampler's acceptance rate: how many of its new images are translations.

Issue 33: on a few digit images M2mSampler kept no translation, and every
new image was a copy of a real one. This measures, on training data only
(no validation or test image is read), the share of each class's new images
that are translations (``acceptance_rate_``) on:

- ``pneumonia_n25``: part A's training set at ``n_minority=25`` (all 1214
  normal training images and 25 pneumonia ones drawn with the seed, as
  ``bench_study.py --part A`` draws them);
- ``digits_part_b``: part B's training set (``load_digits`` split 50/50 with
  seed 0, classes 0 and 1 whole and a tenth of every other class drawn with
  the seed); at seed 0 it is ``examples/quickstart.py``'s training set;
- ``digits_0_1``: digits 0 and 1 with a fifth of the 1s, the tests' set.

For each seed: ``M2mSampler(random_state=seed)`` at its defaults (its
default classifier fitted inside), then other settings with that same
classifier, fitted, in a ``FrozenEstimator``: ``source_beta=0`` lets every
source image through, so that its rate is the acceptance threshold's alone.
Each line records the class sizes, the new images and the translations per
class, the share that the source rule alone lets through (the mean over
draws of ``1 - source_beta ** d``, d the lead of the source image's class),
the warnings and the commit and device. The lines written before issue 35
name the parameter ``seed_beta`` and the share ``seed_rule_share``.

With ``--val``, the images that the defaults and the settings in
``VAL_VARIANTS`` make on ``pneumonia_n25`` train the study's classifier,
``CNNClassifier(random_state=seed)``, scored on PneumoniaMNIST's validation
split (never the test split): whether a setting that translates more is
worth a default.

    python benchmarks/bench_m2m_acceptance.py --seeds 0 1 --val
"""

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from _common import RESULTS, data_path, machine, provenance
from bench_study import part_a_data, part_b_data, part_b_split
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from gansampler import CNNClassifier, M2mSampler
from gansampler.datasets import load_pneumoniamnist

SETTINGS = ("pneumonia_n25", "digits_part_b", "digits_0_1")

# Settings tried with the defaults' classifier, frozen: each named by what
# differs from the defaults.
VARIANTS = [
    {"source_beta": 0.0},
    {"source_beta": 0.99},
    {"source_beta": 0.9},
    {"step_size": 0.5},
    {"source_beta": 0.0, "step_size": 0.5},
]

# Those scored on the validation split with --val, beside the defaults.
VAL_VARIANTS = [{"step_size": 0.5}, {"source_beta": 0.0, "step_size": 0.5}]


def training_set(setting, seed, path):
    if setting == "pneumonia_n25":
        return part_a_data(path, 25, seed)
    if setting == "digits_part_b":
        X_train, _, y_train, _ = part_b_split()
        return part_b_data(X_train, y_train, seed)
    X, y = load_digits(n_class=2, return_X_y=True)
    keep = (y == 0) | (np.arange(len(y)) % 5 == 0)
    return X[keep].reshape(-1, 8, 8), y[keep]


def source_rule_share(counts, label, source_beta):
    """The share of draws for class ``label`` whose source image the source
    rule lets through: source images are drawn with weight
    w = 1 - source_beta ** d and kept with probability w, so
    sum(w ** 2) / sum(w) over the images."""
    lead = np.clip(np.array(list(counts.values())) - counts[label], 0, None)
    weight = 1.0 - source_beta ** lead.astype(float)
    per_image = np.repeat(weight, list(counts.values()))
    return float((per_image**2).sum() / per_image.sum()) if weight.any() else 0.0


def measure(sampler, X, y):
    """Fit ``sampler``; its rates, counts, time and M2m's warnings, and the
    resampled images."""
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X_res, y_res = sampler.fit_resample(X, y)
    seconds = time.perf_counter() - start
    counts = {
        int(k): int(v) for k, v in zip(*np.unique(y, return_counts=True), strict=True)
    }
    new = {int(k): int(v) for k, v in sampler.sampling_strategy_.items() if v}
    rate = {int(k): float(v) for k, v in sampler.acceptance_rate_.items()}
    beta = sampler.source_beta
    row = {
        "class_counts": counts,
        "new_images": new,
        "acceptance_rate": rate,
        "translations": {k: round(rate[k] * new[k]) for k in new},
        "source_rule_share": {k: source_rule_share(counts, k, beta) for k in new},
        "overall_rate": sum(rate[k] * new[k] for k in new) / sum(new.values()),
        "warnings": [
            str(w.message) for w in caught if str(w.message).startswith("M2mSampler")
        ],
        "seconds": round(seconds, 2),
    }
    return row, X_res, y_res


def validation_scores(X_res, y_res, seed, path):
    """The study's classifier fitted on the resampled images, scored on the
    validation split."""
    X_val, y_val = load_pneumoniamnist("val", path)
    clf = CNNClassifier(random_state=seed).fit(X_res, y_res)
    return {
        "val_balanced_accuracy": balanced_accuracy_score(y_val, clf.predict(X_val)),
        "val_roc_auc": roc_auc_score(y_val, clf.predict_proba(X_val)[:, 1]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--settings", nargs="+", choices=SETTINGS, default=SETTINGS)
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument("--out", default=str(RESULTS / "m2m_acceptance.jsonl"))
    parser.add_argument(
        "--val",
        action="store_true",
        help="also score pneumonia_n25's images on the validation split",
    )
    args = parser.parse_args()
    out = Path(args.out)
    print(f"# {machine()} -> {out}", flush=True)
    for setting in args.settings:
        for seed in args.seeds:
            X, y = training_set(setting, seed, data_path(args.data))
            default = M2mSampler(random_state=seed)
            runs = [({}, "fitted inside", default)]
            runs += [(params, "the defaults', frozen", None) for params in VARIANTS]
            for params, classifier, sampler in runs:
                if sampler is None:
                    frozen = FrozenEstimator(default.classifier_)
                    sampler = M2mSampler(classifier=frozen, random_state=seed, **params)
                measured, X_res, y_res = measure(sampler, X, y)
                row = {
                    "setting": setting,
                    "seed": seed,
                    "params": params,
                    "classifier": classifier,
                    **measured,
                }
                scored = params == {} or params in VAL_VARIANTS
                if args.val and setting == "pneumonia_n25" and scored:
                    row.update(
                        validation_scores(X_res, y_res, seed, data_path(args.data))
                    )
                row.update(provenance(), machine=machine())
                with open(out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(
                    f"{setting} seed {seed} {params or 'defaults'}: "
                    f"{row['overall_rate']:.3f} translations "
                    f"(source rule alone "
                    f"{min(row['source_rule_share'].values()):.3f}"
                    f"-{max(row['source_rule_share'].values()):.3f}), "
                    f"{row['seconds']} s"
                    + (
                        f"; validation {row['val_balanced_accuracy']:.3f} / "
                        f"{row['val_roc_auc']:.4f}"
                        if "val_roc_auc" in row
                        else ""
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
