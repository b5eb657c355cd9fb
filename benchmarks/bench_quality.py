"""Part C of the imbalance study (../shared/STUDY.md): sample quality.

For each method (``--methods``: study method names of samplers, by default
one per distinct sampler of the registry, and ``real``) at ``n_minority``
pneumonia images (100 by default, with all
1214 normal ones, drawn as in part A): the Frechet distance between real
pneumonia images of the test split (``--split val`` for the validation
split, the one to choose settings on) and as many new pneumonia images, in
the penultimate feature space of a ``CNNClassifier`` fitted with its
defaults on the full training set (seed 0, cached in
``results/embedder.pkl``); and, for seed 0, a PNG of 64 real beside
64 new images. Runs already in the results file are skipped, so a rerun
adds only what is missing. ``real`` (other real training pneumonia images, never in the
subsample) gives the floor that a perfect generator would reach.

    python benchmarks/bench_quality.py --seeds 0 1 2
"""

import argparse
import json
import pickle
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, ROOT, data_path, machine, provenance
from bench_study import done_keys, part_a_data

from gansampler import CNNClassifier
from gansampler.datasets import load_pneumoniamnist
from gansampler.metrics import frechet_distance
from gansampler.study import METHODS, make_sampler, method_entry, parse_method

# Not a method: other real pneumonia images, the floor.
REAL = "real"


def samplers():
    """The registry's methods that make images, one per distinct sampler
    (``superpixel_both`` is ``superpixel``, ``ros_augment`` is ``ros``)."""
    seen, names = set(), []
    for name, entry in METHODS.items():
        sampler = entry.build(0)
        if sampler is None:
            continue
        key = (type(sampler), repr(sorted(sampler.get_params().items())))
        if key not in seen:
            seen.add(key)
            names.append(name)
    return names


def quality_method(text):
    """A --methods name: ``real``, or a study method that makes images, with
    ``+filter`` at most (the rest sets the classifier, which part C does not
    fit, or the count, which is the evaluation split's)."""
    if text == REAL:
        return text
    try:
        parts = parse_method(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    if METHODS[parts["base"]].sampler is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} makes no new images; use {REAL!r} or one of {samplers()}"
        )
    extra = sorted(parts.keys() - {"base", "strategy", "filter"})
    if extra or parts["strategy"] != "auto":
        raise argparse.ArgumentTypeError(
            f"{text!r}: part C makes as many images as the evaluation split "
            "has pneumonia images, and fits no classifier; drop @ and every "
            "option but +filter"
        )
    return text


def embedder(path):
    cached = RESULTS / "embedder.pkl"
    if cached.exists():
        with open(cached, "rb") as f:
            return pickle.load(f)
    X, y = load_pneumoniamnist("train", path)
    model = CNNClassifier(random_state=0).fit(X, y)
    with open(cached, "wb") as f:
        pickle.dump(model, f)
    return model


def new_images(method, seed, X, y, n_new, path):
    """``n_new`` new pneumonia images from ``method`` and the time it took."""
    start = time.perf_counter()
    n_real = int((y == 1).sum())
    if method == REAL:
        X_train, y_train = load_pneumoniamnist("train", path)
        used = {arr.tobytes() for arr in X[y == 1]}
        others = [
            i for i in np.flatnonzero(y_train == 1) if X_train[i].tobytes() not in used
        ]
        picks = np.random.RandomState(seed).choice(others, n_new, replace=False)
        return X_train[picks], 0.0
    sampler = make_sampler(method, seed, n_real).set_params(
        sampling_strategy={1: n_real + n_new}
    )
    made = method_entry(method).resample(sampler, X, y)[0][len(X) :]
    return made, time.perf_counter() - start


def save_grid(real, made, title, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def tile(images):
        rows = [
            np.concatenate(list(images[i * 8 : i * 8 + 8]), axis=1) for i in range(8)
        ]
        return np.concatenate(rows, axis=0)

    fig, axes = plt.subplots(1, 2, figsize=(8, 4.3))
    for ax, images, name in ((axes[0], real, "real"), (axes[1], made, title)):
        ax.imshow(tile(images[:64]), cmap="gray", vmin=0, vmax=255)
        ax.set_title(name)
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-minority", type=int, default=100)
    parser.add_argument(
        "--methods",
        nargs="+",
        type=quality_method,
        default=None,
        help=f"{REAL!r} and study methods that make images (default: {REAL!r} "
        "and every distinct sampler of the registry)",
    )
    parser.add_argument("--split", choices=["test", "val"], default="test")
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument("--grids", default=str(ROOT / "docs" / "_static"))
    parser.add_argument("--out", default=None, help="JSON-lines file of results")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else RESULTS / f"quality_{args.split}.jsonl"
    print(f"# {machine()} -> {out}", flush=True)
    path = data_path(args.data)
    model = embedder(path)
    X_eval, y_eval = load_pneumoniamnist(args.split, path)
    real_eval = X_eval[y_eval == 1]
    done = done_keys(out)

    for seed in args.seeds:
        X, y = part_a_data(path, args.n_minority, seed)
        for method in args.methods or [REAL, *samplers()]:
            if (method, args.n_minority, seed) in done:
                continue
            made, seconds = new_images(method, seed, X, y, len(real_eval), path)
            row = {
                "split": args.split,
                "method": method,
                "n_minority": args.n_minority,
                "seed": seed,
                "n_images": len(made),
                "frechet_distance": frechet_distance(real_eval, made, model),
                "resample_s": seconds,
                **provenance(),
            }
            with open(out, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)
            # The grids in docs/benchmarks_archive.md are seed 0's, whatever the order.
            if seed == 0 and args.split == "test":
                save_grid(real_eval, made, method, f"{args.grids}/samples_{method}.png")


if __name__ == "__main__":
    main()
