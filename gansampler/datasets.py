"""Loaders for the image data sets that the benchmarks and examples use."""

import os
import zipfile
from pathlib import Path

import numpy as np

from ._folders import load_image_folder, save_image_folder

__all__ = [
    "load_image_folder",
    "load_medmnist",
    "load_pneumoniamnist",
    "save_image_folder",
]

SPLITS = ("train", "val", "test")
PNEUMONIAMNIST_FILE = "pneumoniamnist.npz"


def _check_filename(filename):
    """A file name, not a path: names stay inside the data folder."""
    name = os.fspath(filename) if isinstance(filename, os.PathLike) else filename
    if not isinstance(name, str) or not name:
        raise ValueError(f"filename must be a file name; got filename={filename!r}.")
    if (
        name in (".", "..")
        or "/" in name
        or "\\" in name
        or os.sep in name
        or (os.altsep and os.altsep in name)
        or Path(name).is_absolute()
    ):
        raise ValueError(
            f"filename must be a bare file name such as 'pneumoniamnist.npz', "
            f"with no folder or '..' in it; got filename={filename!r}. Pass the "
            "folder, or the whole path of the file, as path=."
        )
    return name


def _read_split(place, split):
    """Images and labels of ``split`` from the .npz file at ``place``."""
    keys = (f"{split}_images", f"{split}_labels")
    expected = f"a NumPy .npz archive with arrays {keys[0]!r} and {keys[1]!r}"
    try:
        # allow_pickle=False: a data file never needs to run code.
        data = np.load(place, allow_pickle=False)
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise ValueError(f"{place} is not {expected}: it holds a single array.")
        with data:
            if not set(keys) <= set(data.files):
                raise ValueError(
                    f"{place} is not {expected}: it holds {sorted(data.files)!r}."
                )
            X, y = data[keys[0]], data[keys[1]]
    except (OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"{place} is not {expected}: it cannot be read ({error})."
        ) from None
    except ValueError as error:
        if str(error).startswith(str(place)):
            raise
        # numpy's own ValueError (a file that is not an archive, or object
        # arrays) talks of unpickling, which a data file never needs.
        raise ValueError(
            f"{place} is not {expected}: it is not a .npz archive of plain arrays."
        ) from None
    # MedMNIST stores single-label targets as (n, 1).
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if len(X) != len(y):
        raise ValueError(
            f"{place} holds {len(X)} {split} images but {len(y)} {split} labels; "
            "each image needs one label."
        )
    return X, y


def _candidate_paths(filename, path):
    if path is not None:
        path = Path(path).expanduser()
        return [path / filename if path.is_dir() else path]
    places = []
    if os.environ.get("GANSAMPLER_DATA"):
        places.append(Path(os.environ["GANSAMPLER_DATA"]).expanduser() / filename)
    places.append(Path("~/.medmnist").expanduser() / filename)
    return places


def load_medmnist(filename, split="train", path=None):
    """Load one split of a MedMNIST-format ``.npz`` file as ``(X, y)``.

    Parameters
    ----------
    filename : str
        File name, such as ``"pneumoniamnist.npz"``; a bare name, so that
        it stays inside the data folder (a path is refused: pass it as
        ``path``).
    split : {"train", "val", "test"}, default="train"
        Which split to return.
    path : str or path-like, default=None
        The file, or the folder that holds it. When None, the folder named by
        the ``GANSAMPLER_DATA`` environment variable is tried first, then
        ``~/.medmnist/``, where the medmnist package keeps its downloads.

    Returns
    -------
    X : ndarray of shape (n, H, W) or (n, H, W, C), dtype uint8
        The images.
    y : ndarray of shape (n,)
        Integer labels.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got split={split!r}.")
    filename = _check_filename(filename)
    places = _candidate_paths(filename, path)
    for place in places:
        if place.is_file():
            return _read_split(place, split)
    looked = ", ".join(str(p) for p in places)
    raise FileNotFoundError(
        f"{filename} was not found; looked in: {looked}. Pass path=..., or set "
        "the GANSAMPLER_DATA environment variable to the folder that holds it."
    )


def load_pneumoniamnist(split="train", path=None):
    """Load PneumoniaMNIST (MedMNIST v2): 28x28 chest X-rays, 1 = pneumonia.

    Parameters
    ----------
    split : {"train", "val", "test"}, default="train"
        Which split to return. The official splits hold 4708, 524 and 624
        images.
    path : str or path-like, default=None
        The ``pneumoniamnist.npz`` file or its folder. When None, the folder in
        the ``GANSAMPLER_DATA`` environment variable is tried, then
        ``~/.medmnist/``.

    Returns
    -------
    X : ndarray of shape (n, 28, 28), dtype uint8
        The images.
    y : ndarray of shape (n,), dtype uint8
        0 for normal, 1 for pneumonia.

    Notes
    -----
    The data set is licensed CC BY 4.0; cite Yang et al., "MedMNIST v2",
    Scientific Data 10, 41 (2023), and Kermany et al., Cell 172(5),
    1122-1131 (2018).
    """
    return load_medmnist(PNEUMONIAMNIST_FILE, split=split, path=path)
