"""FeatureSMOTESampler's fit_resample time on part A's data (issue 14's
target: within 10 s at n_minority=100), with the defaults.

    python bench_feature_smote.py --n-minority 100 --seeds 0 1 2

Prints one JSON line per run (seconds, images made); nothing is scored.
"""

import argparse
import json
import time

from _common import data_path, machine
from bench_study import part_a_data

from gansampler import FeatureSMOTESampler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-minority", type=int, nargs="+", default=[100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    args = parser.parse_args()
    print(f"# {machine()}", flush=True)
    for n in args.n_minority:
        for seed in args.seeds:
            X, y = part_a_data(data_path(args.data), n, seed)
            start = time.perf_counter()
            X_res, _ = FeatureSMOTESampler(random_state=seed).fit_resample(X, y)
            seconds = time.perf_counter() - start
            row = {"n_minority": n, "seed": seed, "fit_resample_s": seconds}
            row["n_new"] = int(len(X_res) - len(X))
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
