"""Choose FeatureGANSampler's settings on the validation split.

Part A's training sets (all normal images, ``n_minority`` pneumonia images
drawn with the seed), FeatureGANSampler with one of a few settings, then the
study's CNNClassifier; scored on PneumoniaMNIST's *validation* split, never
the test split, so that the choice does not tune to the study's figures.
Each finished run is appended to results/feature_gan_val.jsonl.

    python benchmarks/bench_feature_gan.py --settings residual direct ros
"""

import argparse
import json
import time

from _common import RESULTS, data_path, machine
from bench_study import part_a_data
from imblearn.over_sampling import RandomOverSampler
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from gansampler import CNNClassifier, FeatureGANSampler
from gansampler.datasets import load_pneumoniamnist

SETTINGS = {
    # The library's defaults: the study's schedule, residual decoding.
    "residual": {},
    # The decoder's output as it is.
    "direct": {"decoding": "direct"},
    # The feature classifier learns as fast as the discriminator.
    "classifier_1e-4": {"classifier_learning_rate": 1e-4},
    # No pull from the feature classifier: a plain conditional GAN.
    "no_classifier": {"classifier_weight": 0.0},
    # Reference: random oversampling instead of FeatureGANSampler.
    "ros": None,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-minority", type=int, nargs="+", default=[10, 25])
    parser.add_argument("--data", default=None)
    args = parser.parse_args()
    path = data_path(args.data)
    X_val, y_val = load_pneumoniamnist("val", path)
    out = RESULTS / "feature_gan_val.jsonl"
    print(f"# {machine()} -> {out}", flush=True)
    for n in args.n_minority:
        for seed in args.seeds:
            X, y = part_a_data(path, n, seed)
            for name in args.settings:
                start = time.perf_counter()
                if SETTINGS[name] is None:
                    sampler = RandomOverSampler(random_state=seed)
                    rows, y_res = sampler.fit_resample(X.reshape(len(X), -1), y)
                    X_res = rows.reshape((-1,) + X.shape[1:])
                else:
                    sampler = FeatureGANSampler(random_state=seed, **SETTINGS[name])
                    X_res, y_res = sampler.fit_resample(X, y)
                resample_s = time.perf_counter() - start
                clf = CNNClassifier(random_state=seed).fit(X_res, y_res)
                proba = clf.predict_proba(X_val)[:, 1]
                row = {
                    "setting": name,
                    "n_minority": n,
                    "seed": seed,
                    "balanced_accuracy": balanced_accuracy_score(
                        y_val, (proba > 0.5).astype(int)
                    ),
                    "roc_auc": roc_auc_score(y_val, proba),
                    "resample_s": resample_s,
                }
                print(json.dumps(row), flush=True)
                with open(out, "a") as f:
                    f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
