"""Training plumbing shared by every torch loop in gansampler.

The training budget rule, balanced class weights, scaling to the range of a
``tanh``, progress bars, finite-loss checks and the convergence warning are
written once here; :class:`~gansampler.CNNClassifier` and the GAN trainer
call them.

The budget rule
---------------
Budgets were once counted in epochs tuned on about 1,300 images; on a few
hundred images those epochs are a few dozen optimizer steps, and nothing is
learned. With ``n_epochs="auto"`` an estimator trains for at least its
reference number of epochs *and* at least a floor of optimizer steps:

    n_epochs = max(min_epochs, ceil(min_steps / steps_per_epoch))

so that large data sets train as before and small ones get enough steps.
An integer ``n_epochs`` keeps its meaning: that many passes over the data.
"""

import math
from dataclasses import dataclass

import torch
from sklearn.exceptions import ConvergenceWarning
from tqdm.auto import tqdm

from ._warnings import warn

# A loss this many times its first epoch's value has diverged, even while it
# is finite (a learning rate of 1e10 drives it to 1e20 and beyond).
EXPLOSION_FACTOR = 1e4
# The fewest epochs whose losses can tell that a fit converged.
MIN_EPOCHS = 4


@dataclass(frozen=True)
class Budget:
    """How long a loop trains: ``n_epochs="auto"`` resolved by the rule.

    Attributes
    ----------
    min_epochs : int
        Epochs of an ``"auto"`` fit on data large enough for them.
    min_steps : int
        Fewest optimizer steps of an ``"auto"`` fit.
    """

    min_epochs: int
    min_steps: int

    def epochs(self, n_epochs, steps_per_epoch):
        """The epochs to train: ``n_epochs`` itself, or the rule for ``"auto"``."""
        if n_epochs != "auto":
            return int(n_epochs)
        return max(self.min_epochs, math.ceil(self.min_steps / steps_per_epoch))


def balanced_weights(targets, n_classes):
    """scikit-learn's "balanced" weights, ``n / (n_classes * count)``, as a tensor.

    A class absent from ``targets`` (possible in partial_fit or a training
    split) gets the weight of a class of one sample rather than a division
    by zero.
    """
    counts = torch.bincount(targets.cpu(), minlength=n_classes).double()
    # Divided in float64 and then rounded, as scikit-learn computes them, so
    # that "balanced" equals the same weights given as a dict, to the bit.
    return (len(targets) / (n_classes * counts.clamp_min(1))).float()


def channel_stats(images):
    """Mean and standard deviation of each channel of NCHW ``images``.

    A constant channel, or a single image, has no spread to divide by: its
    standard deviation is 1 instead of 0 or NaN.
    """
    mean = images.mean(dim=(0, 2, 3))
    std = images.std(dim=(0, 2, 3)).nan_to_num(1.0)
    return mean, torch.where(std > 1e-6, std, torch.ones_like(std))


@dataclass
class Scale:
    """Maps values to [-1, 1], the range of a ``tanh`` output, and back.

    Attributes
    ----------
    low, span : torch.Tensor
        The smallest value and the range, broadcastable to the data.
    """

    low: torch.Tensor
    span: torch.Tensor

    @classmethod
    def fit(cls, data, dims):
        """Per-channel (``dims=(0, 2, 3)``) or per-column (``(0,)``) range."""
        low = data.amin(dim=dims, keepdim=True)
        span = (data.amax(dim=dims, keepdim=True) - low).clamp_min(1e-8)
        return cls(low, span)

    def to_unit(self, x):
        return 2 * (x - self.low.to(x.device)) / self.span.to(x.device) - 1

    def from_unit(self, x):
        return self.low.to(x.device) + (x + 1) / 2 * self.span.to(x.device)

    def clip(self, x):
        """``x`` clipped to the range the scale was fitted on."""
        low, span = self.low.to(x.device), self.span.to(x.device)
        return torch.minimum(torch.maximum(x, low), low + span)


def progress(n_epochs, first_epoch, verbose, desc):
    """A tqdm bar over the epochs, shown when ``verbose >= 1``."""
    return tqdm(
        range(first_epoch, n_epochs),
        initial=first_epoch,
        total=n_epochs,
        disable=verbose < 1,
        desc=desc,
        unit="epoch",
    )


def say_expected_time(bar, desc, n_epochs, seconds):
    """With a progress bar shown, say after a run's first epoch (which took
    ``seconds``) how long its ``n_epochs`` epochs should take in all."""
    if bar.disable or n_epochs < 2:
        return
    total = seconds * n_epochs
    if total < 90:
        expected = f"{total:.0f} s"
    elif total < 5400:
        expected = f"{total / 60:.0f} min"
    else:
        expected = f"{total / 3600:.1f} h"
    bar.write(
        f"{desc}: the first of {n_epochs} epochs took {seconds:.1f} s, so "
        f"training should take about {expected}."
    )


def show_losses(bar, record):
    bar.set_postfix({k: f"{v:.4f}" for k, v in record.items() if "loss" in k})


def check_losses(record, history, advice, first_step=None):
    """Raise FloatingPointError when a loss of ``record`` has diverged.

    Diverged means not finite, or over ``EXPLOSION_FACTOR`` times its value
    at the start: the first epoch of ``history``, or, in the first epoch,
    the losses of the first step (``first_step``, a dict of floats), which
    the untrained networks computed. A learning rate so high that the loss
    explodes within the first epoch is caught that way. ``advice`` says
    which parameters to change.
    """
    first = history[0] if history else (first_step or record)
    for key, value in record.items():
        if "loss" not in key:
            continue
        start = abs(first.get(key, value))
        if not math.isfinite(value) or abs(value) > EXPLOSION_FACTOR * max(start, 1.0):
            raise FloatingPointError(
                f"The {key} became {value:.4g} at epoch {record['epoch']}, "
                f"from {first.get(key, value):.4g} at the start: the fit diverged; "
                f"{advice}."
            )


def warn_if_unconverged(history, key, estimator_name, advice):
    """Warn when ``key`` in ``history`` is still falling steeply at the end.

    Two signals, read from the per-epoch losses that every fit records
    anyway: the loss of the last epoch is still under 90% of the loss a
    tenth of the run earlier, by at least 2% of the first epoch's loss (it
    is falling steeply), or it is over 95% of the first epoch's (it has
    hardly moved). A fit of fewer than 4 epochs is too short to show either
    and warns that it cannot tell, as scikit-learn's ``MLPClassifier`` does
    whenever it stops before its own test of convergence could pass. (The
    losses of single optimizer steps were tried instead: on 100 images an
    epoch is 7 batches, and their losses rise and fall by half from batch to
    batch, so they told nothing.)
    """
    losses = [r[key] for r in history if key in r]
    if len(losses) < MIN_EPOCHS:
        reason = (
            f"it trained {len(losses)} epoch(s), too few to show that it "
            f"converged (it takes {MIN_EPOCHS})"
        )
    else:
        back = max(1, len(losses) // 10)
        last, earlier, first = losses[-1], losses[-1 - back], losses[0]
        if last < 0.9 * earlier and earlier - last > 0.02 * first:
            reason = (
                f"its {key} was still falling steeply at the end ({earlier:.4g} "
                f"to {last:.4g} over the last {back} epoch(s))"
            )
        elif last > 0.95 * first:
            reason = (
                f"its {key} hardly moved from the start ({first:.4g} to {last:.4g})"
            )
        else:
            return
    warn(f"{estimator_name} did not converge: {reason}; {advice}.", ConvergenceWarning)
