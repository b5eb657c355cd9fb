"""Convolutions or perceptrons for the GANs' networks on 8x8 images (issue 34).

On 100 digit images (10 a class, the split of ``bench_data_size.py --part
gan``), each of DCGANSampler() and InfoGANSampler() is fitted with its
networks convolutional from ``side`` pixels a side, for side 8 (the rule
before issue 34: 8x8 digits get convolutions) and 16 (the rule after: they
get perceptrons). A ``CNNClassifier()`` fitted on the same 100 real images
judges 100 new images of each class; the share judged their own class, and
the fit time, are recorded. Run by hand on an idle machine:

    python benchmarks/bench_gan_small_images.py --seeds 0 1 2
"""

import argparse
import json
import time
import warnings
from datetime import date

import numpy as np
from _common import RESULTS, provenance
from bench_data_size import digits_split, per_class_subset

from gansampler import CNNClassifier, DCGANSampler, InfoGANSampler
from gansampler.over_sampling._gan import networks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", default=RESULTS / "gan_8x8_networks.jsonl")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    X_train, _, y_train, _ = digits_split()
    for seed in args.seeds:
        keep = per_class_subset(y_train, 10, seed)
        X, y = X_train[keep], y_train[keep]
        judge = CNNClassifier(random_state=seed).fit(X, y)
        for side in (8, 16):
            # The bound is read when the networks are built.
            networks.MIN_GAN_CONV_SIDE = side
            for cls in (DCGANSampler, InfoGANSampler):
                sampler = cls(random_state=seed)
                start = time.perf_counter()
                sampler.fit(X, y)
                seconds = time.perf_counter() - start
                rates = [
                    float(np.mean(judge.predict(made) == label))
                    for label in sampler.classes_
                    for made in [sampler.sample(100, label, random_state=seed)]
                ]
                row = {
                    "seed": seed,
                    "nets": "conv" if side == 8 else "mlp",
                    "est": cls.__name__,
                    "own": float(np.mean(rates)),
                    "worst": float(np.min(rates)),
                    "fit_s": seconds,
                    "date": date.today().isoformat(),
                    **provenance(),
                }
                with open(args.out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
