"""Loaders for the image data sets that the benchmarks and examples use."""

import os
from pathlib import Path

import numpy as np

SPLITS = ("train", "val", "test")
PNEUMONIAMNIST_FILE = "pneumoniamnist.npz"


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
        File name, such as ``"pneumoniamnist.npz"``.
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
    places = _candidate_paths(filename, path)
    for place in places:
        if place.is_file():
            with np.load(place) as data:
                X = data[f"{split}_images"]
                y = data[f"{split}_labels"]
            # MedMNIST stores single-label targets as (n, 1).
            if y.ndim == 2 and y.shape[1] == 1:
                y = y[:, 0]
            return X, y
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
