"""Loaders for the image data sets that the benchmarks and examples use."""

import os
import zipfile
from pathlib import Path

import numpy as np

from ._download import RemoteFile, download
from ._folders import load_image_folder, save_image_folder

__all__ = [
    "fetch_medmnist",
    "get_data_home",
    "load_image_folder",
    "load_medmnist",
    "load_pneumoniamnist",
    "save_image_folder",
]

SPLITS = ("train", "val", "test")
PNEUMONIAMNIST_FILE = "pneumoniamnist.npz"

# MedMNIST v2's 2D data sets as published on Zenodo (record 10519652, the
# MedMNIST+ release, doi:10.5281/zenodo.10519652): the MD5 of each file at
# 28, 64, 128 and 224 pixels a side, in that order, as the medmnist
# package's info.py (v3.0.2) lists them.
MEDMNIST_SIZES = (28, 64, 128, 224)
_MEDMNIST_URL = "https://zenodo.org/records/10519652/files/{}?download=1"
_MEDMNIST_MD5 = {
    "pathmnist": (
        "a8b06965200029087d5bd730944a56c1 55aa9c1e0525abe5a6b9d8343a507616 "
        "ac42d08fb904d92c244187169d1fd1d9 2c51a510bcdc9cf8ddb2af93af1eadec"
    ).split(),
    "chestmnist": (
        "02c8a6516a18b556561a56cbdd36c4a8 9de6cd0b934ebb5b7426cfba5efbae16 "
        "db107e5590b27930b62dbaf558aebee3 45bd33e6f06c3e8cdb481c74a89152aa"
    ).split(),
    "dermamnist": (
        "0744692d530f8e62ec473284d019b0c7 b70a2f5635c6199aeaa28c31d7202e1f "
        "2defd784463fa5243564e855ed717de1 8974907d8e169bef5f5b96bc506ae45d"
    ).split(),
    "octmnist": (
        "c68d92d5b585d8d81f7112f81e2d0842 e229e9440236b774d9f0dfef9d07bdaf "
        "0a97e76651ace45c5d943ee3f65b63ae abc493b6d529d5de7569faaef2773ba3"
    ).split(),
    "pneumoniamnist": (
        "28209eda62fecd6e6a2d98b1501bb15f 8f4eceb4ccffa70c672198ea285246c6 "
        "05b46931834c231683c68f40c47b2971 d6a3c71de1b945ea11211b03746c1fe1"
    ).split(),
    "retinamnist": (
        "bd4c0672f1bba3e3a89f0e4e876791e4 afda852cc34dcda56f86ad2b2457dbcc "
        "e48e916a24454daf90583d4e6efb1a18 eae7e3b6f3fcbda4ae613ebdcbe35348"
    ).split(),
    "breastmnist": (
        "750601b1f35ba3300ea97c75c52ff8f6 742edef2a1fd1524b2efff4bd7ba9364 "
        "363e4b3f8d712e9b5de15470a2aaadf1 b56378a6eefa9fed602bb16d192d4c8b"
    ).split(),
    "bloodmnist": (
        "7053d0359d879ad8a5505303e11de1dc 2b94928a2ae4916078ca51e05b6b800b "
        "adace1e0ed228fccda1f39692059dd4c b718ff6835fcbdb22ba9eacccd7b2601"
    ).split(),
    "tissuemnist": (
        "ebe78ee8b05294063de985d821c1c34b 123ece2eba09d0aa5d698fda57103344 "
        "61b955355d7425a89687b06cca3ce0c2 b077128c4a949f0a4eb01517f9037b9c"
    ).split(),
    "organamnist": (
        "68e3f8846a6bd62f0c9bf841c0d9eacc 2dcccc29b88e6da5a01161ef20cda288 "
        "eeae80d0a227a8d099027e1b3cfd3b60 50747347e05c87dd3aaf92c49f9f3170"
    ).split(),
    "organcmnist": (
        "b9ceb9546e10131b32923c5bbeaea2b1 3ce34a8724ea6f548e6db4744d03b6a9 "
        "773c1f009daa3fe5d9a2a201b2a7ed94 050f5e875dc056f6768abf94ec9995d1"
    ).split(),
    "organsmnist": (
        "9ab87b696fb54e2a387ebe992d6ed5f1 53a6d115339d874c25e309a994ff46d3 "
        "ded0c5fa01a95dc4978b956f613e9b8e b354719e553fbbb2513d5533f52a4cb1"
    ).split(),
}


def _medmnist_filename(name, size):
    """The release's file name: pneumoniamnist.npz, pneumoniamnist_64.npz."""
    return f"{name}.npz" if size == 28 else f"{name}_{size}.npz"


# (name, size) -> RemoteFile: what fetch_medmnist downloads. The one table it
# reads, so that tests can add or replace an entry (monkeypatch.setitem).
MEDMNIST_FILES = {
    (name, size): RemoteFile(
        filename, _MEDMNIST_URL.format(filename), md5s[MEDMNIST_SIZES.index(size)]
    )
    for name, md5s in _MEDMNIST_MD5.items()
    for size in MEDMNIST_SIZES
    for filename in [_medmnist_filename(name, size)]
}


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


def _data_home(data_home=None):
    """The data home's path, without creating it."""
    if data_home is None:
        data_home = os.environ.get("GANSAMPLER_DATA") or "~/gansampler_data"
    return Path(data_home).expanduser()


def get_data_home(data_home=None):
    """Return the folder that gansampler keeps its data sets in, creating it.

    As scikit-learn's :func:`~sklearn.datasets.get_data_home`: ``data_home``
    when given, else the folder named by the ``GANSAMPLER_DATA`` environment
    variable, else ``~/gansampler_data``. :func:`fetch_medmnist` downloads
    into it, and :func:`load_medmnist` looks in it first.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use instead of the default one.

    Returns
    -------
    data_home : str
        The folder's path, with ``~`` expanded.
    """
    path = _data_home(data_home)
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


def _search_paths(filename, data_home=None):
    """Where a data file is looked for: the data home, then, unless one was
    given, ``~/.medmnist/``, where the medmnist package keeps its downloads."""
    places = [_data_home(data_home) / filename]
    if data_home is None:
        places.append(Path("~/.medmnist").expanduser() / filename)
    return places


def _candidate_paths(filename, path):
    if path is not None:
        path = Path(path).expanduser()
        return [path / filename if path.is_dir() else path]
    return _search_paths(filename)


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
        The file, or the folder that holds it. When None, the data home (see
        :func:`get_data_home`: the folder named by the ``GANSAMPLER_DATA``
        environment variable, else ``~/gansampler_data``) is tried first,
        then ``~/.medmnist/``, where the medmnist package keeps its
        downloads. It never downloads: :func:`fetch_medmnist` does.

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


def fetch_medmnist(
    name, *, size=28, split="train", data_home=None, download_if_missing=True
):
    """Load one split of a MedMNIST v2 2D data set, downloading it once.

    The file is looked for in the data home (see :func:`get_data_home`) and,
    when ``data_home`` is None, in ``~/.medmnist/`` too, where the medmnist
    package keeps the same files. When it is in neither, it is downloaded
    from the data set's Zenodo record into the data home, its MD5 checked
    against the published one. A file that is there is read with no network
    call.

    Parameters
    ----------
    name : str
        The data set: ``"bloodmnist"``, ``"breastmnist"``, ``"chestmnist"``,
        ``"dermamnist"``, ``"octmnist"``, ``"organamnist"``,
        ``"organcmnist"``, ``"organsmnist"``, ``"pathmnist"``,
        ``"pneumoniamnist"``, ``"retinamnist"`` or ``"tissuemnist"``.
    size : {28, 64, 128, 224}, default=28
        Pixels a side: 28 is MedMNIST v2's size, 64, 128 and 224 those of
        MedMNIST+. Every size of every data set has a published checksum,
        so none is left out. Mind the memory at 224: pathmnist's training
        split alone is 13.5 GB of pixels.
    split : {"train", "val", "test"}, default="train"
        Which of the official splits to return.
    data_home : str or path-like, default=None
        The folder to cache the file in. When None, the folder named by the
        ``GANSAMPLER_DATA`` environment variable, else ``~/gansampler_data``.
    download_if_missing : bool, default=True
        When False, a file that is not there raises FileNotFoundError
        instead of being downloaded.

    Returns
    -------
    X : ndarray of shape (n, size, size) or (n, size, size, 3), dtype uint8
        The images: grayscale, or RGB for pathmnist, dermamnist, retinamnist
        and bloodmnist.
    y : ndarray of shape (n,), or (n, 14) for chestmnist
        Integer labels; chestmnist's are 14 binary columns (multi-label).

    Raises
    ------
    ValueError
        An unknown ``name``, ``size`` or ``split`` (the message lists the
        valid ones), or a file that is not a MedMNIST ``.npz``.
    OSError
        The download failed or its checksum is not the published one. The
        message names the file, its address and the folder to put it in by
        hand; nothing is left in the data home.
    FileNotFoundError
        The file is missing and ``download_if_missing=False``.

    See Also
    --------
    load_medmnist : Read a MedMNIST-format file that is already on disk.
    get_data_home : The folder the files are cached in.

    Notes
    -----
    Decisions, written down:

    - The signature follows scikit-learn's fetchers (``fetch_openml``,
      ``fetch_covtype``): the data set positional, everything else
      keyword-only, ``data_home`` and ``download_if_missing`` with their
      meanings. It returns ``(X, y)`` of one split, as
      :func:`load_medmnist` does, rather than a Bunch: MedMNIST's splits
      are official, and a study keeps its test split apart.
    - Files keep the release's names (``dermamnist.npz``,
      ``dermamnist_64.npz``), so a folder of files downloaded by the
      medmnist package, or by hand, can serve as the data home.
    - A file in the cache is read as it is: its checksum is checked when it
      is downloaded, not on each load (the largest files are gigabytes).
      Delete it to download it again. Your own copy of a file (say, one
      whose training images were shuffled) is read as well.
    - A download goes to a temporary file beside its final name and is
      renamed once its checksum matches; a failure, a wrong checksum or
      Ctrl-C leaves nothing behind.

    The addresses and MD5 checksums are those of the MedMNIST+ release on
    Zenodo (record 10519652, https://doi.org/10.5281/zenodo.10519652), as
    the medmnist package (v3.0.2) lists them; the 28-pixel files are
    MedMNIST v2's. Each data set keeps the licence of its source (CC BY 4.0,
    but CC BY-NC 4.0 for dermamnist); cite the release and each data set's
    source paper, as listed by MedMNIST.

    References
    ----------
    .. [1] J. Yang, R. Shi, D. Wei, Z. Liu, L. Zhao, B. Ke, H. Pfister and
       B. Ni, "MedMNIST v2 - A large-scale lightweight benchmark for 2D and
       3D biomedical image classification", Scientific Data 10, 41 (2023),
       https://doi.org/10.1038/s41597-022-01721-8. Data:
       https://doi.org/10.5281/zenodo.10519652.

    Examples
    --------
    >>> from gansampler.datasets import fetch_medmnist
    >>> X, y = fetch_medmnist("dermamnist", size=64)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (7007, 64, 64, 3)
    """
    names = sorted({key[0] for key in MEDMNIST_FILES})
    if name not in names:
        raise ValueError(
            f"name must be one of the MedMNIST 2D data sets: {', '.join(names)}; "
            f"got name={name!r}."
        )
    sizes = sorted(key[1] for key in MEDMNIST_FILES if key[0] == name)
    if (name, size) not in MEDMNIST_FILES:
        raise ValueError(
            f"size must be one of {', '.join(map(str, sizes))} for {name}; "
            f"got size={size!r}."
        )
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}; got split={split!r}.")
    remote = MEDMNIST_FILES[name, size]
    folder = _data_home(data_home)
    for place in _search_paths(remote.filename, data_home):
        if place.is_file():
            try:
                return _read_split(place, split)
            except ValueError as error:
                raise ValueError(
                    f"{error} Delete it to download {name} again."
                ) from None
    if not download_if_missing:
        looked = ", ".join(str(p) for p in _search_paths(remote.filename, data_home))
        raise FileNotFoundError(
            f"{remote.filename} was not found (looked in: {looked}) and "
            f"download_if_missing=False; download it from {remote.url} (MD5 "
            f"{remote.md5}) into {folder}{os.sep}, or pass "
            "download_if_missing=True."
        )
    return _read_split(download(remote, folder), split)


def load_pneumoniamnist(split="train", path=None):
    """Load PneumoniaMNIST (MedMNIST v2): 28x28 chest X-rays, 1 = pneumonia.

    Parameters
    ----------
    split : {"train", "val", "test"}, default="train"
        Which split to return. The official splits hold 4708, 524 and 624
        images.
    path : str or path-like, default=None
        The ``pneumoniamnist.npz`` file or its folder. When None, the data
        home (the folder in the ``GANSAMPLER_DATA`` environment variable, else
        ``~/gansampler_data``) is tried, then ``~/.medmnist/``.

    Returns
    -------
    X : ndarray of shape (n, 28, 28), dtype uint8
        The images.
    y : ndarray of shape (n,), dtype uint8
        0 for normal, 1 for pneumonia.

    See Also
    --------
    fetch_medmnist : Download PneumoniaMNIST, at 28 to 224 pixels, once.

    Notes
    -----
    The data set is licensed CC BY 4.0; cite Yang et al., "MedMNIST v2",
    Scientific Data 10, 41 (2023), and Kermany et al., Cell 172(5),
    1122-1131 (2018).
    """
    return load_medmnist(PNEUMONIAMNIST_FILE, split=split, path=path)
