"""Figures: real images beside generated ones, Grad-CAM maps over images.
Needs matplotlib (the plot extra)."""

from math import isqrt
from numbers import Integral, Real

import numpy as np

from ._images import _format_shape, _normalise_image_shape
from ._validation import own_random_state, plain

__all__ = ["plot_cam", "plot_samples"]

# Inches: one image cell, the margin for row labels, the band for titles.
_CELL = 0.6
_LABEL_MARGIN = 0.7
_TITLE_BAND = 0.35


def _as_images(X, name, image_shape):
    """``X`` as an ``(n, H, W, C)`` array, and its display scaling: a pixel
    ``v`` shows as ``(v - offset) / scale``, ``uint8`` divided by 255, any
    other dtype min-max scaled over the whole set."""
    X = np.asarray(X)
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == np.bool_):
        raise ValueError(
            f"{name} must hold numeric pixel values; got {name} of dtype {X.dtype}."
        )
    if X.ndim == 2:
        n_features = X.shape[1]
        if image_shape is None:
            side = isqrt(n_features)
            if side * side != n_features:
                raise ValueError(
                    f"{name} holds flat rows of {n_features} features, which is "
                    "not a square number, so the image shape cannot be "
                    "inferred; pass image_shape=(H, W) or (H, W, C)."
                )
            shape = (side, side, 1)
        else:
            shape = _normalise_image_shape(image_shape)
            if int(np.prod(shape)) != n_features:
                raise ValueError(
                    f"image_shape={image_shape!r} needs {int(np.prod(shape))} "
                    f"features per image; got {name} with {n_features} features."
                )
    elif X.ndim in (3, 4):
        shape = (*X.shape[1:3], 1 if X.ndim == 3 else X.shape[3])
        if image_shape is not None and _normalise_image_shape(image_shape) != shape:
            raise ValueError(
                f"image_shape={image_shape!r} does not match the images in "
                f"{name}, of shape {_format_shape(X.shape[1:])}; leave "
                "image_shape=None for 3-D and 4-D input."
            )
    else:
        raise ValueError(
            f"{name} must be 2-D (n, D) with image_shape, 3-D (n, H, W) or 4-D "
            f"(n, H, W, C); got {name} with {X.ndim} dimensions, of shape "
            f"{_format_shape(X.shape)}."
        )
    if shape[2] not in (1, 3):
        raise ValueError(
            f"{name} holds images with {shape[2]} channels; plot_samples shows "
            "1 channel (grayscale) or 3 (RGB)."
        )
    X = X.reshape(X.shape[0], *shape)

    if X.dtype == np.uint8:
        return X, 0.0, 255.0
    if X.size == 0:
        return X, 0.0, 1.0
    if np.issubdtype(X.dtype, np.floating) and not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values.")
    low, high = float(X.min()), float(X.max())
    return X, low, (high - low) if high > low else 1.0


def _pyplot(function):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{function} needs matplotlib; install it with "
            'pip install "gansampler[plot]".'
        ) from exc
    return plt


def _display(image, offset, scale):
    """An image's pixels in [0, 1] for display, and the colormap it needs."""
    image = np.clip((image.astype(np.float64) - offset) / scale, 0.0, 1.0)
    if image.shape[2] == 1:
        return image[..., 0], "gray"
    return image, None


def _label_kind(y):
    """ "numbers" or "strings" (or the dtype), to compare two label arrays."""
    if y.dtype.kind in "biuf":
        return "numbers"
    if y.dtype.kind in "US" or all(isinstance(v, str) for v in y.tolist()):
        return "strings"
    return f"{y.dtype} labels"


def _as_labels(y, n_images, X_name, y_name):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{y_name} must be 1-D, one label per image; got {y_name} of shape "
            f"{_format_shape(y.shape)}."
        )
    if len(y) != n_images:
        raise ValueError(
            f"{X_name} has {n_images} images but {y_name} has {len(y)} labels; "
            "they must have the same length."
        )
    return y


def plot_samples(
    X_real,
    y_real,
    X_fake,
    y_fake,
    *,
    classes=None,
    n_per_class=8,
    image_shape=None,
    random_state=None,
    figsize=None,
):
    """Show real and generated images side by side, one row per class.

    Each row holds, on the left, up to ``n_per_class`` real images of a class
    drawn at random, and on the right up to ``n_per_class`` generated ones.
    Rows are labelled with the class; a class with fewer images than
    ``n_per_class`` shows all it has.

    Needs matplotlib: ``pip install "gansampler[plot]"``.

    Parameters
    ----------
    X_real : array-like of shape (n_real, H, W), (n_real, H, W, C) or (n_real, D)
        Real images: grayscale, channels-last with 1 or 3 channels, or flat
        rows read with ``image_shape``.

    y_real : array-like of shape (n_real,)
        Labels of ``X_real``.

    X_fake : array-like of shape (n_fake, H, W), (n_fake, H, W, C) or (n_fake, D)
        Generated images, in the same forms as ``X_real``.

    y_fake : array-like of shape (n_fake,)
        Labels of ``X_fake``.

    classes : array-like or None, default=None
        Classes to show, one row each, in this order. ``None`` shows every
        label found in ``y_real`` or ``y_fake``, sorted.

    n_per_class : int, default=8
        Most images shown per class on each side.

    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input. Ignored for 3-D and 4-D
        input, where it must match if given. Without it, flat rows of a square
        number of features are read as square grayscale images.

    random_state : int, RandomState instance or None, default=None
        Draws the images shown. The same integer shows the same images.

    figsize : tuple of float or None, default=None
        Width and height of the figure in inches. ``None`` gives about
        0.6 inch per image.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, with two subfigures titled ``"real"`` and
        ``"generated"``. It is not shown; call ``plt.show()`` or
        ``fig.savefig(...)``.

    Raises
    ------
    ImportError
        If matplotlib is not installed.

    ValueError
        If the images or labels are malformed, ``n_per_class`` is smaller
        than 1, or a requested class has no images.

    See Also
    --------
    gansampler.metrics.frechet_distance : a number for the same comparison.

    Notes
    -----
    For display, ``uint8`` images are divided by 255 and images of any other
    dtype are min-max scaled to ``[0, 1]`` over their set (the real and the
    generated images separately), so a set's contrast is kept. Grayscale
    images are drawn with the ``"gray"`` colormap.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from gansampler.plotting import plot_samples
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randint(0, 256, size=(20, 28, 28)).astype(np.uint8)
    >>> y = np.repeat([0, 1], 10)
    >>> fig = plot_samples(X, y, X[::-1], y, n_per_class=4, random_state=0)
    >>> sum(bool(ax.images) for ax in fig.axes)
    16
    """
    if (
        isinstance(n_per_class, bool)
        or not isinstance(n_per_class, Integral)
        or n_per_class < 1
    ):
        raise ValueError(
            f"n_per_class must be an integer >= 1; got n_per_class={n_per_class!r}."
        )
    real, real_offset, real_scale = _as_images(X_real, "X_real", image_shape)
    fake, fake_offset, fake_scale = _as_images(X_fake, "X_fake", image_shape)
    y_real = _as_labels(y_real, len(real), "X_real", "y_real")
    y_fake = _as_labels(y_fake, len(fake), "X_fake", "y_fake")
    kinds = _label_kind(y_real), _label_kind(y_fake)
    if len(y_real) and len(y_fake) and kinds[0] != kinds[1]:
        # 1 never equals "1": each class would get only one side drawn.
        raise ValueError(
            f"y_real holds {kinds[0]} ({y_real[:3].tolist()!r}...) and y_fake "
            f"holds {kinds[1]} ({y_fake[:3].tolist()!r}...); label both the same "
            "way, for example y_fake.astype(y_real.dtype)."
        )
    if classes is None:
        present = [y for y in (y_real, y_fake) if len(y)]
        if not present:
            raise ValueError("X_real and X_fake hold no images; nothing to plot.")
        classes = np.unique(np.concatenate(present))
    else:
        classes = np.asarray(classes).ravel()
        if len(classes) == 0:
            raise ValueError("classes must name at least one class; got classes=[].")
        for label in classes:
            if not (np.any(y_real == label) or np.any(y_fake == label)):
                value = plain(label)
                raise ValueError(
                    f"classes holds {value!r}, which labels no image in y_real "
                    "or y_fake."
                )

    rng = own_random_state(random_state)

    def pick(y, label):
        indices = np.flatnonzero(y == label)
        if len(indices) > n_per_class:
            indices = rng.choice(indices, size=n_per_class, replace=False)
        return indices

    picks = [(pick(y_real, label), pick(y_fake, label)) for label in classes]
    n_cols = max(1, max(max(len(r), len(f)) for r, f in picks))
    n_rows = len(classes)

    plt = _pyplot("plot_samples")
    if figsize is None:
        figsize = (2 * n_cols * _CELL + _LABEL_MARGIN, n_rows * _CELL + _TITLE_BAND)
    width, height = figsize
    margin = min(_LABEL_MARGIN, 0.2 * width)
    half = (width - margin) / 2
    fig = plt.figure(figsize=figsize)
    left_fig, right_fig = fig.subfigures(
        1, 2, width_ratios=[half + margin, half], wspace=0
    )
    top = max(0.5, 1 - _TITLE_BAND / height)
    sides = [
        (left_fig, "real", real, real_offset, real_scale, 0),
        (right_fig, "generated", fake, fake_offset, fake_scale, 1),
    ]
    for subfig, title, images, offset, scale, side in sides:
        left = margin / (half + margin) if side == 0 else 0.02
        axes = subfig.subplots(
            n_rows,
            n_cols,
            squeeze=False,
            gridspec_kw=dict(
                left=left, right=0.98, bottom=0.02, top=top, wspace=0.05, hspace=0.05
            ),
        )
        subfig.suptitle(title)
        for row, (label, row_picks) in enumerate(zip(classes, picks, strict=True)):
            indices = row_picks[side]
            for col, ax in enumerate(axes[row]):
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_visible(False)
                if col < len(indices):
                    image, cmap = _display(images[indices[col]], offset, scale)
                    ax.imshow(image, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
                elif not (side == 0 and col == 0):
                    ax.set_axis_off()
            if side == 0:
                axes[row, 0].set_ylabel(str(label), rotation=0, ha="right", va="center")
    return fig


def plot_cam(X, maps, *, titles=None, n_cols=8, alpha=0.5, image_shape=None):
    """Show Grad-CAM maps over their images, in a grid.

    Needs matplotlib: ``pip install "gansampler[plot]"``.

    Parameters
    ----------
    X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
        The images, as for :func:`plot_samples`.

    maps : array-like of shape (n, H, W)
        One map per image in [0, 1], as :func:`gansampler.inspection.grad_cam`
        returns them (by default its fine and coarse maps multiplied, or
        the map of the ``layer`` it was given), drawn as they are.

    titles : sequence of str or None, default=None
        A title per image, for example its true and predicted labels.

    n_cols : int, default=8
        Images per row.

    alpha : float, default=0.5
        Opacity of the maps (``"jet"`` colormap) over the images.

    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D ``X``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        It is not shown; call ``plt.show()`` or ``fig.savefig(...)``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from gansampler.plotting import plot_cam
    >>> X = np.zeros((3, 16, 16), dtype=np.uint8)
    >>> maps = np.random.RandomState(0).uniform(size=(3, 16, 16))
    >>> fig = plot_cam(X, maps, titles=["a", "b", "c"])
    >>> len(fig.axes[0].images)
    2
    """
    images, offset, scale = _as_images(X, "X", image_shape)
    maps = np.asarray(maps)
    if maps.dtype.kind not in "biuf":
        raise ValueError(
            f"maps must hold real numbers; got maps of dtype {maps.dtype}."
        )
    maps = maps.astype(np.float64)
    if maps.shape != images.shape[:3]:
        raise ValueError(
            f"maps must hold one (H, W) map per image, of shape "
            f"{_format_shape(images.shape[:3])}; got maps of shape "
            f"{_format_shape(maps.shape)}."
        )
    if not np.isfinite(maps).all():
        raise ValueError("maps holds NaN or infinite values; grad_cam's are in [0, 1].")
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1]; got alpha={alpha!r}.")
    if isinstance(titles, str):
        raise ValueError(
            f"titles must be a sequence of titles, one per image; got the string "
            f"{titles!r}."
        )
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            f"titles must hold one title per image ({len(images)}); got {len(titles)}."
        )
    if isinstance(n_cols, bool) or not isinstance(n_cols, Integral) or n_cols < 1:
        raise ValueError(f"n_cols must be an integer >= 1; got n_cols={n_cols!r}.")
    if len(images) == 0:
        raise ValueError("X holds no images; nothing to plot.")
    plt = _pyplot("plot_cam")
    n_cols = min(n_cols, len(images))
    n_rows = -(-len(images) // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, squeeze=False, figsize=(1.3 * n_cols, 1.45 * n_rows)
    )
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= len(images):
            continue
        image, cmap = _display(images[k], offset, scale)
        ax.imshow(image, cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
        ax.imshow(maps[k], cmap="jet", alpha=alpha, vmin=0, vmax=1)
        if titles is not None:
            ax.set_title(str(titles[k]), fontsize=7)
    fig.tight_layout()
    return fig
