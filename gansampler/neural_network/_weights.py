"""Loss weights of CNNClassifier: per class (``class_weight``) and per
image (``sample_weight``)."""

from numbers import Real

import numpy as np
import torch
from sklearn.utils.validation import _check_sample_weight

from .._training import balanced_weights
from .._validation import check_label_kind


def drop_weightless(X, y, sample_weight):
    """Validate ``sample_weight``; leave out the images it gives weight 0.

    An image of weight 0 contributes nothing to the loss; leaving it out of
    the batches (and of the standardisation statistics) makes a weight of 0
    the same as removing the image, as scikit-learn's convention asks.
    """
    if sample_weight is None:
        return X, y, None
    if np.asarray(sample_weight).dtype.kind == "b":
        raise ValueError(
            "sample_weight holds booleans; pass numbers (a weight of 0 leaves "
            "an image out), for example mask.astype(float)."
        )
    weights = _check_sample_weight(
        sample_weight, X, dtype=np.float64, ensure_non_negative=True
    )
    if weights.max(initial=0) >= np.finfo(np.float32).max:
        raise ValueError(
            f"sample_weight holds {weights.max()!r}, beyond float32's range; "
            "only ratios of weights matter, so divide them by their largest."
        )
    keep = weights > 0
    weights = torch.as_tensor(weights[keep], dtype=torch.float32)
    return X[keep], y[keep], weights


def per_sample(class_weights, targets, sample_weight):
    """Each image's loss weight before scaling: class weight times its own."""
    weights = None if class_weights is None else class_weights[targets]
    if sample_weight is not None:
        weights = sample_weight if weights is None else weights * sample_weight
    return weights


def class_loss_weights(class_weight, targets, classes):
    """Per-class loss weights of ``class_weight``, or None."""
    n_classes = len(classes)
    if class_weight is None:
        return None
    if class_weight == "balanced":
        return balanced_weights(targets, n_classes)
    weights = torch.ones(n_classes)
    lookup = {label: i for i, label in enumerate(classes)}
    for label, weight in class_weight.items():
        check_label_kind([label], classes, "class_weight's keys", "the classes")
        if label not in lookup:
            raise ValueError(
                f"class_weight has a weight for class {label!r}, which is not "
                f"among the classes {list(classes)!r}."
            )
        if (
            isinstance(weight, (bool, np.bool_))
            or not isinstance(weight, Real)
            or not 0 <= weight < np.finfo(np.float32).max
        ):
            raise ValueError(
                f"class_weight={class_weight!r} gives class {label!r} the weight "
                f"{weight!r}; weights must be finite numbers >= 0."
            )
        weights[lookup[label]] = float(weight)
    if not weights.sum() > 0:
        raise ValueError(
            f"class_weight={class_weight!r} leaves every class of weight 0; "
            "nothing would be learned."
        )
    return weights
