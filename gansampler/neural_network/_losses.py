"""The losses CNNClassifier trains with, one entry each in :data:`LOSSES`.

Every loss gives each image's term (float32 logits, class indices), times
its weight when there are weights, as ``_loop`` expects; class and sample
weights multiply the terms as each paper weights its examples. The class
counts a loss needs are those of the images it trains on (added up over
``partial_fit`` calls).

- :class:`CrossEntropy`: the default.
- :class:`Focal`: ``-(1 - p_t)^gamma log p_t`` (Lin et al., ICCV 2017).
- :class:`LogitAdjusted`: cross-entropy of the logits plus ``tau`` times the
  log of the class priors (Menon et al., ICLR 2021); ``tau = 1`` is the
  balanced softmax (Ren et al., NeurIPS 2020).
- :class:`LDAM`: cross-entropy of a cosine head's logits, ``s * cos``, with
  the true class's cosine lowered by a margin ``C / n_j^(1/4)`` (Cao et al.,
  NeurIPS 2019): the network is built with
  :class:`~._architectures.CosineHead` for it.

A new loss is one :class:`Loss` entry: how it is built from the settings
and the class counts, whether it takes the class prior out by itself, and
which head it needs.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Real

import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval, StrOptions


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

    The logits are a cosine head's, ``scale * cos``, so that a margin ``m``
    on the cosine is ``scale * m`` in logits: ``margins`` holds those, one
    per class. Cao et al. take ``m_j = C / n_j^(1/4)`` for a class of
    ``n_j`` images, the rarest class's margin 0.5 and the scale 30.
    """

    margins: torch.Tensor

    def __call__(self, logits, targets, weights=None):
        margins = self.margins.to(logits.device)[targets]
        shifted = logits - F.one_hot(targets, logits.shape[1]) * margins[:, None]
        losses = F.cross_entropy(shifted, targets, reduction="none")
        return losses if weights is None else losses * weights


def ldam_margins(counts, max_margin):
    """Cao et al.'s margins on the cosine: ``C / n_j^(1/4)``, the rarest
    class's ``max_margin``."""
    return max_margin * (counts.min() / counts) ** 0.25


@dataclass(frozen=True)
class Loss:
    """One entry of :data:`LOSSES`.

    ``build(options, counts)`` makes the loss from the estimator's settings
    and the class counts (float, absent classes at one). ``corrects_prior``:
    the loss takes the class prior out of the logits by itself, so that
    class weights or re-balancing on top correct for it twice. ``head``: the
    network's head, ``"linear"`` or ``"cosine"``.
    """

    build: Callable
    corrects_prior: bool = False
    head: str = "linear"


LOSSES = {
    "cross_entropy": Loss(lambda options, counts: CrossEntropy()),
    "focal": Loss(lambda options, counts: Focal(options.focal_gamma)),
    "logit_adjusted": Loss(
        lambda options, counts: LogitAdjusted(
            (counts / counts.sum()).log(), options.logit_temperature
        ),
        corrects_prior=True,
    ),
    "ldam": Loss(
        lambda options, counts: LDAM(
            options.ldam_scale * ldam_margins(counts, options.ldam_margin)
        ),
        head="cosine",
    ),
}

# CNNClassifier's parameters of the losses and of deferred re-balancing.
# focal_gamma and logit_temperature stop where the papers stop: Lin et al.
# try gamma up to 5, and at gamma=1e6 every term is 0, so that the network
# never moves. A temperature of 1e6 shifts the logits so far that every
# image goes to one class; the papers use 1 (Menon et al. study tau up to
# about 2), and 5 still trains (tests/test_losses.py).
LOSS_CONSTRAINTS = {
    "loss": [StrOptions(set(LOSSES))],
    "focal_gamma": [Interval(Real, 0, 5, closed="both")],
    "logit_temperature": [Interval(Real, 0, 5, closed="both")],
    "ldam_margin": [Interval(Real, 0, 1, closed="both")],
    "ldam_scale": [Interval(Real, 0, None, closed="neither")],
    "rebalance": [StrOptions({"reweight", "resample", "retrain_head"}), None],
    "rebalance_start": [Interval(Real, 0, 1, closed="neither")],
    "reset_head": ["boolean"],
}


def class_counts(targets, n_classes):
    """Images per class, as integers (no image of a class: 0)."""
    return torch.bincount(targets.cpu(), minlength=n_classes)


def make_loss(options, counts):
    """The loss of ``options.loss`` for ``counts`` images per class; a class
    without images counts one."""
    return LOSSES[options.loss].build(options, counts.float().clamp_min(1))


def prior_corrections(loss, class_weight, rebalance):
    """The settings that each correct for the class prior, in words.

    A loss that takes the prior out (logit-adjusted), class weights, and
    deferred re-weighting or re-sampling each correct for it once; two of
    them together favour the rare classes twice. Re-training the head is no
    correction of its own: it trains a new balanced head with cross-entropy
    (but class weights on its balanced batches are one more).
    """
    found = []
    if LOSSES[loss].corrects_prior:
        found.append(f"loss={loss!r}")
    if class_weight is not None:
        found.append(f"class_weight={class_weight!r}")
    # The head's balanced batches are a correction only beside class weights.
    if rebalance in ("reweight", "resample") or (
        rebalance == "retrain_head" and class_weight is not None
    ):
        found.append(f"rebalance={rebalance!r}")
    return found


def warn_if_corrections_stack(loss, class_weight, rebalance, also=()):
    """Warn when two settings each correct for the class prior (see
    :func:`prior_corrections`); ``also``: corrections from around the
    classifier, in words (a ResampledClassifier's class weights)."""
    found = [*also, *prior_corrections(loss, class_weight, rebalance)]
    if len(found) > 1:
        warnings.warn(
            f"{' and '.join(found)} each correct for the class prior; together "
            "they favour the rare classes twice over, and a classifier fitted so "
            "predicts them too often. Keep one of them (the user guide's "
            "'Corrections of the prior' says which pairs stack).",
            UserWarning,
            stacklevel=3,
        )
