"""What a CNNClassifier fit trains, and how a call sets up its training.

:class:`FitState` is what one fit or partial_fit call trains; it becomes the
estimator's attributes (:class:`Fitted`) only when the call succeeds.
:class:`TrainingOptions` holds the estimator's settings, read once per call.
:func:`train` draws the seeds, resolves the budget, the loss weights and the
held-out images, and hands them to the loop of :mod:`._loop`.
"""

import copy
from contextlib import contextmanager
from dataclasses import dataclass, fields

import numpy as np
import torch
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from .._images import ImageLayout, check_labels, images_to_tensor, validate_images
from .._torch import (
    make_generator,
    minibatches,
    one_image_guard,
    resolve_device,
    seeded,
    torch_seed,
)
from .._training import Budget, channel_stats
from .._validation import check_label_kind
from ._architectures import CosineHead, build_network
from ._loop import Cosine, EarlyStopping, Loop, split_validation
from ._losses import LOSSES, class_counts, make_loss
from ._phases import head_modules, only_head_trains, plan_phases, reset
from ._weights import class_loss_weights, drop_weightless, per_sample

# n_epochs="auto": the 15 epochs tuned on PneumoniaMNIST's 4,708 images (555
# steps of 128), and never fewer than 500 optimizer steps on smaller data.
BUDGET = Budget(min_epochs=15, min_steps=500)
# batch_size="auto": 128, or an eighth of the data down to 16 images, so that
# a small data set still makes several steps an epoch.
LARGEST_AUTO_BATCH, SMALLEST_AUTO_BATCH = 128, 16


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


def resolve_batch_size(batch_size, n_samples):
    """``batch_size``, with ``"auto"`` resolved for ``n_samples`` images."""
    if batch_size == "auto":
        size = max(SMALLEST_AUTO_BATCH, min(LARGEST_AUTO_BATCH, n_samples // 8))
    else:
        size = batch_size
    return min(size, n_samples)


@dataclass
class TrainingData:
    """The images a fit trains on, their per-image loss weights (scaled to
    average 1, or None), and the held-out images of early stopping (images,
    targets, weights on the same scale) or None."""

    images: torch.Tensor
    targets: torch.Tensor
    weights: torch.Tensor | None
    n_classes: int
    device: torch.device
    held_out: tuple | None = None

    @property
    def held_out_weights(self):
        return None if self.held_out is None else self.held_out[2]


def split_data(options, state, rng):
    """The training and held-out images (drawn from ``rng`` with early
    stopping) and their loss weights.

    Per-image weights are scaled to average 1 over the training images: the
    step size does not depend on the weights' scale, and a batch without
    the heavy images pulls proportionally little (torch's weighted mean
    would renormalise per batch). The held-out images share the scale.
    """
    images, targets, own = state.images, state.targets, state.sample_weight
    n_classes = len(state.classes)
    class_weights = class_loss_weights(options.class_weight, targets, state.classes)
    held_out = None
    if options.early_stopping:
        kept, held = split_validation(
            targets, n_classes, options.validation_fraction, rng
        )
        held_out = [images[held], targets[held], None if own is None else own[held]]
        images, targets = images[kept], targets[kept]
        own = None if own is None else own[kept]
    weights = per_sample(class_weights, targets, own)
    scale = None if weights is None else weights.mean()
    if weights is not None:
        weights = weights / scale
    if held_out is not None:
        valid = per_sample(class_weights, held_out[1], held_out[2])
        held_out[2] = None if valid is None else valid / scale
        held_out = tuple(held_out)
    return TrainingData(images, targets, weights, n_classes, state.device, held_out)


def train(options, state, rng, counts=None):
    """Train ``state.module`` as ``options`` say.

    Draws from ``rng`` the validation split (with early stopping), then the
    seeds of the batch draws and of torch's generators; plans the phases
    (:mod:`._phases`) and runs them. ``counts``: the class counts of the
    images trained on before (partial_fit), added to this call's for the
    loss. Returns whether early stopping ended the fit.
    """
    data = split_data(options, state, rng)
    # Independent seeds for the batch draws and for torch's generators
    # (initialisation was seeded before; dropout now): one seed for both
    # would make them emit the same numbers on the CPU.
    generator = make_generator(torch_seed(rng))
    seed = torch_seed(rng)
    if state.batch_size is None:
        state.batch_size = resolve_batch_size(options.batch_size, len(data.targets))
    steps_per_epoch = len(minibatches(len(data.targets), state.batch_size))
    n_epochs = BUDGET.epochs(options.n_epochs, steps_per_epoch)
    state.class_counts = class_counts(data.targets, data.n_classes)
    if counts is not None:
        state.class_counts = state.class_counts + counts
    loss = make_loss(options, state.class_counts)
    if data.weights is not None:
        data.weights = data.weights.to(data.device)
    phases = plan_phases(
        options, data, loss, n_epochs, steps_per_epoch, state.batch_size
    )
    stopping = None
    if options.early_stopping:
        images, targets, _ = data.held_out
        stopping = EarlyStopping(
            images,
            targets,
            None,
            n_classes=data.n_classes,
            tol=options.tol,
            patience=options.n_iter_no_change,
        )
    # Small data sets move to the device once; large ones batch by batch.
    images, targets = data.images, data.targets
    if data.device.type == "cuda" and images.element_size() * images.nelement() < 2**30:
        images, targets = images.to(data.device), targets.to(data.device)
    with seeded(seed, data.device), one_image_guard(state.module, images):
        state.module.to(data.device)
        run_phases(options, state, phases, images, targets, generator, stopping)
    return stopping is not None and stopping.stopped


def run_phases(options, state, phases, images, targets, generator, stopping):
    """Train each phase in turn: the whole network's phases in one loop,
    under one learning-rate schedule; the head's in a loop of its own."""
    module, device = state.module, state.device
    steps_per_epoch = len(minibatches(len(targets), state.batch_size))
    loops = {}

    def loop(head_only, n_epochs):
        trains = torch.nn.ModuleList(head_modules(module)) if head_only else module
        schedule = None
        if options.lr_schedule == "cosine":
            schedule = Cosine(options.learning_rate, n_epochs * steps_per_epoch)
        return Loop(
            module,
            make_optimizer(options, trains),
            None,
            images,
            targets,
            device=device,
            generator=generator,
            augment=options.augment,
            schedule=schedule,
        )

    for phase in phases:
        if phase.head_only not in loops:
            planned = sum(p.n_epochs for p in phases if p.head_only == phase.head_only)
            loops[phase.head_only] = loop(phase.head_only, planned)
        current = loops[phase.head_only]
        current.loss = phase.loss
        name = options.name + (" head" if phase.head_only else "")
        if stopping is not None and not phase.head_only:
            stopping.begin(phase.held_out_weights)
        with phase_context(module, phase, options.reset_head):
            state.n_iter += current.run(
                phase.plan,
                phase.n_epochs,
                state.history,
                first_epoch=state.n_iter,
                stopping=stopping if not phase.head_only else None,
                may_stop=phase.may_stop,
                phase=phase.name,
                verbose=options.verbose,
                name=name,
                advice=f"lower learning_rate (now {options.learning_rate})",
            )


@contextmanager
def phase_context(module, phase, reset_head):
    """Where ``phase`` trains: the head alone (from fresh weights with
    ``reset_head``), or the whole network."""
    if not phase.head_only:
        yield
        return
    head = head_modules(module)
    with only_head_trains(module, head):
        if reset_head:
            reset(head)
        yield


def make_optimizer(options, module):
    # Frozen stages stay out, so that weight decay cannot move them either.
    parameters = [p for p in module.parameters() if p.requires_grad]
    if options.optimizer == "adam":
        return torch.optim.Adam(
            parameters,
            lr=options.learning_rate,
            weight_decay=options.weight_decay,
        )
    return torch.optim.SGD(
        parameters,
        lr=options.learning_rate,
        momentum=0.9,
        nesterov=True,
        weight_decay=options.weight_decay,
    )
