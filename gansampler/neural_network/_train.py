"""How one fit or partial_fit call trains, once its state is built.

:func:`split_data` holds out early stopping's images and scales the loss
weights; :func:`train` draws the seeds, resolves the budget and the class
counts, builds the loss and plans the phases (:mod:`._phases`);
:func:`run_phases` runs them in the loops of :mod:`._loop`.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import torch

from .._torch import (
    channels_last,
    make_generator,
    minibatches,
    one_image_guard,
    seeded,
    torch_seed,
)
from .._training import Budget
from ._loop import Cosine, EarlyStopping, Loop, split_validation
from ._losses import class_counts, make_loss
from ._phases import head_modules, only_head_trains, plan_phases, reset
from ._weights import class_loss_weights, per_sample

# n_epochs="auto": the 15 epochs tuned on PneumoniaMNIST's 4,708 images (555
# steps of 128), and never fewer than 500 optimizer steps on smaller data.
BUDGET = Budget(min_epochs=15, min_steps=500)
# batch_size="auto": 128, or an eighth of the data down to 16 images, so that
# a small data set still makes several steps an epoch.
LARGEST_AUTO_BATCH, SMALLEST_AUTO_BATCH = 128, 16


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
    with (
        seeded(seed, data.device),
        one_image_guard(state.module, images),
        channels_last([state.module], images) as images,
    ):
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
