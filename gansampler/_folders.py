"""Image folders: one subfolder per class, read and written with Pillow."""

import os
import shutil
import tempfile
from numbers import Integral
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ._files import user_mode

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
    """One image as 8-bit ``mode`` ("L" or "RGB"), resized to ``size``."""
    try:
        with Image.open(path) as image:
            image.load()
            if image.mode.startswith("I;16") or image.mode == "I":
                # 16-bit pixels scaled to 8 bits (Pillow's convert would clip
                # every value above 255 to white).
                values = np.asarray(image, dtype=np.int64)
                if values.min() < 0 or values.max() > 65535:
                    raise ValueError("32-bit integer pixels beyond 16 bits")
                image = Image.fromarray((values // 257).astype(np.uint8))
            elif image.mode == "F":
                raise ValueError(
                    "floating-point pixels; save the image with integer pixels"
                )
            image = image.convert(mode)
            if size is not None:
                image = image.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            return np.asarray(image, dtype=np.uint8)
    except _READ_ERRORS as error:
        raise _unreadable(path, error) from None


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
        ``"gray"`` converts every image to 8-bit grayscale, ``"rgb"`` to 8-bit
        RGB. ``"auto"`` gives grayscale when every image is grayscale and RGB
        otherwise (transparency is dropped).

    Returns
    -------
    X : ndarray of shape (n, H, W) or (n, H, W, 3), dtype uint8
        The images.
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
    if color == "auto":
        # Modes from the headers: no image is held whole before it is sized.
        gray = all(_mode(file) in GRAY_MODES for _, file in entries)
        color = "gray" if gray else "rgb"
    mode = "L" if color == "gray" else "RGB"
    arrays = []
    for _, file in entries:
        array = _read(file, mode, size)
        if arrays and array.shape != arrays[0].shape:
            raise ValueError(
                f"{file} is {array.shape[1]}x{array.shape[0]} (width x height) but "
                f"{entries[0][1]} is {arrays[0].shape[1]}x{arrays[0].shape[0]}; pass "
                "image_size=(H, W) (--image-size H W on the command line) to "
                "resize every image to one size."
            )
        arrays.append(array)
    y = np.array([label for label, _ in entries])
    return np.stack(arrays), y


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


def save_image_folder(X, y, path, image_shape=None):
    """Write images as a folder with one subfolder per class (PNG files).

    Written to a temporary folder beside ``path`` and renamed at the end, so
    that a failure leaves nothing at ``path``. :func:`load_image_folder` reads
    it back (the images grouped by class, in their order within each class).

    Parameters
    ----------
    X : array-like of shape (n, H, W), (n, H, W, C) or (n, D), dtype uint8
        The images: 1 (grayscale), 3 (RGB) or 4 (RGBA) channels.
    y : array-like of shape (n,)
        Their classes; each becomes a folder named ``str(label)``.
    path : str or path-like
        The folder to create; it must not exist yet.
    image_shape : tuple or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D ``X``.

    Returns
    -------
    path : pathlib.Path
        The folder written.
    """
    X, y = np.asarray(X), np.asarray(y)
    if len(X) == 0:
        raise ValueError(
            "X holds no images; a folder without class folders could not be read back."
        )
    if X.dtype != np.uint8:
        raise ValueError(
            f"X must hold uint8 pixels to be written as PNG files; got {X.dtype}. "
            "Scale the images to 0-255 and use X.astype(np.uint8)."
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
    if len(y) != len(X):
        raise ValueError(f"X holds {len(X)} images but y holds {len(y)} labels.")
    names = {label: _check_label(label) for label in np.unique(y)}
    folded = [name.lower() for name in names.values()]
    if len(set(folded)) < len(folded):
        raise ValueError(
            f"The labels {sorted(names.values())!r} differ only in case in "
            "places; folders named after them would merge on Windows and macOS."
        )
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
