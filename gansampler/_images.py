"""The image input contract shared by every gansampler estimator.

Accepted forms of ``X``:

* ``(n, H, W)``: grayscale images;
* ``(n, H, W, C)``: channels-last images (numpy, scikit-image, PIL, MedMNIST);
* ``(n, D)``: flat rows, read with ``image_shape=(H, W)`` or ``(H, W, C)``;
  without ``image_shape`` a square ``D`` is read as a square grayscale image
  and any other ``D`` as a ``1 x D`` grayscale strip, so that plain tabular
  data still works.

Internally images are float32 tensors in NCHW layout. ``uint8`` images are
scaled to ``[0, 1]``, ``bool`` images are 0 and 1, and any other dtype keeps
its values. The rule is the fit's: after fitting, images of another dtype are
read as the fitted dtype's pixel values (a ``float64`` copy of ``uint8``
training pixels gives the same answer). Results go back in the caller's
layout and dtype through :func:`images_to_numpy`; ``bool`` results are
thresholded at 0.5.
"""

from dataclasses import dataclass, replace
from math import isqrt

import numpy as np
import torch
from sklearn.utils.validation import validate_data

from ._warnings import warn

MAX_CHANNELS = 4
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class ImageLayout:
    """Geometry and storage of the caller's images.

    Attributes
    ----------
    ndim : int
        Dimensions of the caller's ``X``: 2 (flat), 3 (grayscale) or 4
        (channels-last).
    height, width, channels : int
        Image geometry.
    dtype : numpy.dtype
        The caller's dtype, restored on the way out.
    """

    ndim: int
    height: int
    width: int
    channels: int
    dtype: np.dtype

    @property
    def image_shape(self):
        return (self.height, self.width, self.channels)

    @property
    def n_features(self):
        return self.height * self.width * self.channels

    @property
    def is_uint8(self):
        return self.dtype == np.uint8


def _format_shape(shape):
    return str(tuple(int(s) for s in shape))


def _normalise_image_shape(image_shape):
    """Return ``image_shape`` as ``(H, W, C)``, or raise a clear error."""
    valid = (
        isinstance(image_shape, (tuple, list))
        and len(image_shape) in (2, 3)
        and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0
            for s in image_shape
        )
    )
    if not valid:
        raise ValueError(
            f"image_shape must be a tuple (H, W) or (H, W, C) of positive "
            f"integers; got image_shape={image_shape!r}."
        )
    shape = tuple(int(s) for s in image_shape)
    if len(shape) == 2:
        shape = shape + (1,)
    if shape[2] > MAX_CHANNELS:
        raise ValueError(
            f"image_shape={image_shape!r} has {shape[2]} channels; at most "
            f"{MAX_CHANNELS} are supported."
        )
    return shape


def _refuse_1d(X):
    raise ValueError(
        f"Expected 2D array, got {np.ndim(X)}D array instead: X of shape "
        f"{_format_shape(np.shape(X))}. Images go in as (n, H, W), (n, H, W, C) "
        "or flat (n, D) rows. Reshape your data: X.reshape(1, -1) for a "
        "single flat image, X.reshape(-1, 1) for a single feature."
    )


def _layout_from_array(X, image_shape, fitted_layout, estimator_name):
    n_dim = X.ndim
    if n_dim < 2:
        _refuse_1d(X)
    if n_dim > 4:
        raise ValueError(
            f"X must be 2-D (n, D), 3-D (n, H, W) or 4-D (n, H, W, C); got X "
            f"with {n_dim} dimensions, of shape {_format_shape(X.shape)}."
        )
    if n_dim == 2:
        n_features = X.shape[1]
        if fitted_layout is not None:
            # After fitting, flat rows are read with the fitted geometry.
            if n_features != fitted_layout.n_features:
                raise ValueError(
                    f"X has {n_features} features, but {estimator_name} is "
                    f"expecting {fitted_layout.n_features} features as input "
                    f"(images of shape {_format_shape(fitted_layout.image_shape)})."
                )
            shape = fitted_layout.image_shape
        elif image_shape is not None:
            shape = _normalise_image_shape(image_shape)
            if int(np.prod(shape)) != n_features:
                raise ValueError(
                    f"image_shape={image_shape!r} needs {int(np.prod(shape))} "
                    f"features per sample; got X with {n_features} features."
                )
        else:
            side = isqrt(n_features)
            shape = (side, side, 1) if side * side == n_features else (1, n_features, 1)
        return ImageLayout(2, *shape, X.dtype)

    if n_dim == 3:
        shape = (X.shape[1], X.shape[2], 1)
    else:
        shape = X.shape[1:]
        if shape[2] > MAX_CHANNELS:
            raise ValueError(
                f"4-D X is read as channels-last (n, H, W, C) with at most "
                f"{MAX_CHANNELS} channels; got shape {_format_shape(X.shape)}. "
                "Channels-first images (n, C, H, W) need "
                "X.transpose(0, 2, 3, 1)."
            )
    if 0 in tuple(shape):
        raise ValueError(
            f"X holds images of shape {_format_shape(shape)} (H, W, C), with "
            "no pixels; every side and the channels must be at least 1."
        )
    if n_dim == 4 and fitted_layout is None and shape[2] > shape[0]:
        # (n, C, H, W) with C <= 4 passes as channels-last; this is the
        # case that can be told.
        warn(
            f"X of shape {_format_shape(X.shape)} is read as channels-last "
            f"(n, H, W, C): {shape[0]}x{shape[1]} images with {shape[2]} "
            "channels. If it holds channels-first images (n, C, H, W), "
            "pass X.transpose(0, 2, 3, 1).",
            UserWarning,
        )
    if image_shape is not None and fitted_layout is None:
        expected = _normalise_image_shape(image_shape)
        if expected != tuple(shape):
            raise ValueError(
                f"image_shape={image_shape!r} does not match the images in X, "
                f"of shape {_format_shape(X.shape[1:])}; leave image_shape=None "
                "for 3-D and 4-D X."
            )
    if fitted_layout is not None and tuple(shape) != fitted_layout.image_shape:
        raise ValueError(
            f"X holds images of shape {_format_shape(shape)} (H, W, C), but "
            f"{estimator_name} was fitted on images of shape "
            f"{_format_shape(fitted_layout.image_shape)}."
        )
    return ImageLayout(n_dim, *shape, X.dtype)


def _check_range(X):
    """Refuse values that float32, in which everything is computed, cannot hold."""
    if X.dtype.kind == "f" and X.dtype.itemsize > 4 and X.size:
        peak = float(np.max(np.abs(X)))
        if peak > FLOAT32_MAX:
            raise ValueError(
                f"X holds values up to {peak:.3g}, beyond the range of float32 "
                f"(+-{FLOAT32_MAX:.3g}), in which gansampler computes; rescale X, "
                "for example to [0, 1]."
            )


def _as_fitted(layout, fitted, X):
    """The layout of ``X`` read by the fitted scale rule (see the module doc)."""
    if fitted.is_uint8 and not layout.is_uint8 and X.size:
        low, high = float(np.min(X)), float(np.max(X))
        if low < 0 or high > 255:
            raise ValueError(
                f"X is {X.dtype} with values in [{low:.4g}, {high:.4g}], but the "
                "estimator was fitted on uint8 images, whose pixels are 0 to "
                "255; pass pixels on that scale (X.astype(np.uint8) when they "
                "are whole numbers)."
            )
        if high <= 1:
            warn(
                f"X is {X.dtype} with values in [{low:.4g}, {high:.4g}]; the "
                "estimator was fitted on uint8 images, so these read as pixel "
                "values of at most 1 out of 255. Pass X * 255 if X was scaled "
                "to [0, 1].",
                UserWarning,
            )
    elif layout.is_uint8 and not fitted.is_uint8:
        warn(
            f"X is uint8, but the estimator was fitted on {fitted.dtype} images; "
            "its values are read as they are (0 to 255), not scaled to [0, 1] "
            "as uint8 training images would be.",
            UserWarning,
        )
    return replace(layout, dtype=fitted.dtype)


def validate_images(estimator, X, y="no_validation", *, reset, image_shape=None):
    """Validate ``X`` (and ``y``) as images.

    Parameters
    ----------
    estimator : estimator instance
        Receives ``n_features_in_`` (the number of pixel values per image)
        and ``feature_names_in_`` when ``reset=True``; with ``reset=False``
        its fitted ``_layout`` is checked against ``X``.
    X : array-like
        Images in any form of the contract.
    y : array-like or None, default="no_validation"
        Targets, validated together with ``X`` unless left at the default;
        ``None`` is an error for estimators that require ``y``.
    reset : bool
        True in ``fit``; False afterwards.
    image_shape : tuple, default=None
        The ``image_shape`` parameter of the estimator.

    Returns
    -------
    X : ndarray
        The validated array, in the caller's layout.
    y : ndarray
        Only when ``y`` was validated.
    layout : ImageLayout
    """
    params = dict(
        reset=reset,
        ensure_2d=False,
        allow_nd=True,
        dtype="numeric",
        ensure_all_finite=True,
    )
    only_X = isinstance(y, str) and y == "no_validation"
    # Checked before validate_data, whose own message for 1-D X beside a y
    # blames inconsistent lengths; only where the rank can be read cheaply.
    if isinstance(X, (np.ndarray, list, tuple)) and np.ndim(X) == 1:
        _refuse_1d(X)
    if not only_X and y is not None:
        check_labels(y)
    if only_X:
        X = validate_data(estimator, X, **params)
    else:
        X, y = validate_data(estimator, X, y, **params)
    _check_range(X)
    fitted = None if reset else getattr(estimator, "_layout", None)
    layout = _layout_from_array(X, image_shape, fitted, type(estimator).__name__)
    if fitted is not None:
        layout = _as_fitted(layout, fitted, X)
    if reset:
        estimator.n_features_in_ = layout.n_features
    return (X, layout) if only_X else (X, y, layout)


def check_labels(y):
    """Refuse ``None`` labels, which numpy cannot sort among the others."""
    if y is None:
        return
    if not hasattr(y, "dtype"):
        y = np.asarray(y, dtype=object)
    if y.dtype.kind == "O":
        # None, and the NaN or pd.NA that pandas reads for a missing label.
        missing = np.flatnonzero(
            [label is None or label != label for label in np.ravel(y)]
        )
        if len(missing):
            raise ValueError(
                f"y holds None or NaN at {len(missing)} position(s) (the first at "
                f"index {missing[0]}); every sample needs a label. Drop the unlabelled "
                "samples, or give them a label of their own."
            )


def images_to_tensor(X, layout):
    """Return ``X`` as a float32 NCHW tensor; ``uint8`` is scaled to [0, 1]."""
    X = np.asarray(X)
    n = X.shape[0]
    X = X.reshape(n, layout.height, layout.width, layout.channels)
    # copy=True: the caller's array may be read-only (memmaps), and torch
    # warns on tensors that share memory with one.
    X = np.array(X.transpose(0, 3, 1, 2), dtype=np.float32, order="C", copy=True)
    if layout.is_uint8:
        X /= 255.0
    return torch.from_numpy(X)


def images_to_numpy(images, layout):
    """Return NCHW float ``images`` in the caller's layout and dtype."""
    images = images.detach().to("cpu", torch.float32)
    X = images.permute(0, 2, 3, 1).numpy()
    if layout.is_uint8:
        X = np.clip(np.rint(X * 255.0), 0, 255)
    elif layout.dtype == bool:
        X = X >= 0.5
    elif np.issubdtype(layout.dtype, np.integer):
        info = np.iinfo(layout.dtype)
        # Clipped in float64: float32 rounds int32's largest value up, past it.
        X = np.clip(np.rint(X.astype(np.float64)), info.min, info.max)
    X = X.astype(layout.dtype, copy=False)
    n = X.shape[0]
    if layout.ndim == 2:
        return X.reshape(n, layout.n_features)
    if layout.ndim == 3:
        return X.reshape(n, layout.height, layout.width)
    return X
