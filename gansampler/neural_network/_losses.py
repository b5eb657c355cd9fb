"""The losses CNNClassifier trains with, and the plans that re-balance late.

Every loss gives each image's term (float32 logits, class indices), times
its weight when there are weights, as ``_loop`` expects; class and sample
weights multiply the terms as each paper weights its examples. The class
counts a loss needs are those of the images it trains on.

- :class:`CrossEntropy`: the default.
- :class:`Focal`: ``-(1 - p_t)^gamma log p_t`` (Lin et al., ICCV 2017).
- :class:`LogitAdjusted`: cross-entropy of the logits plus ``tau`` times the
  log of the class priors (Menon et al., ICLR 2021); ``tau = 1`` is the
  balanced softmax (Ren et al., NeurIPS 2020).
- :class:`LDAM`: cross-entropy with the true class's logit lowered by a
  margin ``C / n_j^(1/4)`` (Cao et al., NeurIPS 2019).

Deferred re-balancing (Cao et al.'s DRW, and its re-sampling twin) is a
plan (:class:`Deferred`) that switches, at an epoch, from the plain plan to
one with class-balanced weights or class-balanced batches; re-training the
head alone on balanced batches (Kang et al., ICLR 2020) runs the loop a
second time on :class:`Balanced` batches, inside :func:`only_head_trains`.
"""

from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions

from .._torch import minibatches
from .._training import balanced_weights
from ._transfer import stages

# CNNClassifier's parameters of the losses and of deferred re-balancing.
LOSS_CONSTRAINTS = {
    "loss": [StrOptions({"cross_entropy", "focal", "logit_adjusted", "ldam"})],
    "focal_gamma": [Interval(Real, 0, None, closed="left")],
    "logit_temperature": [Interval(Real, 0, None, closed="left")],
    "ldam_margin": [Interval(Real, 0, None, closed="left")],
    "rebalance": [StrOptions({"reweight", "resample", "retrain_head"}), None],
    "rebalance_start": [Interval(Real, 0, 1, closed="neither")],
}


class CrossEntropy:
    """Cross-entropy of each image, times its weight when there are weights."""

    def __call__(self, logits, targets, weights=None):
        losses = F.cross_entropy(logits, targets, reduction="none")
        return losses if weights is None else losses * weights


@dataclass(frozen=True)
class Focal:
    """The focal loss: ``-(1 - p_t)^gamma log p_t``, which leaves the
    images a network already gets right out of the loss as ``p_t`` nears 1.
    ``gamma = 0`` is cross-entropy; class weights play the paper's alpha."""

    gamma: float

    def __call__(self, logits, targets, weights=None):
        log_p = F.log_softmax(logits, dim=1).gather(1, targets[:, None])[:, 0]
        losses = -((1 - log_p.exp()) ** self.gamma) * log_p
        return losses if weights is None else losses * weights


@dataclass(frozen=True)
class LogitAdjusted:
    """Cross-entropy of ``logits + temperature * log(prior)``.

    Training on shifted logits makes the raw logits, which predict, those of
    a model for balanced classes: the rare class need not be beaten by its
    prior. A uniform prior shifts every logit alike: cross-entropy.
    """

    log_prior: torch.Tensor
    temperature: float

    def __call__(self, logits, targets, weights=None):
        shift = self.temperature * self.log_prior.to(logits.device)
        losses = F.cross_entropy(logits + shift, targets, reduction="none")
        return losses if weights is None else losses * weights


@dataclass(frozen=True)
class LDAM:
    """Cross-entropy with the true class's logit lowered by its margin.

    Margins are ``C / n_j^(1/4)`` for a class of ``n_j`` images, ``C`` such
    that the rarest class's margin is ``max_margin``: rare classes must be
    won by more. The paper's network normalises features and weights and
    scales its logits by 30; ours has a plain linear head, so the margins
    act on the raw logits.
    """

    margins: torch.Tensor

    def __call__(self, logits, targets, weights=None):
        margins = self.margins.to(logits.device)[targets]
        shifted = logits - F.one_hot(targets, logits.shape[1]) * margins[:, None]
        losses = F.cross_entropy(shifted, targets, reduction="none")
        return losses if weights is None else losses * weights


def class_counts(targets, n_classes):
    """Images per class; an absent class (a partial_fit batch) counts one."""
    return torch.bincount(targets.cpu(), minlength=n_classes).clamp_min(1).float()


def make_loss(options, targets, n_classes):
    """The loss of ``options.loss``, from the counts of ``targets``."""
    if options.loss == "focal":
        return Focal(options.focal_gamma)
    counts = class_counts(targets, n_classes)
    if options.loss == "logit_adjusted":
        prior = counts / counts.sum()
        return LogitAdjusted(prior.log(), options.logit_temperature)
    if options.loss == "ldam":
        return LDAM(options.ldam_margin * (counts.min() / counts) ** 0.25)
    return CrossEntropy()


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


@dataclass
class Deferred:
    """``before``'s epochs until epoch ``start``, then ``after``'s."""

    before: object
    after: object
    start: int

    def _plan(self, epoch):
        return self.before if epoch < self.start else self.after

    def batches(self, epoch, generator):
        return self._plan(epoch).batches(epoch, generator)

    def weights(self, epoch):
        return self._plan(epoch).weights(epoch)


def rebalanced_weights(weights, targets, n_classes):
    """``weights`` (or ones) times balanced class weights, scaled to
    average 1 over the training images."""
    balanced = balanced_weights(targets.cpu(), n_classes)[targets.cpu()]
    if weights is not None:
        balanced = balanced.to(weights.device) * weights
    return balanced / balanced.mean()


def head_modules(module):
    """What re-training the head trains: the added head, or the last stage
    of a callable's network, which ends in its own head."""
    if any(True for _ in module.head.parameters()):
        return [module.head]
    return stages(module.features)[-1]


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
