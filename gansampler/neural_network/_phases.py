"""The phases of a CNNClassifier fit, and the plans that re-balance late.

A fit is one phase, ``"train"``, unless ``rebalance`` defers a re-balanced
phase to its last epochs (Cao et al., NeurIPS 2019; Kang et al., ICLR 2020):

- ``"reweight"``: the same batches, each image's weight times its class's
  balanced weight (deferred re-weighting, DRW);
- ``"resample"``: class-balanced batches (:class:`Balanced`);
- ``"retrain_head"``: the head alone, every other weight and batch
  statistic frozen (:func:`only_head_trains`), trained with cross-entropy
  on class-balanced batches (classifier re-training, cRT), from its trained
  weights or from fresh ones.

Early stopping may end only the last phase that trains the whole network:
with ``"reweight"`` and ``"resample"`` that is the re-balanced one, so that
the fit always reaches it and keeps the best of its epochs; with
``"retrain_head"`` it is ``"train"``, and the head is re-trained after it.
Each epoch's phase is recorded in ``history_``.
"""

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from .._torch import minibatches
from .._training import balanced_weights
from ._loop import Shuffled
from ._losses import CrossEntropy
from ._transfer import stages

# A fresh head (reset_head=True) trains for at least this many steps: a
# linear classifier from random weights, at the estimator's learning rate,
# had not settled in the few dozen steps a fit's last fifth can leave
# (tests/test_phases.py checks that it reaches the balanced optimum).
FRESH_HEAD_STEPS = 300


@dataclass
class Phase:
    """Part of a fit: ``n_epochs`` of ``plan``'s batches under ``loss``.

    ``name`` is recorded in ``history_``; ``head_only`` trains the head
    alone, with a learning-rate schedule of its own; ``may_stop``: early
    stopping may end this phase. ``held_out_weights`` are the held-out
    images' loss weights during it (early stopping's loss is the loss being
    trained).
    """

    name: str
    plan: object
    n_epochs: int
    loss: object
    head_only: bool = False
    may_stop: bool = False
    held_out_weights: torch.Tensor | None = None


@dataclass
class Balanced:
    """Batches of ``batch_size`` drawn class-balanced with replacement (a
    class uniformly, then one of its images), as many per epoch as a plain
    epoch has, with the same per-image ``loss_weights``."""

    targets: torch.Tensor
    n_classes: int
    batch_size: int
    loss_weights: torch.Tensor | None = None

    def __post_init__(self):
        # Where each class's images sit, found once rather than every epoch.
        targets = self.targets.cpu()
        self.order = torch.argsort(targets, stable=True)
        self.counts = torch.bincount(targets, minlength=self.n_classes)
        self.starts = torch.cumsum(self.counts, 0) - self.counts
        self.present = torch.nonzero(self.counts)[:, 0]
        self.sizes = [len(b) for b in minibatches(len(targets), self.batch_size)]

    def batches(self, epoch, generator):
        batches = []
        for size in self.sizes:
            pick = torch.randint(len(self.present), (size,), generator=generator)
            classes = self.present[pick]
            within = torch.rand(size, generator=generator) * self.counts[classes]
            batches.append(self.order[self.starts[classes] + within.long()])
        return batches

    def weights(self, epoch):
        return self.loss_weights


def rebalanced_weights(weights, targets, n_classes, held_out=None):
    """``weights`` (or ones) times balanced class weights, scaled to
    average 1 over the training images, and the held-out images' on the
    same scale (``held_out``: their targets and weights or None), or None
    without held-out images. Computed on the CPU."""
    classes = balanced_weights(targets.cpu(), n_classes)
    balanced = classes[targets.cpu()]
    if weights is not None:
        balanced = balanced * weights.cpu()
    scale = balanced.mean()
    valid = None
    if held_out is not None:
        valid_targets, valid_weights = held_out
        valid = classes[valid_targets]
        if valid_weights is not None:
            valid = valid * valid_weights
        valid = valid / scale
    return balanced / scale, valid


def rebalance_start(options, n_epochs):
    """The epoch where re-balancing starts, at least one on each side; 0
    when the fit is too short to have two sides (it then warns)."""
    start = min(max(round(options.rebalance_start * n_epochs), 1), n_epochs - 1)
    if options.rebalance is not None and start == 0:
        warnings.warn(
            f"rebalance={options.rebalance!r} needs at least 2 epochs, one on each "
            f"side of the switch; n_epochs={n_epochs} trained without "
            "re-balancing. Raise n_epochs.",
            UserWarning,
            stacklevel=4,
        )
    return start


def plan_phases(options, data, loss, n_epochs, steps_per_epoch, batch_size):
    """The phases of a fit of ``n_epochs`` on ``data`` (a ``TrainingData``)."""
    targets, weights, n_classes = data.targets, data.weights, data.n_classes
    shuffled = Shuffled(len(targets), batch_size, weights)
    early = options.early_stopping
    start = rebalance_start(options, n_epochs) if options.rebalance else 0
    if start == 0:
        held = data.held_out_weights
        return [
            Phase(
                "train", shuffled, n_epochs, loss, may_stop=early, held_out_weights=held
            )
        ]
    first = Phase(
        "train", shuffled, start, loss, held_out_weights=data.held_out_weights
    )
    rest = n_epochs - start
    if options.rebalance == "reweight":
        held_out = None if data.held_out is None else data.held_out[1:]
        balanced, valid = rebalanced_weights(weights, targets, n_classes, held_out)
        later = Shuffled(len(targets), batch_size, balanced.to(data.device))
        return [
            first,
            Phase(
                "reweight", later, rest, loss, may_stop=early, held_out_weights=valid
            ),
        ]
    if options.rebalance == "resample":
        later = Balanced(targets, n_classes, batch_size, weights)
        held = data.held_out_weights
        return [
            first,
            Phase("resample", later, rest, loss, may_stop=early, held_out_weights=held),
        ]
    # retrain_head: early stopping may end the network's training; the head
    # is then re-trained as planned. Kang et al. re-train it with plain
    # cross-entropy: the balanced batches are the correction.
    first.may_stop = early
    if options.reset_head:
        rest = max(rest, math.ceil(FRESH_HEAD_STEPS / steps_per_epoch))
    later = Balanced(targets, n_classes, batch_size, weights)
    return [first, Phase("retrain_head", later, rest, CrossEntropy(), head_only=True)]


def head_modules(module):
    """What re-training the head trains: the added head, or the last stage
    of a callable's network, which ends in its own head."""
    if any(True for _ in module.head.parameters()):
        return [module.head]
    return stages(module.features)[-1]


def reset(head):
    """New random weights for ``head``'s modules, by their own initialisation."""
    for part in head:
        for module in part.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()


@contextmanager
def only_head_trains(module, head):
    """Freeze everything of ``module`` but ``head`` (weights and batch
    statistics, dropout off), and give it back as it was afterwards."""
    inside = {id(m) for h in head for m in h.modules()}
    around = {id(m) for m in module.modules() if any(h in m.modules() for h in head)}
    kept = module.frozen
    grads = {p: p.requires_grad for p in module.parameters()}
    module.frozen = kept + tuple(
        name
        for name, m in module.named_modules()
        if name and id(m) not in inside and id(m) not in around
    )
    for p in module.parameters():
        p.requires_grad_(False)
    for h in head:
        h.requires_grad_(True)
    try:
        yield
    finally:
        module.frozen = kept
        for p, flag in grads.items():
            p.requires_grad_(flag)
