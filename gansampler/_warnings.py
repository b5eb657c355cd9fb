"""Warnings that point at the user's line."""

import sys
import warnings

# Frames of these packages are skipped: a warning raised inside a fit points
# at the line that called the estimator, through scikit-learn's
# cross-validation (which runs its fits through joblib) and imbalanced-learn's
# pipelines alike.
_LIBRARIES = ("gansampler", "sklearn", "imblearn", "joblib")


def _is_library(frame):
    name = frame.f_globals.get("__name__", "")
    return any(name == lib or name.startswith(lib + ".") for lib in _LIBRARIES)


def warn(message, category=UserWarning):
    """:func:`warnings.warn` at the first frame outside gansampler,
    scikit-learn, imbalanced-learn and joblib, however deep the call.

    A fixed ``stacklevel`` is right for one path only: a warning raised in
    ``fit`` and in ``fit_resample`` inside a pipeline are different depths
    below the user's code.
    """
    frame, level = sys._getframe(1), 1
    while frame is not None and _is_library(frame):
        frame, level = frame.f_back, level + 1
    # level counts from warn's caller; warnings.warn counts from warn.
    warnings.warn(message, category, stacklevel=level + 1)
