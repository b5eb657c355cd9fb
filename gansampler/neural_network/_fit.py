"""What a CNNClassifier fit trains, and how a call sets up its training.

:class:`FitState` is what one fit or partial_fit call trains; it becomes the
estimator's attributes (:class:`Fitted`) only when the call succeeds.
:class:`TrainingOptions` holds the estimator's settings, read once per call.
:func:`train` draws the seeds, resolves the budget, the loss weights and the
held-out images, and hands them to the loop of :mod:`._loop`.
"""

import copy
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
from ._architectures import build_network
from ._loop import Cosine, EarlyStopping, Loop, Shuffled, split_validation
from ._losses import (
    Balanced,
    Deferred,
    head_modules,
    make_loss,
    only_head_trains,
    rebalanced_weights,
)
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
    rebalance: str | None
    rebalance_start: float

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


def next_state(estimator, X, y, sample_weight=None, classes=None):
    """Validate a later partial_fit's data against the fitted estimator."""
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


def train(options, state, rng):
    """Train ``state.module`` as ``options`` say.

    Draws from ``rng`` the validation split (with early stopping), then the
    seeds of the batch draws and of torch's generators. Returns whether
    early stopping ended the fit.
    """
    images, targets, own = state.images, state.targets, state.sample_weight
    n_classes = len(state.classes)
    class_weights = class_loss_weights(options.class_weight, targets, state.classes)
    if options.early_stopping:
        kept, held_out = split_validation(
            targets, n_classes, options.validation_fraction, rng
        )
        valid = images[held_out], targets[held_out]
        valid_own = None if own is None else own[held_out]
        images, targets = images[kept], targets[kept]
        own = None if own is None else own[kept]

    # Independent seeds for the batch draws and for torch's generators
    # (initialisation was seeded before; dropout now): one seed for both
    # would make them emit the same numbers on the CPU.
    generator = make_generator(torch_seed(rng))
    seed = torch_seed(rng)
    if state.batch_size is None:
        state.batch_size = resolve_batch_size(options.batch_size, len(targets))
    steps_per_epoch = len(minibatches(len(targets), state.batch_size))
    n_epochs = BUDGET.epochs(options.n_epochs, steps_per_epoch)

    # Per-image weights scaled to average 1 over the training data: the
    # step size does not depend on the weights' scale, and a batch without
    # the heavy images pulls proportionally little (torch's weighted mean
    # would renormalise per batch). The held-out images share the scale.
    weights = per_sample(class_weights, targets, own)
    if weights is not None:
        scale = weights.mean()
        weights = weights / scale
    stopping = None
    if options.early_stopping:
        valid_weights = per_sample(class_weights, valid[1], valid_own)
        stopping = EarlyStopping(
            *valid,
            None if valid_weights is None else valid_weights / scale,
            n_classes=n_classes,
            tol=options.tol,
            patience=options.n_iter_no_change,
        )
    device = state.device
    if weights is not None:
        weights = weights.to(device)
    # Small data sets move to the device once; large ones batch by batch.
    if device.type == "cuda" and images.element_size() * images.nelement() < 2**30:
        images, targets = images.to(device), targets.to(device)

    loss = make_loss(options, targets, n_classes)
    plan = Shuffled(len(targets), state.batch_size, weights)
    # The epoch where deferred re-balancing starts: at least one on each side.
    start = min(max(round(options.rebalance_start * n_epochs), 1), n_epochs - 1)
    if options.rebalance == "reweight" and start > 0:
        balanced = rebalanced_weights(weights, targets, n_classes).to(device)
        plan = Deferred(plan, Shuffled(len(targets), state.batch_size, balanced), start)
    elif options.rebalance == "resample" and start > 0:
        later = Balanced(targets, n_classes, state.batch_size, weights)
        plan = Deferred(plan, later, start)
    retrains_head = options.rebalance == "retrain_head" and start > 0
    n_head = n_epochs - start if retrains_head else 0

    module = state.module
    advice = f"lower learning_rate (now {options.learning_rate})"

    def run(optimizer, plan, n, stopping=None, name=options.name):
        schedule = None
        if options.lr_schedule == "cosine":
            schedule = Cosine(options.learning_rate, n * steps_per_epoch)
        loop = Loop(
            module,
            optimizer,
            loss,
            images,
            targets,
            device=device,
            generator=generator,
            augment=options.augment,
            schedule=schedule,
        )
        state.n_iter += loop.run(
            plan,
            n,
            state.history,
            first_epoch=state.n_iter,
            stopping=stopping,
            verbose=options.verbose,
            name=name,
            advice=advice,
        )

    with seeded(seed, device), one_image_guard(module, images):
        module.to(device)
        run(make_optimizer(options, module), plan, n_epochs - n_head, stopping)
        if n_head > 0:
            # Decoupled training: the head alone, on balanced batches over
            # the features the network has learned. It goes on from its
            # trained weights: the paper's fresh head did not converge in
            # budgets of a few dozen steps.
            head = head_modules(module)
            with only_head_trains(module, head):
                optimizer = make_optimizer(options, torch.nn.ModuleList(head))
                balanced = Balanced(targets, n_classes, state.batch_size, weights)
                run(optimizer, balanced, n_head, name=f"{options.name} head")
    return stopping is not None and stopping.stopped


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
