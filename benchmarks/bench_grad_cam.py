"""Does Grad-CAM point to the evidence? Synthetic patch images, by image size.

A class-1 image holds a bright patch (a quarter of the side) in a random
quadrant of uniform noise; a class-0 image holds none. ``CNNClassifier()``
(defaults) is fitted on 200 training images per size; for 100 new images
(50 with a patch) it prints, per layer, the mean share of the map's mass in
the patch's quadrant and the fraction of images where that share is over
one half. ``default`` is ``grad_cam``'s own choice of layer.

    python bench_grad_cam.py --sides 16 32 48 64
"""

import argparse

import numpy as np
import torch
from _common import machine

from gansampler import CNNClassifier
from gansampler.inspection import grad_cam


def patches(side, n, seed):
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 0.3, size=(n, side, side)).astype(np.float32)
    y = np.arange(n) % 2
    quadrant = rng.randint(0, 4, size=n)
    half, size = side // 2, side // 4
    for i in np.flatnonzero(y == 1):
        r, c = rng.randint(0, half - size + 1, size=2)
        r, c = r + half * (quadrant[i] // 2), c + half * (quadrant[i] % 2)
        X[i, r : r + size, c : c + size] = 1.0
    return X, y, quadrant


def shares(maps, quadrant, side):
    half = side // 2
    quads = [maps[:, :half, :half], maps[:, :half, half:]]
    quads += [maps[:, half:, :half], maps[:, half:, half:]]
    sums = np.stack([q.sum(axis=(1, 2)) for q in quads], axis=1)
    sums = sums / (sums.sum(axis=1, keepdims=True) + 1e-12)
    return sums[np.arange(len(sums)), quadrant]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[16, 32, 48, 64])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"# {machine()}")
    print("| side | layer | mean share | share > 0.5 |")
    print("|---|---|---|---|")
    for side in args.sides:
        X, y, _ = patches(side, 200, args.seed)
        clf = CNNClassifier(random_state=args.seed).fit(X, y)
        X_new, y_new, quadrant = patches(side, 100, args.seed + 1)
        ones = y_new == 1
        convs = [
            n for n, m in clf.module_.named_modules() if isinstance(m, torch.nn.Conv2d)
        ]
        for layer in [None, *convs]:
            maps = grad_cam(clf, X_new[ones], target=1, layer=layer)
            s = shares(maps, quadrant[ones], side)
            name = layer or "default"
            print(f"| {side} | {name} | {s.mean():.2f} | {np.mean(s > 0.5):.2f} |")


if __name__ == "__main__":
    main()
