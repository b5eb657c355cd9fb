"""What a sampler holds: a generator, and the data it learns from.

A generator has two operations: :meth:`Generator.fit` learns from the scaled
training images and their labels (a :class:`Training`), and
:meth:`Generator.draw` makes new images of a class from a random state. The
samplers' generators (the conditional GAN and InfoGAN, the feature space
with a GAN or SMOTE on it, the superpixel and geometric transforms) live
beside their samplers; :class:`OwnHooks` serves a user's sampler written
with ``_generate``.
"""

from dataclasses import dataclass, fields

import numpy as np
import torch

from ._images import ImageLayout


@dataclass
class Training:
    """What a generator learns from.

    Attributes
    ----------
    X : ndarray
        The validated images in the caller's layout (the filter's judge
        reads these).
    labels : ndarray of shape (n,)
        Their labels.
    images : torch.Tensor of shape (n, C, H, W)
        The images as float32, ``uint8`` scaled to [0, 1].
    targets : ndarray of shape (n,)
        Each image's index into ``classes``.
    classes : ndarray
        The sorted labels.
    layout : ImageLayout
        The caller's geometry and dtype.
    wanted : dict
        New images wanted per label (``sampling_strategy_``).
    rng : numpy.random.RandomState
        The sampler's random state; the generator draws its seeds from it.
    """

    X: np.ndarray
    labels: np.ndarray
    images: torch.Tensor
    targets: np.ndarray
    classes: np.ndarray
    layout: ImageLayout
    wanted: dict
    rng: np.random.RandomState


class Generator:
    """What a sampler holds: learns from the training images, draws new ones.

    Not a base to inherit from, only the two operations every generator has
    (and the attributes it gives the sampler). :class:`OwnHooks` is the
    simplest: it calls a sampler's own ``_fit_generator`` and ``_generate``.
    """

    def fit(self, training):
        """Learn from a :class:`Training`."""

    def draw(self, class_index, rng, real=None):
        """New images (NCHW float32 tensor) of the classes ``class_index``
        (indices into the classes, one per image), drawn from ``rng``.
        ``real`` holds the real images of the class when all are of one
        class (``fit_resample``), else None (``sample``)."""

    def attributes(self):
        """The fitted attributes to set on the sampler: a list of dataclasses."""
        return []


class OwnHooks(Generator):
    """The generator of a sampler that says how to make images in its own
    methods: ``_fit_generator(images, y, rng)`` and ``_generate(X_class,
    n_samples, rng)``."""

    def __init__(self, sampler):
        self.sampler = sampler

    def fit(self, training):
        self.sampler._fit_generator(training.images, training.labels, training.rng)

    def draw(self, class_index, rng, real=None):
        return self.sampler._generate(real, len(class_index), rng)


@dataclass
class SamplerState:
    """A sampler's own fitted state, beside imbalanced-learn's attributes and
    its generator's."""

    _layout: ImageLayout
    _generator: Generator


def read_settings(kind, sampler, **given):
    """The dataclass ``kind`` filled with ``sampler``'s parameters of its
    fields' names (those it has), and ``given`` for the rest: a generator's
    settings, read once when the sampler builds it."""
    values = {
        field.name: getattr(sampler, field.name)
        for field in fields(kind)
        if field.name not in given and hasattr(sampler, field.name)
    }
    return kind(**values, **given)
