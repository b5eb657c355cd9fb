"""A generator of images from a generator of features.

:class:`FeatureSpaceGenerator` learns a feature space, has its inner
generator learn the training images' features, and decodes the features it
draws into images. FeatureGANSampler's inner generator is a conditional GAN
on features; FeatureSMOTESampler's interpolates features as SMOTE does.
"""

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from ..._generator import Generator, read_settings
from ..._torch import resolve_device, torch_seed, usable_device
from ..._validation import NetworkClassifier, fitted_or_fit
from .._gan.generator import GAN_CONSTRAINTS
from .._gan.networks import check_image_size
from .space import learn_feature_space

# The first stage's parameters, the same in every feature-space sampler.
FEATURE_CONSTRAINTS = {
    "extractor": [NetworkClassifier(), None],
    "decoding": [StrOptions({"residual", "direct"})],
    "encoder_epochs": [
        Interval(Integral, 1, None, closed="left"),
        StrOptions({"auto"}),
    ],
    "encoder_learning_rate": [Interval(Real, 0, None, closed="neither")],
    "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
}

# A feature-space sampler with no GAN (FeatureSMOTE, variance transfer): the
# first stage's parameters, and the GAN family's for its batches, width and
# device.
SPACE_ONLY_CONSTRAINTS = {
    **FEATURE_CONSTRAINTS,
    **{k: GAN_CONSTRAINTS[k] for k in ("batch_size", "n_filters", "device")},
    "verbose": ["verbose"],
}

# What the first stage depends on, beside seeds and data: its checkpoint is
# keyed on these alone, so that changing a GAN setting does not retrain it.
STAGE_PARAMS = (
    "encoder_epochs",
    "encoder_learning_rate",
    "reconstruction_weight",
    "batch_size",
    "n_filters",
    "image_shape",
)


@dataclass(frozen=True)
class FeatureSettings:
    """The first stage's parameters, read once from the sampler."""

    extractor: Any
    encoder_epochs: Any
    encoder_learning_rate: float
    reconstruction_weight: float
    batch_size: int
    n_filters: int
    image_shape: Any
    device: Any
    verbose: int
    name: str
    # A GAN sampler's checkpoint files (gan.generator.Checkpoints), or None.
    checkpoint: Any = None


def extractor_network(extractor, image_shape, name="extractor"):
    """The network of a fitted ``extractor`` (see
    :func:`~gansampler._validation.fitted_or_fit`), checked against X;
    ``name`` is the parameter that holds it, for the errors.

    The seam is public: a fitted estimator's ``module_`` whose ``embed``
    gives features, and its ``image_shape_``, as :class:`CNNClassifier`
    documents. A :class:`~sklearn.frozen.FrozenEstimator` passes attribute
    reads through to what it wraps; a fitted search offers its refitted
    ``best_estimator_``.
    """
    fitted = getattr(extractor, "best_estimator_", extractor)
    module = getattr(fitted, "module_", None)
    if module is None or not hasattr(module, "embed"):
        # A search with refit=False has no best_estimator_ to give one.
        raise ValueError(
            f"{name} must give a fitted CNNClassifier's network (a search of "
            f"one needs refit=True); got {name}={extractor!r}."
        )
    fitted_shape = getattr(fitted, "image_shape_", None)
    if fitted_shape != image_shape:
        raise ValueError(
            f"{name} was fitted on images of shape {fitted_shape}, but X "
            f"holds images of shape {image_shape}; fit the {name} on images "
            "like X."
        )
    return module


@dataclass
class FittedSpace:
    """The feature space's fitted attributes on the sampler."""

    encoder_: Any
    decoder_: Any
    encoder_history_: list
    n_features_out_: int
    extractor_: Any


class FeatureSpaceGenerator(Generator):
    """Images decoded from the features that ``inner`` draws.

    ``inner`` learns features with ``learn(space, features, training,
    device, seeds)`` (after an optional ``check(training)`` before any
    training) and draws them with ``new_features(class_index, rng, real) ->
    (features, anchors)``, where ``anchors()`` gives the real images that
    residual decoding starts from. ``learn`` keeps whatever the draws need
    (``real`` is None when ``sample`` draws), so that a sampler can draw
    after ``fit`` alone.
    """

    def __init__(self, settings, inner):
        self.settings = settings
        self.inner = inner

    @classmethod
    def of(cls, sampler, inner, checkpoint=None):
        settings = read_settings(
            FeatureSettings, sampler, name=type(sampler).__name__, checkpoint=checkpoint
        )
        return cls(settings, inner)

    def fit(self, training):
        s, layout, rng = self.settings, training.layout, training.rng
        check_image_size(layout.height, layout.width, s.name)
        if hasattr(self.inner, "check"):
            self.inner.check(training)
        device = resolve_device(s.device)
        seeds = [torch_seed(rng) for _ in range(3)]
        module = self.extractor = None
        if s.extractor is not None:
            # Used as it is when fitted (on y's classes), else a fitted copy.
            self.extractor = fitted_or_fit(
                s.extractor, training.X, training.labels, "extractor", s.image_shape
            )
            module = extractor_network(self.extractor, layout.image_shape)
        path = None
        if s.checkpoint is not None:
            if module is not None:
                # The extractor's weights decide the features: key on them.
                weights = module.state_dict().values()
                s.checkpoint.fingerprint = [t.cpu().numpy() for t in weights]
            stage = {name: getattr(s, name) for name in STAGE_PARAMS}
            path = s.checkpoint.path(
                "features", seeds, training.images, training.targets, params=stage
            )
        self.space, features = learn_feature_space(
            training.images,
            torch.as_tensor(training.targets, dtype=torch.long),
            len(training.classes),
            layout,
            extractor_module=module,
            n_epochs=s.encoder_epochs,
            learning_rate=s.encoder_learning_rate,
            batch_size=s.batch_size,
            reconstruction_weight=s.reconstruction_weight,
            n_filters=s.n_filters,
            device=device,
            seeds=seeds,
            checkpoint=path,
            verbose=s.verbose,
            name=s.name,
        )
        self.layout, self.device = layout, device
        self.low = float(training.images.min())
        self.high = float(training.images.max())
        self.n_features = features.shape[1]
        self.inner.learn(self.space, features, training, device, seeds)

    def draw(self, class_index, rng, real=None, decoding="residual"):
        features, anchors = self.inner.new_features(class_index, rng, real)
        layout, space = self.layout, self.space
        if space.decoder is None:
            # Values, not decoded images: kept within the training values'
            # range, as a decoder's images are (a no-op for interpolation).
            values = features.clamp(self.low, self.high)
            return values.view(-1, layout.channels, layout.height, layout.width)
        device = usable_device(self.device)
        if decoding == "direct":
            return space.decode(features, device)
        return space.decode_residual(features, anchors(), device)

    def draw_features(self, class_index, rng):
        """New features (float32, in the space's own units), undecoded."""
        return self.inner.new_features(class_index, rng)[0]

    def encode(self, images):
        """Features of NCHW ``images``."""
        return self.space.encode(images, usable_device(self.device))

    def attributes(self):
        space = self.space
        fitted = FittedSpace(
            space.encoder, space.decoder, space.history, self.n_features, self.extractor
        )
        return [*self.inner.attributes(), fitted]
