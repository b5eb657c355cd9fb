"""The feature space that feature-space samplers generate in.

:func:`learn_feature_space` fits, on the GAN family's trainer, an
encoder (or takes a user's fitted extractor), a decoder back to images and a
linear feature classifier, and returns them as one :class:`FeatureSpace`. A
sampler holds one and calls :meth:`FeatureSpace.encode`,
:meth:`FeatureSpace.decode` and :meth:`FeatureSpace.decode_residual`; it
inherits nothing from it.
"""

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..._images import images_to_numpy, images_to_tensor
from ..._torch import infer, seeded, torch_seed
from ..._training import (
    Budget,
    Scale,
    balanced_weights,
    channel_stats,
    warn_if_unconverged,
)
from ...neural_network._architectures import build_network
from .._gan.networks import ConvGenerator, MLPGenerator, uses_convolutions
from .._gan.trainer import Trainer, autocast

# Adam's learning rate for the feature classifier's fit (full batches of
# standardised features).
CLASSIFIER_LEARNING_RATE = 1e-2
CLASSIFIER_STEPS = 200
# encoder_epochs="auto": 10 epochs (200 steps of 64 on 1,300 images, where
# the defaults were tuned), and never fewer than 200 steps.
ENCODER_BUDGET = Budget(min_epochs=10, min_steps=200)


@dataclass
class FeatureSpace:
    """A fitted feature space.

    Attributes
    ----------
    encoder : torch.nn.Module or None
        Maps NCHW images to features through ``encoder.embed``; ``None`` for
        tabular rows, whose values are their own features.
    decoder : torch.nn.Module or None
        Maps features to images scaled to [-1, 1] by ``image_scale``.
    classifier : FeatureClassifier
        A linear classifier of the features (in their own units).
    image_scale : Scale or None
        The images' range, per channel.
    history : list of dict
        The encoder stage's epochs: ``epoch``, ``classification_loss``,
        ``reconstruction_loss``.
    """

    encoder: nn.Module | None
    decoder: nn.Module | None
    classifier: nn.Module
    image_scale: Scale | None
    history: list

    def encode(self, images, device):
        """Features of NCHW ``images`` (float32, on the CPU)."""
        if self.encoder is None:
            return images.flatten(1)
        return infer(self.encoder, images, device, "embed").flatten(1)

    def decode(self, features, device):
        """Images (NCHW, in the training images' range) decoded from features."""
        made = infer(self.decoder, features, device)
        return self.image_scale.from_unit(made)

    def decode_residual(self, features, anchors, device):
        """Real ``anchors`` changed by what the decoder sees ``features`` change.

        ``anchor + decode(features) - decode(encode(anchor))``: the new image
        changes what the features describe and keeps the anchor's fine
        detail, which a decoder trained with squared error blurs away.
        """
        made = self.decode(features, device)
        made = anchors + made - self.decode(self.encode(anchors, device), device)
        return self.image_scale.clip(made)


class FeatureClassifier(nn.Module):
    """A linear classifier on standardised features."""

    def __init__(self, features, n_classes):
        super().__init__()
        self.register_buffer("mean", features.mean(dim=0))
        self.register_buffer("std", features.std(dim=0).nan_to_num(1.0).clamp_min(1e-6))
        self.linear = nn.Linear(features.shape[1], n_classes)

    def forward(self, x):
        return self.linear((x - self.mean) / self.std)


class AutoencoderStep:
    """Encoder and decoder: balanced cross-entropy plus reconstruction error."""

    def __init__(
        self,
        encoder,
        decoder,
        optimizer,
        *,
        train_encoder,
        weights,
        reconstruction_weight,
        image_scale,
    ):
        self.encoder, self.decoder, self.optimizer = encoder, decoder, optimizer
        self.train_encoder = train_encoder
        self.weights = weights
        self.reconstruction_weight = reconstruction_weight
        self.image_scale = image_scale

    def __call__(self, real, labels, i):
        with torch.set_grad_enabled(self.train_encoder), autocast(real.device):
            features = self.encoder.embed(real)
        with autocast(real.device):
            decoded = self.decoder(features)
        reconstruction = F.mse_loss(decoded.float(), self.image_scale.to_unit(real))
        loss = self.reconstruction_weight * reconstruction
        classification = torch.zeros((), device=real.device)
        if self.train_encoder:
            with autocast(real.device):
                logits = self.encoder.head(features)
            classification = F.cross_entropy(
                logits.float(), labels, weight=self.weights.to(real.device)
            )
            loss = loss + classification
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {
            "classification_loss": classification.detach(),
            "reconstruction_loss": reconstruction.detach(),
        }


class ClassifierStep:
    """The feature classifier: balanced cross-entropy."""

    def __init__(self, classifier, optimizer, weights):
        self.classifier, self.optimizer, self.weights = classifier, optimizer, weights

    def __call__(self, features, labels, i):
        loss = F.cross_entropy(
            self.classifier(features), labels, weight=self.weights.to(labels.device)
        )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return {"classifier_loss": loss.detach()}


def learn_feature_space(
    images,
    targets,
    n_classes,
    layout,
    *,
    extractor_module,
    n_epochs,
    learning_rate,
    batch_size,
    reconstruction_weight,
    n_filters,
    device,
    seeds,
    checkpoint,
    verbose,
    name,
):
    """Fit a :class:`FeatureSpace` on NCHW ``images`` and integer ``targets``.

    With ``extractor_module`` (a fitted network with ``embed``), its features
    are the space and only the decoder learns; images too small for
    convolutions and tabular rows get no encoder at all.
    """
    build_seed, batch_seed, torch_seed_ = seeds
    has_images = extractor_module is not None or uses_convolutions(
        layout.height, layout.width
    )
    weights = balanced_weights(targets, n_classes)
    encoder = decoder = image_scale = None
    history = []
    if has_images:
        image_scale = Scale.fit(images, (0, 2, 3))
        with seeded(build_seed, device):
            if extractor_module is not None:
                encoder = copy.deepcopy(extractor_module).cpu()
            else:
                mean, std = channel_stats(images)
                encoder = build_network(
                    "light",
                    layout.channels,
                    n_classes,
                    layout.height,
                    layout.width,
                    mean,
                    std,
                )
            n_features = infer(encoder, images[:2], device, "embed").flatten(1)
            decoder = _make_decoder(n_features.shape[1], layout, n_filters)
        train_encoder = extractor_module is None
        parameters = list(decoder.parameters())
        if train_encoder:
            parameters += list(encoder.parameters())
        optimizer = torch.optim.Adam(parameters, lr=learning_rate)
        networks = {"encoder": encoder, "decoder": decoder}
        step = AutoencoderStep(
            encoder,
            decoder,
            optimizer,
            train_encoder=train_encoder,
            weights=weights,
            reconstruction_weight=reconstruction_weight,
            image_scale=image_scale,
        )
        size = min(batch_size, len(targets))
        trainer = Trainer(
            networks,
            {"autoencoder": optimizer},
            step,
            n_epochs=ENCODER_BUDGET.epochs(n_epochs, -(-len(targets) // size)),
            batch_size=size,
            balanced=False,
            device=device,
            seeds=(batch_seed, torch_seed_),
            checkpoint=checkpoint,
            verbose=verbose,
            name=f"{name} features",
            advice=(
                f"the first stage diverged: lower encoder_learning_rate (now "
                f"{learning_rate}) or reconstruction_weight (now "
                f"{reconstruction_weight})"
            ),
        )
        if not train_encoder:
            # A user's extractor stays as it was fitted, batch statistics too.
            encoder.to(device).eval()
            trainer.networks = {"decoder": decoder}
        history = trainer.fit(images, targets, n_classes)
        for key in ("classification_loss", "reconstruction_loss"):
            warn_if_unconverged(
                history, key, f"{name}'s first stage", "raise encoder_epochs"
            )
        encoder, decoder = encoder.cpu().eval(), decoder.cpu().eval()
    space = FeatureSpace(encoder, decoder, None, image_scale, history)
    features = space.encode(images, device)
    space.classifier = fit_classifier(features, targets, n_classes, device, torch_seed_)
    return space, features


def fit_classifier(features, targets, n_classes, device, seed):
    """The feature classifier: full-batch Adam with balanced class weights."""
    # One integer must not feed two torch streams (initialisation and the
    # trainer's draws): derive independent seeds from it.
    rng = np.random.RandomState(seed)
    build_seed, batch_seed, torch_seed_ = (torch_seed(rng) for _ in range(3))
    with seeded(build_seed, device):
        classifier = FeatureClassifier(features, n_classes)
    optimizer = torch.optim.Adam(classifier.parameters(), lr=CLASSIFIER_LEARNING_RATE)
    step = ClassifierStep(classifier, optimizer, balanced_weights(targets, n_classes))
    Trainer(
        {"classifier": classifier},
        {"classifier": optimizer},
        step,
        n_epochs=CLASSIFIER_STEPS,
        batch_size=len(targets),
        balanced=False,
        device=device,
        seeds=(batch_seed, torch_seed_),
        advice="lower learning_rate",
    ).fit(features, targets, n_classes)
    return classifier.cpu().eval()


def pick_anchors(images, targets, n_classes, layout, rng, max_per_class):
    """Real images of each class for residual decoding, at most ``max_per_class``."""
    anchors = {}
    for index in range(n_classes):
        members = np.flatnonzero(targets == index)
        if len(members) > max_per_class:
            members = np.sort(rng.choice(members, max_per_class, False))
        anchors[index] = images_to_numpy(images[members], layout)
    return anchors


def anchor_batch(anchors, class_index, layout, rng):
    """For each generated sample, a random real image of its class (NCHW)."""
    batch = torch.empty(len(class_index), layout.channels, layout.height, layout.width)
    for index in np.unique(class_index):
        rows = np.flatnonzero(class_index == index)
        pool = anchors[int(index)]
        picks = pool[rng.randint(len(pool), size=len(rows))]
        batch[torch.from_numpy(rows)] = images_to_tensor(picks, layout)
    return batch


class StartImages:
    """The training images that new features start from, kept by the fit.

    FeatureSMOTE and variance transfer start each new sample at a real
    sample of its class, picked by its position among the class's samples;
    residual decoding needs that sample's image. Keeping the images (a
    reference to the fit's tensor, not a copy) lets ``sample`` decode as
    ``fit_resample`` does, with the same bits. Without a decoder (tabular
    rows, tiny images) no image is needed, and none is kept.
    """

    def __init__(self, space, training):
        self.images = training.images if space.decoder is not None else None
        self.rows = [
            np.flatnonzero(training.targets == k) for k in range(len(training.classes))
        ]

    def position(self, index, start):
        """The rows in the training images of class ``index``'s samples at
        positions ``start`` among that class's samples."""
        return self.rows[index][start]

    def batch(self, rows):
        """The training images at ``rows`` (NCHW float32)."""
        return self.images[torch.from_numpy(rows)]


def _make_decoder(n_features, layout, n_filters):
    shape = (layout.channels, layout.height, layout.width)
    if uses_convolutions(layout.height, layout.width):
        return ConvGenerator(n_features, *shape, n_filters)
    return MLPGenerator(n_features, *shape, n_filters)
