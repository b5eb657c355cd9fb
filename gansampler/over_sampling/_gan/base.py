"""The estimator side of every GAN sampler.

:class:`BaseGANSampler` validates the data, scales it to [-1, 1], builds a
class-conditional generator and discriminator, hands them with a step to the
:class:`~.trainer.Trainer`, keeps the fitted networks and draws new images of
a class by feeding its label to the generator. A sampler with another step
or other networks overrides :meth:`_make_step` or :meth:`_build_networks`.
"""

import math
import os
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..._images import images_to_numpy
from ..._torch import (
    DEVICE_CONSTRAINTS,
    forget_fit,
    infer,
    resolve_device,
    seeded,
    torch_seed,
    usable_device,
)
from ..._training import Budget, Scale
from ..._validation import own_random_state
from ...base import BaseImageSampler
from .networks import build_networks, check_image_size
from .steps import (
    ConditionalGANStep,
    generator_inputs,
    warn_if_collapsed,
    warn_if_discriminator_wins,
)
from .trainer import Trainer, checkpoint_file


class BaseGANSampler(BaseImageSampler):
    """Base class of the GAN samplers: the adversarial training engine.

    Not used directly; see :class:`DCGANSampler`, :class:`InfoGANSampler`
    and :class:`FeatureGANSampler`.
    """

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "discriminator_learning_rate": [
            Interval(Real, 0, None, closed="neither"),
            None,
        ],
        "beta1": [Interval(Real, 0, 1, closed="left")],
        "loss": [StrOptions({"hinge", "bce"})],
        "spectral_norm": ["boolean"],
        "augment": ["boolean"],
        "balance_classes": ["boolean"],
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "checkpoint_dir": [str, os.PathLike, None],
        "checkpoint_every": [Interval(Integral, 1, None, closed="left")],
        "device": DEVICE_CONSTRAINTS,
        "verbose": ["verbose"],
    }

    # Parameters that do not change what the GAN stage computes, or that the
    # key holds otherwise (the seeds stand for random_state): a checkpoint
    # written under other values of these is still the same run. n_epochs is
    # left out so that a finished run can be extended by raising it. A
    # subclass adds its own.
    _not_in_checkpoint_key = frozenset(
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
    # A generator cannot learn a class from one or two images; refuse them.
    _min_class_size = 3
    # n_epochs="auto": 40 epochs (where the defaults were tuned: 840 steps of
    # 64 on 1,300 images), and never fewer than 2,000 steps. 800 steps left
    # the generator unable to draw the classes of 100 digit images (10 a
    # class: 37% of its images judged their class); 2,000 steps drew them
    # (99.6%). See docs/benchmarks.md.
    _budget = Budget(min_epochs=40, min_steps=2000)

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        latent_dim=64,
        n_epochs="auto",
        batch_size=64,
        learning_rate=2e-4,
        discriminator_learning_rate=None,
        beta1=0.5,
        loss="bce",
        spectral_norm=False,
        augment=False,
        balance_classes=True,
        n_filters=16,
        checkpoint_dir=None,
        checkpoint_every=10,
        image_shape=None,
        filter_threshold=None,
        filter_classifier=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            image_shape=image_shape,
            filter_threshold=filter_threshold,
            filter_classifier=filter_classifier,
        )
        self.latent_dim = latent_dim
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.discriminator_learning_rate = discriminator_learning_rate
        self.beta1 = beta1
        self.loss = loss
        self.spectral_norm = spectral_norm
        self.augment = augment
        self.balance_classes = balance_classes
        self.n_filters = n_filters
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    def fit(self, X, y):
        """Train the generator on images ``X`` with labels ``y``.

        Unlike imbalanced-learn's samplers, whose ``fit`` only checks the
        data, this trains the GAN, so that :meth:`sample` can draw images
        afterwards. :meth:`fit_resample` trains and resamples in one call.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Training images.
        y : array-like of shape (n,)
            Class labels.

        Returns
        -------
        self : object
        """
        self._fit(X, y)
        return self

    def _forget_fit(self):
        forget_fit(self, "_layout", "_scale")

    def _fit_generator(self, images, y, rng):
        check_image_size(self._layout.height, self._layout.width, type(self).__name__)
        classes, targets = np.unique(y, return_inverse=True)
        device = resolve_device(self.device)
        seeds = [torch_seed(rng) for _ in range(4)]
        checkpoint = self._checkpoint_path(
            "gan", self._key_params(), seeds, images, targets
        )
        fitted = self._train_gan(
            images, self._layout, targets, len(classes), device, seeds, checkpoint
        )
        self._commit(fitted, classes, device, images, targets)

    def _train_gan(
        self,
        data,
        layout,
        targets,
        n_classes,
        device,
        seeds,
        checkpoint,
        extra_networks=(),
    ):
        """Train on ``data`` (NCHW of ``layout``); return a :class:`FittedGAN`.

        ``extra_networks`` (name, module) join the built ones, trained by the
        sampler's step (FeatureGAN's feature classifier).
        """
        build_seed, batch_seed, torch_seed_, step_seed = seeds
        # Train on values scaled to [-1, 1], the range of the generator's
        # tanh: per channel for images, per column for tabular rows (which
        # the input contract reads as 1-pixel-high strips).
        scale = Scale.fit(data, (0,) if layout.height == 1 else (0, 2, 3))
        with seeded(build_seed, device):
            networks = self._build_networks(layout, n_classes)
        networks.update(extra_networks)
        optimizers = self._make_optimizers(networks)
        step = self._make_step(networks, optimizers, n_classes, step_seed, scale)
        batch_size = min(self.batch_size, len(targets))
        n_epochs = self._budget.epochs(
            self.n_epochs, math.ceil(len(targets) / batch_size)
        )
        trainer = Trainer(
            networks,
            optimizers,
            step,
            n_epochs=n_epochs,
            batch_size=batch_size,
            balanced=self.balance_classes,
            device=device,
            seeds=(batch_seed, torch_seed_),
            checkpoint=checkpoint,
            checkpoint_every=self.checkpoint_every,
            verbose=self.verbose,
            name=type(self).__name__,
            advice=self._divergence_advice(),
        )
        targets = torch.as_tensor(targets, dtype=torch.long)
        history = trainer.fit(scale.to_unit(data), targets, n_classes)
        warn_if_discriminator_wins(history, type(self).__name__)
        return FittedGAN(networks, history, scale)

    def _build_networks(self, layout, n_classes):
        """The networks by name; ``generator`` and ``discriminator`` at least."""
        generator, discriminator = build_networks(
            layout,
            self.latent_dim + n_classes + self._n_code_inputs(),
            n_classes,
            self._n_code_inputs(),
            self.n_filters,
            self.spectral_norm,
        )
        return {"generator": generator, "discriminator": discriminator}

    def _make_optimizers(self, networks):
        betas = (self.beta1, 0.999)
        d_lr = self.discriminator_learning_rate or self.learning_rate
        return {
            "generator": torch.optim.Adam(
                networks["generator"].parameters(), lr=self.learning_rate, betas=betas
            ),
            "discriminator": torch.optim.Adam(
                networks["discriminator"].parameters(), lr=d_lr, betas=betas
            ),
        }

    def _make_step(self, networks, optimizers, n_classes, seed, scale):
        """The step function the trainer calls; ``scale`` maps data to [-1, 1]."""
        return ConditionalGANStep(
            networks,
            optimizers,
            augment=self.augment,
            **self._step_options(n_classes, seed),
        )

    def _step_options(self, n_classes, seed):
        """What every GAN step is given."""
        return {
            "n_classes": n_classes,
            "latent_dim": self.latent_dim,
            "loss": self.loss,
            "seed": seed,
        }

    def _commit(self, fitted, classes, device, data, targets):
        networks = fitted.networks
        self.classes_ = classes
        self.generator_ = networks["generator"].cpu().eval()
        self.discriminator_ = networks["discriminator"].cpu().eval()
        self.history_ = fitted.history
        self.n_iter_ = len(fitted.history)
        self.device_ = device
        self._scale = fitted.scale
        # Drawn with a private random state: the sampler's own stays as it is.
        per_class = 16
        index = np.repeat(np.arange(len(classes)), per_class)
        made = BaseGANSampler._draw_images(self, index, np.random.RandomState(0), None)
        warn_if_collapsed(
            made.flatten(1),
            data.flatten(1),
            np.asarray(targets),
            classes,
            type(self).__name__,
            self._divergence_advice(),
        )

    def _n_code_inputs(self):
        """Generator inputs beyond noise and label (InfoGAN's codes): none."""
        return 0

    def _sample_codes(self, n, codes):
        """Code inputs of the generator at sampling time: none."""
        return ()

    def _divergence_advice(self):
        """What to change when the losses diverge."""
        return f"lower learning_rate (now {self.learning_rate})"

    # ---------------------------------------------------------- checkpoints

    def _key_params(self):
        """The parameters that decide what the GAN stage computes."""
        # deep=False: a filter_classifier's own parameters are not keys.
        params = self.get_params(deep=False)
        return {k: v for k, v in params.items() if k not in self._not_in_checkpoint_key}

    def _checkpoint_path(self, stage, params, seeds, *arrays):
        """The checkpoint file of a training stage, or None without a folder.

        Named after what the stage depends on: its parameters, the seeds
        drawn from random_state (an integer always draws the same ones, while
        None or a RandomState that has moved on draws new ones, so such a fit
        never takes over another's file), the data and :meth:`_fingerprint`.
        """
        if self.checkpoint_dir is None:
            return None
        return checkpoint_file(
            self.checkpoint_dir,
            f"{type(self).__name__}-{stage}",
            params,
            seeds,
            *arrays,
            *self._fingerprint(),
        )

    def _fingerprint(self):
        """Arrays of what else decides the fit (beyond parameters and data)."""
        return ()

    # ----------------------------------------------------------- generation

    def _generate_class(self, label, X_class, n_samples, rng):
        index = int(np.flatnonzero(self.classes_ == label)[0])
        return self._draw_images(np.full(n_samples, index), rng, None)

    def _draw_images(self, class_index, rng, codes):
        """Generated images (NCHW, in the training data's range) of classes."""
        n = len(class_index)
        device = usable_device(self.device_)
        with seeded(torch_seed(rng), device):
            # Drawn on the CPU, so that a seed gives the same inputs anywhere.
            inputs = generator_inputs(
                torch.randn(n, self.latent_dim),
                torch.as_tensor(class_index),
                len(self.classes_),
                *self._sample_codes(n, codes),
            )
            made = infer(self.generator_, inputs, device)
        return self._scale.from_unit(made)

    def sample(self, n_samples, y, *, random_state=None):
        """Draw ``n_samples`` new images of class(es) ``y`` without refitting.

        Parameters
        ----------
        n_samples : int
            Number of images.
        y : label or array-like of shape (n_samples,)
            One class label for all images, or one label per image; every
            label must be in ``classes_``.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw. ``None`` draws fresh randomness (numpy's global
            random state is left untouched).

        Returns
        -------
        X : ndarray
            The images, in the layout and dtype of the training images.
        """
        return self._sample(n_samples, y, random_state, None)

    def _sample(self, n_samples, y, random_state, codes):
        self._check_sample_call(n_samples)
        class_index = self._class_index(n_samples, y)
        rng = own_random_state(random_state)
        images = self._draw_images(class_index, rng, codes)
        return images_to_numpy(images, self._layout)


@dataclass
class FittedGAN:
    """What a GAN stage leaves: its networks, its history, its data scale."""

    networks: dict
    history: list
    scale: Scale
