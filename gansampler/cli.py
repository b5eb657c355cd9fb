"""The command line: ``gansampler resample`` (and ``python -m gansampler``).

    gansampler resample --sampler superpixel --input data.npz --output more.npz
    gansampler resample --sampler dcgan --input images/ --output more_images/

A ``.npz`` in MedMNIST's form (``train_images``, ``train_labels`` and the
other splits) gets its ``--split`` resampled and every other array copied
as it is; an image folder (one subfolder per class) is written back as one.
Output goes to a temporary name beside ``--output`` and is renamed at the
end, so a failure leaves nothing behind.
"""

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

# Samplers by the study's method names. Imported when used: torch and
# scikit-image are slow to import, and --help should not wait for them.
SAMPLERS = {
    "ros": ("imblearn.over_sampling", "RandomOverSampler", {}),
    "superpixel": ("gansampler", "SuperpixelSampler", {}),
    "superpixel_geometric": ("gansampler", "SuperpixelSampler", {"mode": "geometric"}),
    "superpixel_superpixel": (
        "gansampler",
        "SuperpixelSampler",
        {"mode": "superpixel"},
    ),
    "dcgan": ("gansampler", "DCGANSampler", {}),
    "infogan": ("gansampler", "InfoGANSampler", {}),
    "featuregan": ("gansampler", "FeatureGANSampler", {}),
    "featuresmote": ("gansampler", "FeatureSMOTESampler", {}),
}


def make_sampler(name, seed, sampling_strategy="auto"):
    """The sampler called ``name``, with its defaults."""
    import importlib

    module, cls, params = SAMPLERS[name]
    sampler_class = getattr(importlib.import_module(module), cls)
    return sampler_class(
        random_state=seed, sampling_strategy=sampling_strategy, **params
    )


def _strategy(text):
    try:
        return float(text)
    except ValueError:
        return text


def _read(path, split):
    """(X, y, other arrays or None) from a .npz or an image folder."""
    from .datasets import load_image_folder

    if path.is_dir():
        X, y = load_image_folder(path)
        return X, y, None
    if path.suffix != ".npz" or not path.is_file():
        raise ValueError(f"--input {path} is neither an image folder nor a .npz file.")
    from .datasets import load_medmnist

    X, y = load_medmnist(path.name, split=split, path=path)
    with np.load(path, allow_pickle=False) as data:
        others = {k: data[k] for k in data.files}
    return X, y, others


def _write(path, X, y, others, split):
    """Write in the input's form, atomically."""
    from .datasets import save_image_folder

    if path.exists():
        raise ValueError(f"--output {path} exists already; choose a new name.")
    if others is None:
        save_image_folder(X, y, path)
        return
    others = dict(others)
    # MedMNIST keeps labels as (n, 1); the other splits keep their form.
    labels = others.get(f"{split}_labels")
    others[f"{split}_images"] = X
    others[f"{split}_labels"] = (
        y.reshape(-1, 1) if labels is not None and labels.ndim == 2 else y
    )
    handle, partial = tempfile.mkstemp(suffix=".npz", dir=path.parent or ".")
    try:
        with os.fdopen(handle, "wb") as f:
            np.savez_compressed(f, **others)
        os.replace(partial, path)
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise


def resample(args):
    source, target = Path(args.input), Path(args.output)
    if target.exists():
        raise ValueError(f"--output {target} exists already; choose a new name.")
    X, y, others = _read(source, args.split)
    sampler = make_sampler(args.sampler, args.seed, _strategy(args.sampling_strategy))
    if args.sampler == "ros":
        # imbalanced-learn's samplers take flat rows.
        X_res, y_res = sampler.fit_resample(X.reshape(len(X), -1), y)
        X_res = X_res.reshape((len(X_res),) + X.shape[1:])
    else:
        X_res, y_res = sampler.fit_resample(X, y)
    _write(target, X_res, y_res, others, args.split)
    counts = dict(zip(*np.unique(y_res, return_counts=True), strict=True))
    print(
        f"{args.sampler}: {len(X)} images in, {len(X_res)} out "
        f"({', '.join(f'{k}: {v}' for k, v in counts.items())}) -> {target}"
    )


def build_parser():
    parser = argparse.ArgumentParser(
        prog="gansampler", description="Oversample minority classes of images."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    sub = commands.add_parser(
        "resample",
        help="resample a .npz or an image folder and write the same form",
        description=__doc__.split("\n\n")[2].strip(),
    )
    sub.add_argument("--sampler", required=True, choices=sorted(SAMPLERS))
    sub.add_argument("--input", required=True, help=".npz file or image folder")
    sub.add_argument("--output", required=True, help="new .npz file or folder")
    sub.add_argument(
        "--split", default="train", help="the .npz split to resample (default: train)"
    )
    sub.add_argument(
        "--sampling-strategy",
        default="auto",
        help="imbalanced-learn's sampling_strategy: a name or a ratio (default: auto)",
    )
    sub.add_argument("--seed", type=int, default=0, help="random_state (default: 0)")
    sub.set_defaults(run=resample)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"gansampler {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0
