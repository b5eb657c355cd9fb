"""The conditional GAN as a generator that samplers hold.

:class:`ConditionalGAN` scales the data to [-1, 1], builds a class-
conditional generator and the networks that train it, hands them with a step
to the :class:`~.trainer.Trainer`, keeps the fitted networks and draws new
images of a class by feeding its label to the generator. It names one
network, ``generator``; the others, and the losses, belong to the step. A
variant is a step and a few lines: the step class given to the constructor,
the options it takes beyond the conditional GAN step's
(:meth:`ConditionalGAN.step_options`), and other networks if it needs them
(:meth:`ConditionalGAN.build_networks`).
"""

import math
import os
from dataclasses import dataclass, make_dataclass, replace
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..._generator import Generator, read_settings
from ..._torch import (
    DEVICE_CONSTRAINTS,
    infer,
    resolve_device,
    seeded,
    torch_seed,
    usable_device,
)
from ..._training import Budget, Scale
from ..._warnings import warn
from .networks import build_networks, check_image_size
from .steps import ConditionalGANStep, generator_inputs, warn_if_collapsed
from .trainer import Trainer, checkpoint_file

# n_epochs="auto": 40 epochs (where the defaults were tuned: 840 steps of
# 64 on 1,300 images), and never fewer than 2,000 steps. 800 steps left the
# generator unable to draw the classes of 100 digit images (10 a class: 37%
# of its images judged their class); 2,000 steps drew them (99.6%). See
# docs/benchmarks_archive.md.
GAN_BUDGET = Budget(min_epochs=40, min_steps=2000)
# On a CPU, images of more than 32x32 pixels get that floor of steps scaled
# down by their pixel count, so that the automatic budget costs about what it
# costs at 32x32: a step's convolutions grow with the pixels (at 128x128 RGB
# a step of 64 images took about 2 s on two cores, so 2,000 steps would take
# over an hour). The fit warns that this is fewer steps than quality needs,
# and points to a GPU, where the floor stays 2,000 at every size.
CPU_REFERENCE_PIXELS = 32 * 32

# Parameters that do not change what a GAN stage computes, or that the key
# holds otherwise (the seeds stand for random_state): a checkpoint written
# under other values of these is still the same run. n_epochs is left out so
# that a finished run can be extended by raising it.
NOT_IN_CHECKPOINT_KEY = frozenset(
    {
        "n_epochs",
        "random_state",
        "verbose",
        "filter_threshold",
        "filter_classifier",
        "checkpoint_dir",
        "checkpoint_every",
        "device",
        "sampling_strategy",
    }
)


@dataclass(frozen=True)
class GANSettings:
    """A GAN sampler's training parameters, read once from the sampler."""

    latent_dim: int
    n_epochs: Any
    batch_size: int
    learning_rate: float
    discriminator_learning_rate: Any
    beta1: float
    adversarial_loss: str
    spectral_norm: bool
    balance_classes: bool
    n_filters: int
    checkpoint_every: int
    device: Any
    verbose: int
    diff_augment: bool = False
    # Set by of(): who trains, for messages and checkpoint names.
    name: str = ""
    # Where checkpoints go: a function of (stage, seeds, *arrays), or None.
    checkpoint: Any = None
    budget: Budget = GAN_BUDGET
    advice: str = ""

    @classmethod
    def of(cls, sampler, budget=None, advice=None, checkpoint=None):
        """The settings of ``sampler``, its parameters read by name;
        ``budget`` is :data:`GAN_BUDGET` unless given."""
        return read_settings(
            cls,
            sampler,
            name=type(sampler).__name__,
            checkpoint=checkpoint or Checkpoints(sampler),
            budget=budget or GAN_BUDGET,
            advice=advice or f"lower learning_rate (now {sampler.learning_rate})",
        )


def automatic_budget(budget, layout, device):
    """``budget`` for images of ``layout`` trained on ``device``: its floor
    of steps scaled down by the pixel count on a CPU, as said above."""
    pixels = layout.height * layout.width
    if device.type == "cuda" or pixels <= CPU_REFERENCE_PIXELS:
        return budget
    steps = math.ceil(budget.min_steps * CPU_REFERENCE_PIXELS / pixels)
    return replace(budget, min_steps=steps)


def warn_if_budget_scaled(settings, budget, layout, n_steps):
    """Say that an automatic budget on a CPU trains fewer steps than the
    floor that quality was measured at, and what to do for more."""
    if settings.n_epochs != "auto" or budget == settings.budget:
        return
    warn(
        f"{settings.name} trains {n_steps} steps on these "
        f"{layout.height}x{layout.width} images on the CPU: the automatic "
        f"budget's {settings.budget.min_steps} steps, scaled down by the pixel "
        f"count above {CPU_REFERENCE_PIXELS} pixels so that a fit takes minutes, "
        "not hours. GANs learn detailed images in thousands of steps, so expect "
        "rougher images than at 32x32. Train on a GPU (device='cuda'), where the "
        f"automatic budget keeps its {settings.budget.min_steps} steps, or set "
        "n_epochs to train longer here (verbose=1 prints the expected time).",
        UserWarning,
    )


class Checkpoints:
    """The checkpoint files of a sampler's training stages, or None without a
    ``checkpoint_dir``.

    A file is named after what its stage depends on: parameters (all but
    :data:`NOT_IN_CHECKPOINT_KEY` and the sampler's ``ignore``), the seeds
    drawn from random_state (an integer always draws the same ones, while
    None or a RandomState that has moved on draws new ones, so such a fit
    never takes over another's file), the data and ``fingerprint`` (arrays
    of anything else that decides the fit, an extractor's weights).
    """

    def __init__(self, sampler, fingerprint=(), ignore=()):
        self.folder = sampler.checkpoint_dir
        self.name = type(sampler).__name__
        # deep=False: a filter_classifier's own parameters are not keys.
        self.params = {
            k: v
            for k, v in sampler.get_params(deep=False).items()
            if k not in NOT_IN_CHECKPOINT_KEY and k not in ignore
        }
        self.fingerprint = list(fingerprint)

    def path(self, stage, seeds, *arrays, params=None):
        if self.folder is None:
            return None
        return checkpoint_file(
            self.folder,
            f"{self.name}-{stage}",
            self.params if params is None else params,
            seeds,
            *arrays,
            *self.fingerprint,
        )


# The parameters every GAN sampler shares, and their constraints.
GAN_CONSTRAINTS = {
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "n_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
    "batch_size": [Interval(Integral, 2, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "discriminator_learning_rate": [Interval(Real, 0, None, closed="neither"), None],
    "beta1": [Interval(Real, 0, 1, closed="left")],
    "adversarial_loss": [StrOptions({"hinge", "bce"})],
    "spectral_norm": ["boolean"],
    "diff_augment": ["boolean"],
    "balance_classes": ["boolean"],
    "n_filters": [Interval(Integral, 1, None, closed="left")],
    "checkpoint_dir": [str, os.PathLike, None],
    "checkpoint_every": [Interval(Integral, 1, None, closed="left")],
    "device": DEVICE_CONSTRAINTS,
    "verbose": ["verbose"],
}


class ConditionalGAN(Generator):
    """A class-conditional GAN trained by a step: DCGANSampler's generator.

    Parameters
    ----------
    settings : GANSettings
    step : callable, default=ConditionalGANStep
        Called as ``step(networks, optimizers, **options)``; see
        :meth:`make_step`.
    """

    def __init__(self, settings, step=ConditionalGANStep):
        self.settings = settings
        self.step = step

    # ------------------------------------------------ what a variant changes

    def n_code_inputs(self):
        """Generator inputs beyond noise and label; none here."""
        return 0

    def build_networks(self, layout, n_classes):
        """The networks by name: ``generator`` and those the step trains."""
        s = self.settings
        n_codes = self.n_code_inputs()
        generator, discriminator = build_networks(
            layout,
            s.latent_dim + n_classes + n_codes,
            n_classes,
            n_codes,
            s.n_filters,
            s.spectral_norm,
        )
        return {"generator": generator, "discriminator": discriminator}

    def make_optimizers(self, networks):
        """Adam for each network: ``learning_rate`` for the generator,
        ``discriminator_learning_rate`` for the others."""
        s = self.settings
        other_lr = s.discriminator_learning_rate or s.learning_rate
        return {
            name: torch.optim.Adam(
                net.parameters(),
                lr=s.learning_rate if name == "generator" else other_lr,
                betas=(s.beta1, 0.999),
            )
            for name, net in networks.items()
        }

    def make_step(self, networks, optimizers, n_classes, seed, scale):
        """The step the trainer calls; ``scale`` maps data to [-1, 1]."""
        s = self.settings
        return self.step(
            networks,
            optimizers,
            n_classes=n_classes,
            latent_dim=s.latent_dim,
            adversarial_loss=s.adversarial_loss,
            diff_augment=s.diff_augment,
            seed=seed,
            **self.step_options(scale),
        )

    def step_options(self, scale):
        """Keyword arguments a variant's step takes beyond the conditional
        GAN step's; ``scale`` maps data to [-1, 1]. None here."""
        return {}

    def code_inputs(self, n, codes):
        """The generator's inputs beyond noise and label at drawing time."""
        return ()

    # ------------------------------------------------------------- training

    def fit(self, training):
        layout = training.layout
        check_image_size(layout.height, layout.width, self.settings.name)
        device = resolve_device(self.settings.device)
        seeds = [torch_seed(training.rng) for _ in range(4)]
        checkpoint = self.settings.checkpoint.path(
            "gan", seeds, training.images, training.targets
        )
        self.train(
            training.images,
            layout,
            training.targets,
            training.classes,
            device,
            seeds,
            checkpoint,
        )

    def train(
        self, data, layout, targets, classes, device, seeds, checkpoint, extra=()
    ):
        """Train on ``data`` (NCHW of ``layout``) labelled by ``targets``
        (indices into ``classes``); ``extra`` (name, module) networks join
        the built ones, trained by the step (FeatureGAN's classifier)."""
        s, n_classes = self.settings, len(classes)
        build_seed, batch_seed, torch_seed_, step_seed = seeds
        # Train on values scaled to [-1, 1], the range of the generator's
        # tanh: per channel for images, per column for tabular rows (which
        # the input contract reads as 1-pixel-high strips).
        scale = Scale.fit(data, (0,) if layout.height == 1 else (0, 2, 3))
        with seeded(build_seed, device):
            networks = self.build_networks(layout, n_classes)
        networks.update(extra)
        optimizers = self.make_optimizers(networks)
        step = self.make_step(networks, optimizers, n_classes, step_seed, scale)
        batch_size = min(s.batch_size, len(targets))
        steps_per_epoch = math.ceil(len(targets) / batch_size)
        budget = automatic_budget(s.budget, layout, device)
        n_epochs = budget.epochs(s.n_epochs, steps_per_epoch)
        warn_if_budget_scaled(s, budget, layout, n_epochs * steps_per_epoch)
        trainer = Trainer(
            networks,
            optimizers,
            step,
            n_epochs=n_epochs,
            batch_size=batch_size,
            balanced=s.balance_classes,
            device=device,
            seeds=(batch_seed, torch_seed_),
            checkpoint=checkpoint,
            checkpoint_every=s.checkpoint_every,
            verbose=s.verbose,
            name=s.name,
            advice=s.advice,
        )
        labels = torch.as_tensor(targets, dtype=torch.long)
        history = trainer.fit(scale.to_unit(data), labels, n_classes)
        if hasattr(step, "check"):
            step.check(history, s.name)
        self.networks = {k: net.cpu().eval() for k, net in networks.items()}
        self.history, self.scale = history, scale
        self.classes, self.device = classes, device
        # Drawn with a private random state: the sampler's own stays as it is.
        per_class = 16
        index = np.repeat(np.arange(len(classes)), per_class)
        made = self.draw(index, np.random.RandomState(0))
        warn_if_collapsed(
            made.flatten(1),
            data.flatten(1),
            np.asarray(targets),
            classes,
            s.name,
            s.advice,
        )

    # ------------------------------------------------------------- drawing

    def draw(self, class_index, rng, real=None, codes=None):
        """Generated samples (NCHW, in the training data's range) of classes
        ``class_index``; ``codes`` fix inputs beyond noise and label."""
        n = len(class_index)
        device = usable_device(self.device)
        with seeded(torch_seed(rng), device):
            # Drawn on the CPU, so that a seed gives the same inputs anywhere.
            inputs = generator_inputs(
                torch.randn(n, self.settings.latent_dim),
                torch.as_tensor(class_index),
                len(self.classes),
                *self.code_inputs(n, codes),
            )
            made = infer(self.networks["generator"], inputs, device)
        return self.scale.from_unit(made)

    def attributes(self):
        """``classes_``, ``history_``, ``n_iter_``, ``device_`` and each
        network as ``<name>_`` (``generator_``, ``discriminator_``)."""
        values = {
            "classes_": self.classes,
            "history_": self.history,
            "n_iter_": len(self.history),
            "device_": self.device,
            **{f"{name}_": net for name, net in self.networks.items()},
        }
        return [make_dataclass("FittedGAN", list(values))(**values)]
