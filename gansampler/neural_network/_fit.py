"""What a CNNClassifier fit trains, and how a call sets up its training.

:class:`FitState` is what one fit or partial_fit call trains; it becomes the
estimator's attributes (:class:`Fitted`) only when the call succeeds.
:class:`TrainingOptions` holds the estimator's settings, read once per call;
:mod:`._train` trains the state as they say.
"""

import copy
from dataclasses import dataclass, fields

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from .._images import ImageLayout, check_labels, images_to_tensor, validate_images
from .._torch import (
    resolve_device,
    seeded,
    torch_seed,
)
from .._training import channel_stats
from .._validation import check_label_kind
from ._architectures import CosineHead, build_network
from ._losses import LOSSES
from ._weights import drop_weightless


@dataclass(frozen=True)
class TrainingOptions:
    """The estimator's training settings, under its parameters' names, and
    its class's name for the progress bar."""

    name: str
    n_epochs: int | str
    batch_size: int | str
    learning_rate: float
    lr_schedule: str
    optimizer: str
    weight_decay: float
    class_weight: dict | str | None
    augment: bool
    early_stopping: bool
    validation_fraction: float
    n_iter_no_change: int
    tol: float
    verbose: int
    loss: str
    focal_gamma: float
    logit_temperature: float
    ldam_margin: float
    ldam_scale: float
    rebalance: str | None
    rebalance_start: float
    reset_head: bool

    @classmethod
    def of(cls, estimator):
        """``estimator``'s settings as they are now."""
        names = [f.name for f in fields(cls) if f.name != "name"]
        settings = {name: getattr(estimator, name) for name in names}
        return cls(name=type(estimator).__name__, **settings)


@dataclass
class Fitted:
    """CNNClassifier's fitted attributes, committed together when a call
    succeeds and forgotten together (see :mod:`gansampler._fitted`)."""

    classes_: np.ndarray
    module_: torch.nn.Module
    history_: list
    n_iter_: int
    batch_size_: int
    image_shape_: tuple
    device_: torch.device
    # Images per class trained on, added up over partial_fit calls.
    class_count_: np.ndarray
    # Set by validate_images as the fit starts: here, so that a failed fit
    # forgets it.
    n_features_in_: int
    _layout: ImageLayout
    # What later partial_fit calls draw from, so that each draws afresh.
    _rng: np.random.RandomState


@dataclass
class FitState:
    """Everything a fit or a partial_fit call trains, set on the estimator
    only when the call succeeds."""

    layout: ImageLayout
    classes: np.ndarray
    images: torch.Tensor
    targets: torch.Tensor
    module: torch.nn.Module
    device: torch.device
    history: list
    n_iter: int = 0
    batch_size: int | None = None
    # Per-image weights (float32), or None; images of weight 0 are left out.
    sample_weight: torch.Tensor | None = None
    # Images per class trained on, this call's and the earlier calls'.
    class_counts: torch.Tensor | None = None

    def fitted(self, rng):
        """The estimator's attributes after this state trained, with the
        module back on the CPU."""
        return Fitted(
            classes_=self.classes,
            module_=self.module.cpu().eval(),
            history_=self.history,
            n_iter_=self.n_iter,
            batch_size_=self.batch_size,
            image_shape_=self.layout.image_shape,
            device_=self.device,
            class_count_=self.class_counts.numpy().astype(np.int64),
            n_features_in_=self.layout.n_features,
            _layout=self.layout,
            _rng=rng,
        )


def first_state(estimator, X, y, rng, classes, sample_weight=None):
    """Validate a first fit's data and build everything it trains."""
    if y is not None:
        check_labels(y)
    target_type = type_of_target(y, input_name="y") if y is not None else None
    if target_type is not None and (
        target_type.startswith("multilabel") or target_type.endswith("multioutput")
    ):
        raise ValueError(
            "Multilabel and multioutput targets are not supported; got y of "
            f"type {target_type!r}. CNNClassifier needs one label per image."
        )
    X, y, layout = validate_images(
        estimator, X, y, reset=True, image_shape=estimator.image_shape
    )
    check_classification_targets(y)
    if classes is not None:
        classes = _check_classes(classes, y)
    encoder = LabelEncoder().fit(y if classes is None else classes)
    if classes is not None and not np.isin(y, encoder.classes_).all():
        raise ValueError(
            f"y holds labels {np.setdiff1d(y, encoder.classes_)!r} that are "
            f"not in classes={list(encoder.classes_)!r}."
        )
    X, y, weights = drop_weightless(X, y, sample_weight)
    present = np.unique(y)
    # With classes given (partial_fit), a batch may hold one class.
    if len(encoder.classes_) < 2 or (classes is None and len(present) < 2):
        # Weight 0 is the same as leaving an image out, so the count is of
        # the images with weight.
        weighted = "" if sample_weight is None else " with sample_weight > 0"
        raise ValueError(
            f"{type(estimator).__name__} needs samples of at least 2 classes"
            f"{weighted}; got 1 class: {list(present)!r}."
        )
    device = resolve_device(estimator.device)
    images = images_to_tensor(X, layout)
    mean, std = channel_stats(images)
    seed = torch_seed(rng)
    with seeded(seed, device):
        module = build_network(
            estimator.architecture,
            layout.channels,
            len(encoder.classes_),
            layout.height,
            layout.width,
            mean,
            std,
            weights=estimator.weights,
            trainable_stages=estimator.trainable_stages,
            max_side=estimator.max_side,
            normalization=estimator.normalization,
            cosine_scale=_cosine_scale(estimator),
        )
    return FitState(
        layout=layout,
        classes=encoder.classes_,
        images=images,
        targets=torch.as_tensor(encoder.transform(y), dtype=torch.long),
        module=module,
        device=device,
        history=[],
        sample_weight=weights,
    )


def _check_classes(classes, y):
    """``classes`` of a first partial_fit: labels as ``y``'s are, of its kind."""
    classes = np.asarray(classes)
    check_labels(classes)
    if classes.ndim != 1 or len(np.unique(classes)) != len(classes):
        raise ValueError(
            f"classes must list each label once; got classes={classes.tolist()!r}."
        )
    check_label_kind(y, classes, "y", classes_name="classes")
    return classes


def _cosine_scale(estimator):
    """The scale of the cosine head the loss needs, or None for a linear head."""
    return estimator.ldam_scale if LOSSES[estimator.loss].head == "cosine" else None


def next_state(estimator, X, y, sample_weight=None, classes=None):
    """Validate a later partial_fit's data against the fitted estimator."""
    cosine = isinstance(estimator.module_.head, CosineHead)
    if cosine != (_cosine_scale(estimator) is not None):
        raise ValueError(
            f"loss={estimator.loss!r} needs a {LOSSES[estimator.loss].head} head, "
            f"and the first partial_fit built a {'cosine' if cosine else 'linear'} "
            "one. Keep the loss of the first call, or call fit to start anew."
        )
    if classes is not None and not np.array_equal(
        np.unique(np.asarray(classes)), estimator.classes_
    ):
        raise ValueError(
            f"classes={list(np.asarray(classes))!r} is not classes_ "
            f"{list(estimator.classes_)!r} of the first partial_fit; pass the "
            "same classes, or none, on later calls."
        )
    X, y, layout = validate_images(estimator, X, y, reset=False)
    X, y, weights = drop_weightless(X, y, sample_weight)
    check_classification_targets(y)
    check_label_kind(y, estimator.classes_, "y")
    unknown = np.setdiff1d(y, estimator.classes_)
    if len(unknown):
        raise ValueError(
            f"y holds labels {list(unknown)!r} that were not in classes_ "
            f"{list(estimator.classes_)!r} when partial_fit was first called."
        )
    encoder = LabelEncoder()
    encoder.classes_ = estimator.classes_
    return FitState(
        layout=estimator._layout,
        classes=estimator.classes_,
        images=images_to_tensor(X, layout),
        targets=torch.as_tensor(encoder.transform(y), dtype=torch.long),
        # A copy, so that a failure midway leaves the fitted module as it was.
        module=copy.deepcopy(estimator.module_),
        # The device parameter as it is now: a model fitted on a GPU and
        # loaded where there is none trains on where it is told.
        device=resolve_device(estimator.device),
        history=list(estimator.history_),
        n_iter=estimator.n_iter_,
        batch_size=estimator.batch_size_,
        sample_weight=weights,
    )
