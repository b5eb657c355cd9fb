"""Fitted state in one dataclass per estimator: committed and forgotten whole.

An estimator's fit builds one dataclass whose fields are the attributes it
sets (``classes_``, ``generator_``, private ones such as ``_layout``), and
sets them together with :func:`commit` only when the fit succeeds. A failed
or repeated fit calls :func:`forget` with the dataclass type, so no list of
attribute names is kept anywhere but in the dataclass itself.
"""

import dataclasses


def commit(estimator, fitted):
    """Set every field of the dataclass ``fitted`` on ``estimator``."""
    for field in dataclasses.fields(fitted):
        setattr(estimator, field.name, getattr(fitted, field.name))


def forget(estimator, kind):
    """Delete from ``estimator`` every field of the dataclass type ``kind``."""
    for field in dataclasses.fields(kind):
        estimator.__dict__.pop(field.name, None)


def forget_public(estimator):
    """Delete every fitted attribute (``name_``) of ``estimator``, also those
    that imbalanced-learn and scikit-learn set during validation."""
    for name in [k for k in vars(estimator) if k.endswith("_") and k[:2] != "__"]:
        delattr(estimator, name)
