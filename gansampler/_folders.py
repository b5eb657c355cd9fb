"""Image folders: one subfolder per class, read and written with Pillow."""

import os
import shutil
import tempfile
from numbers import Integral
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ._files import user_mode
from ._images import check_labels

EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
COLORS = ("auto", "gray", "rgb")


def _class_folders(root):
    if not root.is_dir():
        raise ValueError(f"path={str(root)!r} is not a folder of class folders.")
    folders = sorted(
        p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    if not folders:
        raise ValueError(
            f"{root} holds no class folders; put the images of each class in a "
            "folder of their own, named after the class."
        )
    return folders


def _image_files(folder):
    """The class's images, in nested folders too (as torchvision's
    ImageFolder reads them); hidden files and folders are left out."""
    files = []
    for path in sorted(folder.rglob("*")):
        hidden = any(part.startswith(".") for part in path.relative_to(folder).parts)
        if hidden or path.suffix.lower() not in EXTENSIONS or path.is_dir():
            continue
        if not path.is_file():
            raise ValueError(
                f"{path} is not a readable file (a broken link?); remove it or "
                "repair it."
            )
        files.append(path)
    if not files:
        raise ValueError(
            f"The class folder {folder} holds no images ({', '.join(EXTENSIONS)}); "
            "remove it, or add its images."
        )
    return files


def _check_size(image_size):
    if image_size is None:
        return None
    if isinstance(image_size, Integral) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    ok = (
        isinstance(image_size, (tuple, list))
        and len(image_size) == 2
        and all(isinstance(s, Integral) and not isinstance(s, bool) for s in image_size)
        and min(image_size) > 0
    )
    if not ok:
        raise ValueError(
            "image_size must be None, a positive int or a (height, width) pair "
            f"of positive ints; got image_size={image_size!r}."
        )
    return int(image_size[0]), int(image_size[1])


GRAY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
# Pillow's modes of 16-bit grayscale files (32-bit "I" is read as 16 bits).
DEEP_MODES = ("I", "I;16", "I;16B", "I;16L")


# Pillow's decompression-bomb guard raises an error of its own, not OSError.
_READ_ERRORS = (
    UnidentifiedImageError,
    OSError,
    ValueError,
    Image.DecompressionBombError,
)


def _unreadable(path, error):
    if isinstance(error, Image.DecompressionBombError):
        return ValueError(
            f"{path} is too large to read safely: {error} Pillow refuses it; "
            "raise PIL.Image.MAX_IMAGE_PIXELS if the file is trusted."
        )
    return ValueError(f"{path} cannot be read as an image: {error}")


def _mode(path):
    """The image's mode, from its header only."""
    try:
        with Image.open(path) as image:
            return image.mode
    except _READ_ERRORS as error:
        raise _unreadable(path, error) from None


def _read(path, mode, size):
    """One image as 8-bit ``mode`` ("L" or "RGB"), or as 16-bit grayscale
    ("I;16"), resized to ``size``."""
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode == "F":
                raise ValueError(
                    "floating-point pixels; save the image with integer pixels"
                )
            if mode == "I;16":
                # Pillow opens 16-bit PNG and TIFF files as "I;16" (or as
                # 32-bit "I"); the values stay as stored, 12-bit data too.
                values = np.asarray(image, dtype=np.int64)
                if values.min() < 0 or values.max() > 65535:
                    raise ValueError("32-bit integer pixels beyond 16 bits")
                image = Image.fromarray(values.astype(np.uint16))
            else:
                image = image.convert(mode)
            if size is not None:
                image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            return np.asarray(image)
    except _READ_ERRORS as error:
        raise _unreadable(path, error) from None


def _bit_depth(files, modes):
    """16 when every image holds 16-bit grayscale pixels, 8 when none does;
    a folder that mixes them is refused (which scale is white is unknown)."""
    pairs = list(zip(files, modes, strict=True))
    deep = [file for file, mode in pairs if mode in DEEP_MODES]
    # Floating-point files are refused when they are read.
    shallow = [file for file, mode in pairs if mode not in DEEP_MODES + ("F",)]
    if deep and shallow:
        raise ValueError(
            f"{deep[0]} holds 16-bit pixels but {shallow[0]} 8-bit ones ({len(deep)} "
            f"and {len(shallow)} images): a folder loads at one bit depth, and "
            "the files do not say which 16-bit value is white (4095 for 12-bit "
            "X-rays, 65535 for the full range), so the 8-bit images cannot be "
            "put on their scale. Save them all at one bit depth."
        )
    return 16 if deep else 8


def load_image_folder(path, image_size=None, color="auto"):
    """Read images from a folder with one subfolder per class.

    The layout that image data sets and torchvision's ``ImageFolder`` use::

        path/normal/0001.png
        path/normal/0002.png
        path/pneumonia/0001.jpeg

    Files are read with Pillow, in the order of their paths within each
    class, classes in the order of their folder names. Images in folders
    nested within a class folder belong to that class, as ``ImageFolder``
    reads them. Files whose extension is not an image's (.png, .jpg, .jpeg,
    .tif, .tiff, .bmp), and hidden files and folders, are left alone; a
    broken link with an image's extension is an error.

    Parameters
    ----------
    path : str or path-like
        The folder of class folders.
    image_size : int, (int, int) or None, default=None
        ``(height, width)`` to resize every image to (bilinear, with
        Pillow's antialiasing when shrinking); an int for square images.
        ``None`` keeps the sizes, which must then all be the same.
    color : {"auto", "gray", "rgb"}, default="auto"
        ``"gray"`` converts every image to grayscale, ``"rgb"`` to RGB.
        ``"auto"`` gives grayscale when every image is grayscale and RGB
        otherwise (transparency is dropped).

    Returns
    -------
    X : ndarray of shape (n, H, W) or (n, H, W, 3), dtype uint8 or uint16
        The images. 16-bit grayscale files (PNG, TIFF) give ``uint16`` with
        the values they store (12-bit X-rays keep their 4096 levels); other
        files give ``uint8``. A folder that mixes 16-bit and 8-bit files is
        refused.
    y : ndarray of shape (n,)
        The class of each image: the name of its folder (str).
    """
    if color not in COLORS:
        raise ValueError(f"color must be one of {COLORS}; got color={color!r}.")
    size = _check_size(image_size)
    root = Path(path).expanduser()
    entries = [
        (folder.name, file)
        for folder in _class_folders(root)
        for file in _image_files(folder)
    ]
    # Modes from the headers: no image is held whole before it is sized.
    modes = [_mode(file) for _, file in entries]
    if color == "auto":
        gray = all(mode in GRAY_MODES for mode in modes)
        color = "gray" if gray else "rgb"
    deep = _bit_depth([file for _, file in entries], modes) == 16
    mode = "I;16" if deep else ("L" if color == "gray" else "RGB")
    arrays = []
    for _, file in entries:
        array = _read(file, mode, size)
        if arrays and array.shape[:2] != arrays[0].shape[:2]:
            raise ValueError(
                f"{file} is {array.shape[1]}x{array.shape[0]} (width x height) but "
                f"{entries[0][1]} is {arrays[0].shape[1]}x{arrays[0].shape[0]}; pass "
                "image_size=(H, W) (--image-size H W on the command line) to "
                "resize every image to one size."
            )
        arrays.append(array)
    X = np.stack(arrays)
    if deep and color == "rgb":
        # 16-bit grayscale as RGB: Pillow's RGB holds 8 bits a channel.
        X = np.repeat(X[..., None], 3, axis=-1)
    y = np.array([label for label, _ in entries])
    return X, y


def _check_label(label):
    name = str(label)
    if (
        name.startswith(".")
        or not name
        or "/" in name
        or "\\" in name
        or os.sep in name
    ):
        raise ValueError(
            f"The label {name!r} cannot name a class folder: labels must be "
            "non-empty, must not start with '.' (hidden folders are not read "
            "back) and must hold no '/' or '\\'."
        )
    return name


def _check_folder_data(X, y, image_shape=None):
    """``X`` as (n, H, W) or (n, H, W, C) images that PNG files hold, ``y``
    as 1-D labels, and each label's folder name; clear errors otherwise."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) == 0:
        raise ValueError(
            "X holds no images; a folder without class folders could not be read back."
        )
    if X.dtype not in (np.uint8, np.uint16):
        raise ValueError(
            "X must hold uint8 (or 16-bit grayscale uint16) pixels to be written "
            f"as PNG files; got {X.dtype}. Scale the images to 0-255 and use "
            "X.astype(np.uint8)."
        )
    if X.ndim == 2:
        if image_shape is None:
            raise ValueError(
                "X holds flat rows; pass image_shape=(H, W) or (H, W, C) to write "
                "them as images."
            )
        X = X.reshape((len(X),) + tuple(image_shape))
    if X.ndim == 4 and X.shape[3] == 1:
        X = X[..., 0]
    if X.ndim not in (3, 4) or (X.ndim == 4 and X.shape[3] not in (3, 4)):
        raise ValueError(
            "X must be (n, H, W), (n, H, W, 1, 3 or 4) or flat rows with "
            f"image_shape; got X of shape {X.shape}."
        )
    if X.dtype == np.uint16 and X.ndim == 4:
        raise ValueError(
            f"X is uint16 with {X.shape[3]} channels; PNG files are written "
            "(by Pillow) with 16 bits for grayscale images only. Pass grayscale "
            "images, or colour ones scaled to uint8."
        )
    if y.ndim == 2 and y.shape[1] == 1:
        # MedMNIST stores its labels as (n, 1); load_medmnist reads them so.
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"y must hold one label per image, of shape (n,) or (n, 1); got y "
            f"of shape {y.shape}. A folder holds each image under one class."
        )
    if len(y) != len(X):
        raise ValueError(f"X holds {len(X)} images but y holds {len(y)} labels.")
    # None or NaN, which cannot name a folder (and np.unique keeps each NaN
    # apart).
    check_labels(y.astype(object))
    names = {label: _check_label(label) for label in np.unique(y)}
    folded = [name.lower() for name in names.values()]
    if len(set(folded)) < len(folded):
        raise ValueError(
            f"The labels {sorted(names.values())!r} differ only in case in "
            "places; folders named after them would merge on Windows and macOS."
        )
    return X, y, names


def save_image_folder(X, y, path, image_shape=None):
    """Write images as a folder with one subfolder per class (PNG files).

    Written to a temporary folder beside ``path`` and renamed at the end, so
    that a failure leaves nothing at ``path``. :func:`load_image_folder` reads
    it back (the images grouped by class, in their order within each class).

    Parameters
    ----------
    X : array-like of shape (n, H, W), (n, H, W, C) or (n, D), dtype uint8 or uint16
        The images: 1 (grayscale), 3 (RGB) or 4 (RGBA) channels. Grayscale
        ``uint16`` images are written as 16-bit PNG files.
    y : array-like of shape (n,) or (n, 1)
        Their classes; each becomes a folder named ``str(label)``. A column
        ``(n, 1)``, as MedMNIST stores labels, is read as ``(n,)``; None and
        NaN labels are refused.
    path : str or path-like
        The folder to create; it must not exist yet.
    image_shape : tuple or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D ``X``.

    Returns
    -------
    path : pathlib.Path
        The folder written.
    """
    X, y, names = _check_folder_data(X, y, image_shape)
    digits = max(6, len(str(len(X) - 1)))
    target = Path(path).expanduser()
    if target.exists():
        raise ValueError(
            f"path={str(target)!r} exists already; save_image_folder writes a "
            "new folder and never overwrites one."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        user_mode(partial)  # mkdtemp makes the folder private
        for index, (image, label) in enumerate(zip(X, y, strict=True)):
            folder = partial / names[label]
            folder.mkdir(exist_ok=True)
            Image.fromarray(image).save(folder / f"{index:0{digits}d}.png")
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target
