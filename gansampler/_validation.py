"""Checks of parameters and sizes that scikit-learn's validation lets through."""

import os
from numbers import Integral

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, InvalidParameterError
from sklearn.utils.validation import check_is_fitted


def plain(value):
    """A numpy scalar as the Python value it holds, for messages: ``1``, not
    ``np.int64(1)``."""
    return value.item() if isinstance(value, np.generic) else value


def _takes_bool(constraints):
    # scikit-learn's "verbose" constraint takes verbose=True on purpose.
    return any(c is bool or c in ("boolean", "verbose") for c in constraints)


def reject_bool_numbers(estimator):
    """Refuse ``True``/``False`` for numeric parameters.

    ``bool`` is a subclass of ``int`` in Python, so scikit-learn's
    ``Interval(Integral, ...)`` takes ``n_epochs=True`` as 1: almost always
    a slip, never what a reader of the code would guess.
    """
    constraints = estimator._parameter_constraints
    for name, value in estimator.get_params(deep=False).items():
        if isinstance(value, bool) and not _takes_bool(constraints.get(name, [])):
            raise InvalidParameterError(
                f"The {name!r} parameter of {type(estimator).__name__} must be "
                f"a number, not a bool; got {name}={value!r}."
            )


def physical_memory():
    """Bytes of memory of this machine, or None where it cannot be told."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def check_fits_in_memory(n_images, layout, what):
    """Refuse a request for more images than this machine's memory holds.

    Without this, ``sample(10**12)`` fails deep in numpy's allocator with a
    message that names no parameter.
    """
    needed = float(n_images) * layout.n_features * 4  # float32 values
    memory = physical_memory()
    if memory is not None and needed > memory:
        raise MemoryError(
            f"{what} asks for {n_images} new images of {layout.n_features} "
            f"values, {_size(needed)} as float32, more than this machine's "
            f"{_size(memory)} of memory; ask for fewer."
        )


def _size(n_bytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n_bytes < 1024 or unit == "PiB":
            return f"{n_bytes:.3g} {unit}"
        n_bytes /= 1024


def check_checkpoint_dir(folder):
    """Refuse a ``checkpoint_dir`` that cannot be a folder, naming it.

    ``""`` would silently mean the current folder, and an existing file or an
    unwritable place would fail with a bare ``OSError``.
    """
    if isinstance(folder, (str, os.PathLike)) and os.fspath(folder) == "":
        raise ValueError(
            "checkpoint_dir='' is not a folder; pass a folder's path, or None "
            "for no checkpoints."
        )
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise ValueError(
            f"checkpoint_dir={os.fspath(folder)!r} is a file, not a folder; pass "
            "a folder's path, or None for no checkpoints."
        )
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise type(error)(
            f"checkpoint_dir={os.fspath(folder)!r} cannot be created: "
            f"{error.strerror or error}; pass a folder you can write to, or "
            "None for no checkpoints."
        ) from error
    if not os.access(folder, os.W_OK):
        raise PermissionError(
            f"checkpoint_dir={os.fspath(folder)!r} is not writable; pass a "
            "folder you can write to, or None for no checkpoints."
        )


def check_label_kind(labels, classes, name, classes_name="classes_"):
    """Refuse booleans against labels of another kind, either way round:
    ``==`` and ``np.isin`` take True for 1, a slip, never a label."""
    labels, classes = np.asarray(labels), np.asarray(classes)
    if (labels.dtype.kind == "b") != (classes.dtype.kind == "b"):
        raise ValueError(
            f"{name} holds labels of dtype {labels.dtype}, {classes_name} of "
            f"dtype {classes.dtype}; True is not the class 1. Give labels of "
            f"{classes_name}'s kind."
        )


def class_indices(labels, classes, n_samples, name, none_allowed=False):
    """Indices into ``classes`` of ``labels``: one label for all
    ``n_samples`` images, or one per image. ``name`` is the parameter;
    ``none_allowed`` says in the error that None is valid too (the caller
    handles it)."""
    labels = np.asarray(labels)
    if labels.ndim == 0:
        labels = np.full(n_samples, labels)
    if labels.shape != (n_samples,):
        raise ValueError(
            f"{name} must be {'None, ' if none_allowed else ''}one label or "
            f"{n_samples} labels (one per image); "
            f"got {name} of shape {labels.shape}."
        )
    check_label_kind(labels, classes, name)
    known = set(np.asarray(classes).tolist())
    # Not np.unique: it sorts, and None (or labels of mixed kinds) cannot be.
    unknown = list(dict.fromkeys(v for v in labels.tolist() if v not in known))
    if unknown:
        raise ValueError(
            f"{name} holds labels {unknown!r}, which are not in classes_ "
            f"{np.asarray(classes).tolist()!r}."
        )
    return np.searchsorted(classes, labels)


def own_random_state(random_state, name="random_state"):
    """scikit-learn's ``check_random_state``, except that ``None`` gives a
    RandomState seeded afresh from the OS: numpy's global one, which it
    would return, is not the estimator's to advance. A bool is refused
    (``True`` would be seed 1)."""
    if isinstance(random_state, (bool, np.bool_)):
        raise ValueError(
            f"{name} must be None, an int or a numpy RandomState; got "
            f"{name}={random_state!r}."
        )
    if random_state is None:
        return np.random.RandomState()
    return check_random_state(random_state)


def binary_one_hot(y):
    """``y`` as an array when it is a one-hot binary target (n, 2), else None."""
    if y is None or np.ndim(y) != 2 or np.shape(y)[1] != 2:
        return None
    array = np.asarray(y)
    if array.dtype.kind not in "biuf" or not np.isin(array, (0, 1)).all():
        return None
    return array if (array.sum(axis=1) == 1).all() else None


def check_class_sizes(wanted, y, min_size, name, strategy):
    """Each class to oversample (``wanted``: label to new images) has at
    least ``min_size`` images in ``y``, and each count asked for is a whole
    number (imbalanced-learn passes a dict's or a callable's values through
    unchecked). ``name`` is the sampler's, ``strategy`` its parameter."""
    labels, counts = np.unique(y, return_counts=True)
    sizes = dict(zip(labels, counts, strict=True))
    for label, n_samples in wanted.items():
        if isinstance(n_samples, (bool, np.bool_)) or not isinstance(
            n_samples, Integral
        ):
            raise ValueError(
                f"sampling_strategy={strategy!r} asks for "
                f"{n_samples!r} new images of class {plain(label)!r}; the "
                "counts of a dict or of what a callable returns must be "
                "whole numbers (int), not floats or bools."
            )
        size = sizes.get(label, 0)
        if n_samples > 0 and size < min_size:
            label = plain(label)
            raise ValueError(
                f"Class {label!r} has {size} image(s); "
                f"{name} needs at least {min_size} "
                "images of each class it oversamples. Leave the class out "
                "with a dict sampling_strategy, or gather more images."
            )


def is_fitted(estimator):
    """Whether scikit-learn's ``check_is_fitted`` passes on ``estimator``."""
    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def fitted_or_fit(estimator, X, y, name, image_shape=None):
    """The one rule for a classifier given to a sampler, scikit-learn's own.

    A fitted ``estimator`` (``check_is_fitted`` passes, as it does for a
    :class:`~sklearn.frozen.FrozenEstimator` of a fitted one) is used as it
    is, and must know exactly the classes of ``y``. An unfitted one is
    cloned and the clone fitted on ``X`` and ``y``, so the caller's object
    stays unfitted; a clone whose ``image_shape`` parameter is None gets
    ``image_shape`` first, so that it reads flat rows as the sampler does.
    ``name`` is the sampler's parameter, for the errors. Returns the fitted
    estimator to use.
    """
    if not is_fitted(estimator):
        fitted = clone(estimator)
        own = fitted.get_params(deep=False)
        if image_shape is not None and own.get("image_shape", False) is None:
            fitted.set_params(image_shape=image_shape)
        # A FrozenEstimator of an unfitted one refuses to fit, saying so.
        estimator = fitted.fit(X, y)
    _check_known_classes(estimator, y, name)
    return estimator


def _check_known_classes(estimator, y, name):
    """Refuse a fitted ``name`` whose ``classes_`` are not those of ``y``."""
    classes = np.unique(y)
    known = getattr(estimator, "classes_", None)
    if known is None:
        raise ValueError(
            f"{name}={estimator!r} is fitted but has no classes_; pass a classifier."
        )
    check_label_kind(known, classes, name, classes_name="y")
    if set(np.asarray(known).tolist()) != set(classes.tolist()):
        raise ValueError(
            f"{name} was fitted on the classes {np.asarray(known).tolist()!r}, "
            f"but y holds the classes {classes.tolist()!r}; fit it on the same "
            "classes as y, or pass it unfitted to have the sampler fit a copy."
        )


class NetworkClassifier(HasMethods):
    """Parameter constraint: a :class:`~gansampler.CNNClassifier`, or a
    :class:`~sklearn.frozen.FrozenEstimator` or search that holds one as
    ``estimator``: what a sampler that needs a network's features or
    gradients can use. A ``HasMethods`` so that scikit-learn's validation
    takes it (and its checks can make a value that fails it)."""

    def __init__(self):
        super().__init__(["fit", "predict_proba"])

    def is_satisfied_by(self, val):
        from .neural_network import CNNClassifier

        # A FrozenEstimator or a search holds the classifier as ``estimator``;
        # a few levels at most (a search of a frozen one).
        for _ in range(4):
            if isinstance(val, CNNClassifier):
                return True
            val = getattr(val, "estimator", None)
        return False

    def __str__(self):
        return "a CNNClassifier (or a FrozenEstimator or search of one)"
