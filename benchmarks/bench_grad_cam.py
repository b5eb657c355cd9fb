"""Does Grad-CAM point to the evidence? Synthetic patch images, by image size.

A class-1 image holds a bright patch (a quarter of the side) in a random
quadrant of uniform noise; a class-0 image holds none. ``CNNClassifier()``
(defaults but for the architecture) is fitted on 200 training images per
size; for 100 new images (50 with a patch) it prints the mean share of the
map's mass in the patch's quadrant and the fraction of images where that
share is over one half, for ``grad_cam``'s default maps and, for
comparison, the same product with plain Grad-CAM weights (the gradients at
the image alone, no path), and the plain Grad-CAM map of each layer the
default combines and of the last block (the usual Grad-CAM layer, the
default before issue 24).

    python bench_grad_cam.py                          # light, resnet18; 28 32 64
    python bench_grad_cam.py --architectures vgg resnet lenet5 --sides 28 32 64
"""

import argparse

import numpy as np
from _common import machine

import gansampler.inspection
from gansampler import CNNClassifier
from gansampler._images import images_to_tensor, validate_images
from gansampler.inspection import _default_layers, _forward_order, grad_cam


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


def compared_layers(clf, X):
    """Names of the default's fine and coarse layers, and of the last block."""
    X, layout = validate_images(clf, X[:1], reset=False)
    sample = images_to_tensor(X, layout)
    names = {m: n for n, m in clf.module_.named_modules()}
    fine, coarse = _default_layers(clf.module_, sample)
    fired, _, _ = _forward_order(clf.module_, sample)
    rows = [(f"fine: {names[m]}", names[m]) for m in fine]
    if coarse is not None:
        rows.append((f"coarse: {names[coarse]}", names[coarse]))
    last = names[list(fired)[-1]]
    if last not in [layer for _, layer in rows]:
        rows.append((f"last block: {last}", last))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sides", type=int, nargs="+", default=[28, 32, 64])
    parser.add_argument("--architectures", nargs="+", default=["light", "resnet18"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    default_steps = gansampler.inspection.PATH_STEPS
    print(f"# {machine()}, seed {args.seed}")
    print("| architecture | side | maps | mean share | share > 0.5 |")
    print("|---|---|---|---|---|")
    for architecture in args.architectures:
        for side in args.sides:
            X, y, _ = patches(side, 200, args.seed)
            clf = CNNClassifier(architecture=architecture, random_state=args.seed)
            clf.fit(X, y)
            X_new, y_new, quadrant = patches(side, 100, args.seed + 1)
            ones = y_new == 1
            accuracy = clf.score(X_new, y_new)
            rows = [(f"**default** (accuracy {accuracy:.2f})", None, default_steps)]
            rows += [("default, plain weights", None, 1)]
            rows += [(label, layer, 1) for label, layer in compared_layers(clf, X_new)]
            for label, layer, steps in rows:
                gansampler.inspection.PATH_STEPS = steps
                try:
                    maps = grad_cam(clf, X_new[ones], target=1, layer=layer)
                except ValueError:  # a layer of one position per image
                    print(f"| {architecture} | {side} | {label} | refused | |")
                    continue
                s = shares(maps, quadrant[ones], side)
                print(
                    f"| {architecture} | {side} | {label} | {s.mean():.2f} "
                    f"| {np.mean(s > 0.5):.2f} |",
                    flush=True,
                )
            gansampler.inspection.PATH_STEPS = default_steps


if __name__ == "__main__":
    main()
