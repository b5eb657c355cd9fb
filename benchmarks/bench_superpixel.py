"""SuperpixelSampler throughput: augmented images per second.

For 28x28 grayscale and 224x224 RGB images, each mode, n_jobs 1 and 2. The
first call with n_jobs=2 starts joblib's worker processes ("cold"); later
calls reuse them ("warm"), as in a grid search.

    python benchmarks/bench_superpixel.py
"""

import argparse
import time

import numpy as np
from _common import machine
from joblib.externals.loky import get_reusable_executor

from gansampler import SuperpixelSampler


def images_per_second(X, y, n_new, mode, n_jobs):
    sampler = SuperpixelSampler(
        mode=mode,
        n_jobs=n_jobs,
        random_state=0,
        sampling_strategy={1: int(np.sum(y == 1)) + n_new},
    )
    start = time.perf_counter()
    sampler.fit_resample(X, y)
    return n_new / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.RandomState(0)
    print(f"# {machine()}")
    print("| images | mode | n_jobs | cold (img/s) | warm (img/s, mean +- std) |")
    print("|---|---|---|---|---|")
    for shape, n_new in (((28, 28), 4000), ((224, 224, 3), 100)):
        X = rng.randint(0, 256, size=(200,) + shape).astype(np.uint8)
        y = np.r_[np.ones(100, int), np.zeros(100, int)]  # 100 real images to draw from
        for mode in ("geometric", "superpixel", "both"):
            for n_jobs in (1, 2):
                # A fresh process pool per row: end the previous one first.
                get_reusable_executor().shutdown(wait=True)
                cold = images_per_second(X, y, n_new, mode, n_jobs)
                warm = [
                    images_per_second(X, y, n_new, mode, n_jobs)
                    for _ in range(args.repeats)
                ]
                size = "x".join(map(str, shape))
                print(
                    f"| {size} | {mode} | {n_jobs} | {cold:.0f} | "
                    f"{np.mean(warm):.0f} +- {np.std(warm, ddof=1):.0f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
