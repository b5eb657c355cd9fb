"""CNNClassifier's training loop, split into the steps skorch splits it into.

- :func:`batch_step`: forward, loss, backward and optimizer step on one
  batch.
- :meth:`Loop.epoch`: one pass over an epoch's batches, each step at the
  learning rate of the schedule (:class:`Cosine`, or none for a constant
  rate); returns the epoch's mean loss and learning rate.
- :meth:`Loop.run`: the epochs, each recorded in the history, checked for
  divergence and scored by :class:`EarlyStopping` (which also keeps the best
  weights and counts the epochs without improvement);
  :func:`split_validation` holds its images out.

Nothing here reads the estimator: ``_train.train`` reads its settings once
into a ``TrainingOptions`` and hands each piece what it needs.

Where new training methods plug in
----------------------------------
Two objects are chosen once, before the loop starts, and the loop only calls
them, so that a new loss or a new way of weighting needs no change here:

``loss(logits, targets, weights)``
    Each image's loss term, times its weight: float32 logits, class indices,
    and per-image weights or None, all on the training device. A step
    averages the terms of its batch; early stopping sums them over the
    held-out images, so that it watches the loss being trained.
    ``_losses.LOSSES`` has them: cross-entropy, the focal loss, the
    logit-adjusted loss (balanced softmax) and LDAM, each built from the
    class counts it needs.

``plan.batches(epoch, generator)`` and ``plan.weights(epoch)``
    Asked at the start of each epoch (counted from 0 within the run): the
    epoch's batches, as index tensors into the training images, and the
    per-image loss weights of all training images (or None).
    :class:`Shuffled` gives every epoch all images in a fresh order and the
    same weights. Deferred re-balancing (``_phases``) runs the loop again for
    the last epochs, on balanced weights or class-balanced batches
    (``_phases.Balanced``); re-training the head alone is a loop of its own
    on balanced batches with an optimizer over the head's parameters only.
"""

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from .._augment import random_affine
from .._torch import in_chunks, minibatches
from .._training import check_losses, progress, say_expected_time, show_losses


@dataclass(frozen=True)
class Cosine:
    """A learning rate that falls from ``base`` to zero on half a cosine
    over ``total_steps`` optimizer steps."""

    base: float
    total_steps: int

    def __call__(self, step):
        angle = math.pi * step / max(self.total_steps, 1)
        return 0.5 * self.base * (1 + math.cos(angle))


@dataclass
class Shuffled:
    """Every epoch, all ``n_samples`` training images in a fresh order, in
    batches of ``batch_size``, with the same per-image ``loss_weights``."""

    n_samples: int
    batch_size: int
    loss_weights: torch.Tensor | None = None

    def batches(self, epoch, generator):
        return minibatches(self.n_samples, self.batch_size, generator)

    def weights(self, epoch):
        return self.loss_weights


def batch_step(module, optimizer, loss, images, targets, weights):
    """Forward, loss, backward and optimizer step on one batch.

    The forward pass runs in bfloat16 on CUDA, the loss in float32. Returns
    the batch's mean loss, detached.
    """
    device = images.device
    with torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
        logits = module(images)
    value = loss(logits.float(), targets, weights).mean()
    optimizer.zero_grad(set_to_none=True)
    value.backward()
    optimizer.step()
    return value.detach()


class Loop:
    """One training run of ``module`` on ``images`` and ``targets``.

    ``generator`` draws the batches' order and the augmentation (with
    ``augment``); ``schedule``, if given, maps the run's optimizer step,
    counted from 0, to its learning rate. ``images`` may rest on the CPU:
    each batch moves to ``device``.
    """

    def __init__(
        self,
        module,
        optimizer,
        loss,
        images,
        targets,
        *,
        device,
        generator,
        augment=False,
        schedule=None,
    ):
        self.module, self.optimizer, self.loss = module, optimizer, loss
        self.images, self.targets, self.device = images, targets, device
        self.generator, self.augment, self.schedule = generator, augment, schedule
        self.steps = 0
        # The untrained network's loss: in the first epoch, what divergence
        # is measured against.
        self.first_loss = None

    def epoch(self, plan, epoch):
        """Train the batches of ``plan``'s ``epoch``; return the epoch's
        mean training loss and its last learning rate."""
        self.module.train()
        weights = plan.weights(epoch)
        total, count = 0.0, 0
        for batch in plan.batches(epoch, self.generator):
            if self.schedule is not None:
                for group in self.optimizer.param_groups:
                    group["lr"] = self.schedule(self.steps)
            images = self.images[batch].to(self.device, non_blocking=True)
            targets = self.targets[batch].to(self.device, non_blocking=True)
            if self.augment:
                images = random_affine(images, self.generator)
            loss = batch_step(
                self.module,
                self.optimizer,
                self.loss,
                images,
                targets,
                None if weights is None else weights[batch],
            )
            # Summed on the device: one synchronisation per epoch.
            total = total + loss * len(batch)
            count += len(batch)
            if self.first_loss is None:
                self.first_loss = loss
            self.steps += 1
        return {
            "train_loss": float(total) / count,
            "learning_rate": self.optimizer.param_groups[0]["lr"],
        }

    def run(
        self,
        plan,
        n_epochs,
        history,
        *,
        first_epoch=0,
        stopping=None,
        may_stop=True,
        phase="train",
        verbose=0,
        name=None,
        advice,
    ):
        """Train ``n_epochs`` epochs of ``plan``, fewer if ``stopping`` says so.

        Each epoch appends its record to ``history``, numbered on from
        ``first_epoch`` and naming its ``phase``; a diverged loss raises
        FloatingPointError with ``advice``. ``verbose`` and ``name`` are the
        progress bar's. With ``stopping`` (an :class:`EarlyStopping`), each
        epoch is scored on the held-out images; where ``may_stop``, the run
        may end early, and the module ends with its best epoch's weights.
        Returns the number of epochs trained.
        """
        bar = progress(n_epochs, 0, verbose, name)
        trained = 0
        for epoch in bar:
            start = time.perf_counter()
            record = {
                "epoch": first_epoch + trained + 1,
                "phase": phase,
                **self.epoch(plan, epoch),
            }
            first = {"train_loss": float(self.first_loss)}
            check_losses(record, history, advice, first_step=first)
            if stopping is not None:
                record.update(stopping.score(self.module, self.loss, self.device))
            record["duration"] = time.perf_counter() - start
            history.append(record)
            trained += 1
            if trained == 1:
                say_expected_time(bar, name, n_epochs, record["duration"])
            show_losses(bar, record)
            if (
                stopping is not None
                and may_stop
                and stopping.update(record["valid_loss"], self.module)
            ):
                break
        bar.close()
        if stopping is not None and may_stop:
            stopping.restore(self.module)
        return trained


def split_validation(targets, n_classes, fraction, rng):
    """Indices of the training and of the held-out images: ``fraction``
    held out, stratified when every class has 2 images or more."""
    counts = np.bincount(targets.numpy(), minlength=n_classes)
    stratify = targets.numpy() if counts.min() >= 2 else None
    n = len(targets)
    n_valid = math.ceil(fraction * n)
    least = n_classes if stratify is not None else 1
    if min(n_valid, n - n_valid) < least:
        raise ValueError(
            f"early_stopping=True holds out validation_fraction={fraction} of the "
            f"{n} training images ({n_valid}), which leaves {n - n_valid} to train "
            f"on; each side needs at least {least} image(s) (one per class). "
            "Choose a validation_fraction that leaves that many on each side, "
            "or set early_stopping=False."
        )
    return train_test_split(
        np.arange(n), test_size=fraction, stratify=stratify, random_state=rng
    )


class EarlyStopping:
    """Score held-out images after each epoch, keep the best weights, and
    stop after ``patience`` epochs without an improvement of ``tol``.

    ``images``, ``targets`` (class indices) and ``weights`` (per-image loss
    weights, or None) rest on the CPU.
    """

    def __init__(self, images, targets, weights, *, n_classes, tol, patience):
        self.images, self.targets, self.weights = images, targets, weights
        self.n_classes, self.tol, self.patience = n_classes, tol, patience
        self.stopped = False
        self.begin(weights)

    def begin(self, weights):
        """Start watching afresh, under the held-out ``weights`` of a new
        phase: only its own epochs compete for the best."""
        self.weights = weights
        self.best_loss = math.inf
        self.best_weights = None
        self.waited = 0  # epochs since the last improvement

    def score(self, module, loss, device):
        """The held-out loss and balanced accuracy, in evaluation mode so
        that batch statistics stay as they are."""
        module.eval()
        losses, predictions = [], []
        with torch.no_grad():
            # The chunks of predict, so that the score is the one predict
            # would give.
            for rows, logits in in_chunks(module, self.images, device):
                logits = logits.float()
                weights = None if self.weights is None else self.weights[rows]
                losses.append(
                    loss(
                        logits,
                        self.targets[rows].to(device),
                        None if weights is None else weights.to(device),
                    ).sum()
                )
                predictions.append(logits.argmax(1).cpu())
        module.train()
        predicted = torch.cat(predictions)
        recalls = [
            (predicted[self.targets == k] == k).float().mean().item()
            for k in range(self.n_classes)
            if (self.targets == k).any()
        ]
        return {
            "valid_loss": torch.stack(losses).sum().item() / len(self.targets),
            "valid_score": float(np.mean(recalls)),
        }

    def update(self, valid_loss, module):
        """Count one epoch's held-out loss; return whether to stop."""
        if valid_loss < self.best_loss - self.tol:
            self.best_loss = valid_loss
            self.best_weights = {
                k: v.detach().clone() for k, v in module.state_dict().items()
            }
            self.waited = 0
        else:
            self.waited += 1
            self.stopped = self.waited >= self.patience
        return self.stopped

    def restore(self, module):
        """Give ``module`` the best epoch's weights, if one improved."""
        if self.best_weights is not None:
            module.load_state_dict(self.best_weights)
