"""The command line: ``gansampler resample`` (and ``python -m gansampler``).

    gansampler resample --sampler superpixel --input data.npz --output more.npz
    gansampler resample --sampler dcgan --input images/ --output more_images/

A ``.npz`` in MedMNIST's form (``train_images``, ``train_labels`` and the
other splits) gets its ``--split`` resampled, or an image folder (one
subfolder per class) is resampled whole. The output's form follows its
name: an ``--output`` ending in ``.npz`` is a ``.npz`` (every other array of
a ``.npz`` input copied as it is), any other name an image folder. Output
goes to a temporary name beside ``--output`` and is renamed at the end, so
a failure leaves nothing behind.
"""

import argparse
import sys
import zipfile
from pathlib import Path

import numpy as np

from ._files import write_atomic
from ._registry import METHODS


def _seed(text):
    """--seed, checked by argparse, so that the error names the option rather
    than the sampler's random_state."""
    from ._methods import SEED_RULE, is_seed

    try:
        seed = int(text)
    except ValueError:
        seed = None
    if not is_seed(seed):
        raise argparse.ArgumentTypeError(f"{text!r} is not a seed; {SEED_RULE}")
    return seed


def _strategy(text):
    try:
        return float(text)
    except ValueError:
        return text


def _is_npz(path):
    return path.suffix.lower() == ".npz"


def _read(path, split, image_size=None, option="--input"):
    """(X, y, other arrays or None) from a .npz or an image folder."""
    from .datasets import load_image_folder

    if path.is_dir():
        X, y = load_image_folder(path, image_size=image_size)
        return X, y, None
    if not _is_npz(path) or not path.is_file():
        raise ValueError(f"{option} {path} is neither an image folder nor a .npz file.")
    if image_size is not None:
        raise ValueError(
            f"--image-size applies to image folders; {option} {path} is a .npz, "
            "whose images keep their size."
        )
    from .datasets import load_medmnist

    X, y = load_medmnist(path.name, split=split, path=path)
    try:
        with np.load(path, allow_pickle=False) as data:
            others = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ValueError(
            f"{option} {path}: its arrays cannot be read ({error})."
        ) from None
    return X, y, others


def _check_output(target):
    """Refuse, before anything is read or resampled, an --output that could
    not be written."""
    if target.exists():
        raise ValueError(f"--output {target} exists already; choose a new name.")
    if not target.parent.is_dir():
        raise ValueError(
            f"--output {target}: the folder {target.parent} does not exist; "
            "create it first."
        )


def _check_folder_output(target, X, y):
    """Refuse, before resampling, images that no image folder could hold."""
    from ._folders import _check_folder_data

    try:
        _check_folder_data(X, y)
    except ValueError as error:
        raise ValueError(
            f"--output {target} names an image folder (its name does not end in "
            f".npz), and these images cannot be written as one: {error} End the "
            "name in .npz to write a .npz file."
        ) from None


def _write(path, X, y, others, split):
    """A .npz file when the name ends in .npz, an image folder otherwise;
    written atomically."""
    from .datasets import save_image_folder

    if not _is_npz(path):
        save_image_folder(X, y, path)
        return
    arrays = dict(others or {})
    # MedMNIST keeps labels as (n, 1); the other splits keep their form.
    labels = arrays.get(f"{split}_labels")
    arrays[f"{split}_images"] = X
    arrays[f"{split}_labels"] = (
        y if labels is not None and labels.ndim == 1 else y.reshape(-1, 1)
    )

    def savez(partial):
        # Into an open file: given a name without ".npz", numpy would add
        # one, and the rename would not find the file it wrote.
        with open(partial, "wb") as f:
            np.savez_compressed(f, **arrays)

    write_atomic(path, savez)


def resample(args):
    source, target = Path(args.input), Path(args.output)
    _check_output(target)
    X, y, others = _read(source, args.split, args.image_size)
    if not _is_npz(target):
        _check_folder_output(target, X, y)
    method = METHODS[args.sampler]
    # Its defaults: no min_count, so k_neighbors is not lowered as the study
    # lowers it.
    sampler = method.build(args.seed, _strategy(args.sampling_strategy))
    X_res, y_res = method.resample(sampler, X, y)
    _write(target, X_res, y_res, others, args.split)
    labels, counts = np.unique(y_res, return_counts=True)
    counts = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    form = "a .npz file" if _is_npz(target) else "an image folder"
    if others is not None and not _is_npz(target):
        form += f" of the {args.split} split; the other arrays are not copied"
    print(
        f"{args.sampler}: {len(X)} images in, {len(X_res)} out "
        f"({', '.join(f'{k}: {v}' for k, v in counts.items())}) -> {target} "
        f"({form})"
    )


def load_study_data(spec, split="train", image_size=None):
    """The study's data: ``digits`` (built in), a MedMNIST name (fetched with
    :func:`~gansampler.datasets.fetch_medmnist`), a .npz or an image folder.
    A file or folder of that name wins over a MedMNIST name."""
    if spec == "digits":
        if image_size is not None:
            raise ValueError(
                "--image-size applies to image folders; the built-in digits are 8x8."
            )
        from sklearn.datasets import load_digits

        # Two classes whole and eight cut to a tenth (at least 2 images),
        # as part B of the project's study.
        X, y = load_digits(return_X_y=True)
        rng = np.random.RandomState(0)
        keep = np.concatenate(
            [
                np.flatnonzero(y == k)
                if k < 2
                else rng.choice(np.flatnonzero(y == k), 18, replace=False)
                for k in range(10)
            ]
        )
        return X[np.sort(keep)].reshape(-1, 8, 8), y[np.sort(keep)]
    path = Path(spec)
    if not path.exists():
        key = _medmnist_key(spec)
        if key is not None:
            return _fetch_study_data(spec, key, split, image_size)
        if not _is_npz(path):
            from .datasets import MEDMNIST_FILES

            names = ", ".join(sorted({name for name, _ in MEDMNIST_FILES}))
            raise ValueError(
                f"--data {spec} is neither 'digits', a MedMNIST data set ({names}; "
                "add _64, _128 or _224 for a size), an image folder nor a .npz "
                "file."
            )
    X, y, _ = _read(path, split, image_size, option="--data")
    return X, y


def _medmnist_key(spec):
    """(name, size) for a MedMNIST name such as ``dermamnist`` (28 pixels) or
    ``dermamnist_64``; None for anything else. A known name with a size that
    was not published is an error that lists the sizes."""
    from .datasets import MEDMNIST_FILES

    name, _, size = spec.rpartition("_")
    key = (name, int(size)) if name and size.isdigit() else (spec, 28)
    sizes = sorted(s for n, s in MEDMNIST_FILES if n == key[0])
    if sizes and key not in MEDMNIST_FILES:
        raise ValueError(
            f"--data {spec}: MedMNIST's {key[0]} comes at "
            f"{', '.join(map(str, sizes))} pixels a side; name one, as "
            f"{key[0]}_{sizes[1] if len(sizes) > 1 else sizes[0]}."
        )
    return key if sizes else None


def _fetch_study_data(spec, key, split, image_size):
    """A MedMNIST data set, downloaded into the data home the first time."""
    from .datasets import MEDMNIST_FILES, MEDMNIST_SIZES, _search_paths, fetch_medmnist

    if image_size is not None:
        raise ValueError(
            f"--image-size applies to image folders; --data {spec} is MedMNIST's, "
            f"published at {', '.join(map(str, MEDMNIST_SIZES))} pixels a side: "
            f"name the size, as {key[0]}_64."
        )
    remote = MEDMNIST_FILES[key]
    places = _search_paths(remote.filename)
    if not any(place.is_file() for place in places):
        print(
            f"Downloading {remote.filename} from {remote.url} into {places[0].parent}",
            flush=True,
        )
    X, y = fetch_medmnist(key[0], size=key[1], split=split)
    if y.ndim != 1:
        raise ValueError(
            f"--data {spec} gives each image {y.shape[1]} labels (multi-label); "
            "the study compares single-label classifiers."
        )
    return X, y


def _require(module, extra, what):
    """Refuse at the start, not after hours of runs, when an optional
    dependency that the command will need is missing."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise ValueError(
            f"{what} needs {module}, which is not installed here; install it "
            f"with: pip install 'gansampler[{extra}]'"
        )


def study(args):
    from .study import file_in_the_way, option_errors, plot, run_study, summarize

    # Every option is checked before anything is written; the output folder
    # is made by run_study once the data and the results file are checked.
    output = Path(args.output)
    blocking = file_in_the_way(output)
    if blocking is not None:
        raise ValueError(
            f"--output {output}: {blocking} is a file, but the study writes a "
            "folder (results.csv, results.md, results.png, study.json); name a "
            "new folder, or an earlier study's folder to go on with it."
        )
    errors = option_errors(args.seeds, args.cv, args.test_size, args.n_jobs)
    if errors:
        name, (value, rule) = next(iter(errors.items()))
        raise ValueError(f"--{name.replace('_', '-')} {value} {rule}.")
    _require("matplotlib", "plot", "gansampler study (its results.png)")
    if args.scheduler is not None:
        _require("distributed", "dask", "--scheduler")
    X, y = load_study_data(args.data, args.split, args.image_size)
    labels, counts = np.unique(y, return_counts=True)
    counts = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    print(f"{args.data}: {len(y)} images of shape {X.shape[1:]}, classes {counts}")
    rows = run_study(
        X,
        y,
        args.methods,
        args.seeds,
        output / "results.csv",
        cv=args.cv,
        test_size=args.test_size,
        n_jobs=args.n_jobs,
        scheduler=args.scheduler,
    )
    table, verdict = summarize(rows)
    write_atomic(
        output / "results.md",
        lambda p: p.write_text(
            f"# Imbalance study: {args.data}\n\n{table}\n\n{verdict}\n"
        ),
    )
    fig = plot(rows)
    try:
        write_atomic(output / "results.png", lambda p: fig.savefig(p, dpi=100))
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)
    print(f"\n{table}\n\n{verdict}\nWritten to {output}/ (results.csv, .md, .png)")


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
    # The study's names of the samplers that the command offers, with their
    # defaults.
    samplers = sorted(name for name, method in METHODS.items() if method.command)
    sub.add_argument("--sampler", required=True, choices=samplers)
    sub.add_argument("--input", required=True, help=".npz file or image folder")
    sub.add_argument(
        "--output",
        required=True,
        help="new .npz file (a name ending in .npz) or image folder (any other)",
    )
    sub.add_argument(
        "--split",
        default="train",
        help="the .npz split to resample, or to write a folder as (default: train)",
    )
    sub.add_argument(
        "--sampling-strategy",
        default="auto",
        help="imbalanced-learn's sampling_strategy: a name or a ratio (default: auto)",
    )
    sub.add_argument("--seed", type=_seed, default=0, help="random_state (default: 0)")
    _add_image_size(sub)
    sub.set_defaults(
        run=resample,
        interrupted="Nothing was written to {output}: run the command again.",
    )

    from .study import DEFAULT_METHODS

    sub = commands.add_parser(
        "study",
        help="compare ways of handling imbalance on a data set",
        description="Compare imbalance handling with the same CNNClassifier after "
        "each method, over seeds. Each finished run is appended to "
        "OUTPUT/results.csv; a restarted study skips what is there.",
    )
    sub.add_argument(
        "--data",
        default="digits",
        help="'digits' (built in), a MedMNIST data set by name, as pneumoniamnist "
        "or dermamnist_64 (downloaded once into the data home: GANSAMPLER_DATA, "
        "else ~/gansampler_data), a .npz or an image folder",
    )
    sub.add_argument(
        "--methods",
        nargs="+",
        default=None,
        help="method names (see gansampler.study); default: "
        f"{' '.join(DEFAULT_METHODS)} (threshold only for two classes)",
    )
    sub.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    sub.add_argument("--output", default="gansampler-study", help="results folder")
    sub.add_argument(
        "--cv",
        type=int,
        default=None,
        help="stratified k-fold instead of a held-out split",
    )
    sub.add_argument("--test-size", type=float, default=0.3, help="held-out share")
    sub.add_argument("--split", default="train", help="the .npz split to study")
    _add_image_size(sub)
    sub.add_argument("--n-jobs", type=int, default=1, help="runs side by side (joblib)")
    sub.add_argument("--scheduler", default=None, help="address of a Dask scheduler")
    sub.set_defaults(
        run=study,
        interrupted="The finished runs are kept in {output}/results.csv: run "
        "the same command again to go on from there.",
    )
    return parser


def _add_image_size(sub):
    sub.add_argument(
        "--image-size",
        type=int,
        nargs=2,
        default=None,
        metavar=("HEIGHT", "WIDTH"),
        help="resize folder images (needed when their sizes differ)",
    )


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (ValueError, OSError, ArithmeticError, MemoryError) as error:
        print(f"gansampler {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        # Ctrl-C is a user's choice, not a crash: say what is kept instead of
        # printing torch's stack. 130 is the shell's code for SIGINT.
        print(
            f"\ngansampler {args.command}: interrupted. "
            + args.interrupted.format(output=args.output),
            file=sys.stderr,
        )
        return 130
    return 0
