"""Parameter and attribute text that the GAN samplers share, written once.

:func:`pick` takes the entries of :data:`GAN_PARAMETERS` by name, so that a
sampler whose other parameters differ documents the shared ones with the
same words.
"""

import re

from ..._filtering import FILTER_ATTRIBUTES, FILTER_PARAMETERS

GAN_PARAMETERS = """
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images each class should have after resampling, exactly as in
        imbalanced-learn (``"auto"`` balances every class to the majority).
        It does not change the training, so a checkpoint serves every value.

    latent_dim : int, default=64
        Size of the generator's noise vector.

    n_epochs : int or "auto", default="auto"
        Training epochs; an epoch is ``ceil(n_images / batch_size)``
        discriminator and generator steps. ``"auto"`` trains 40 epochs, or
        as many as make 2,000 steps when 40 make fewer:
        ``max(40, ceil(2000 / steps_per_epoch))``. An integer is that many
        epochs.

    batch_size : int, default=64
        Real images per step (capped at the number of images); as many
        generated images go with them.

    learning_rate : float, default=2e-4
        Adam learning rate of the generator.

    discriminator_learning_rate : float or None, default=None
        Adam learning rate of the discriminator; ``None`` uses
        ``learning_rate``.

    beta1 : float, default=0.5
        Adam's first-moment decay for both networks (DCGAN's 0.5; the second
        is 0.999).

    loss : {"bce", "hinge"}, default="bce"
        The adversarial loss: DCGAN's binary cross-entropy, or the hinge
        loss.

    spectral_norm : bool, default=False
        Spectral normalisation of every discriminator layer instead of
        DCGAN's batch normalisation.

    augment : bool, default=False
        Differentiable augmentation: real and generated images alike get the
        random flips, shifts and rotations of ``CNNClassifier(augment=True)``
        before the discriminator sees them, a guard against a discriminator
        that memorises a class of a few images. Convolutional networks only.

    balance_classes : bool, default=True
        Draw real batches class-balanced (and generate as many images of each
        class), so that the generator learns the minority classes; ``False``
        draws images uniformly.

    n_filters : int, default=16
        Channels of the generator's last and the discriminator's first
        convolution; they double at each coarser level up to ``8 *
        n_filters``. The hidden width of the MLP networks is ``4 *
        n_filters``.

    checkpoint_dir : str, path or None, default=None
        Folder for checkpoints. A fit writes one every ``checkpoint_every``
        epochs and at its end, named after the class, the parameters (all
        but ``n_epochs``, ``sampling_strategy``, the filter's, ``verbose``,
        ``device`` and the checkpoint settings, with ``random_state`` as the
        seeds it draws) and the training data; a later fit with the same
        folder, parameters and data resumes from it instead of starting over, with
        the same result as an uninterrupted fit on CPU. Resuming needs an
        integer ``random_state``: with ``None`` each fit draws new seeds and
        starts afresh.

    checkpoint_every : int, default=10
        Epochs between checkpoints.

    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input. Without it, flat rows
        of a square number of features are square grayscale images and other
        rows are tabular data.

    device : {"auto", "cpu", "cuda"}, "cuda:N" or torch.device, default="auto"
        Where to train. ``"auto"`` uses CUDA when available. Mixed precision
        (bfloat16) is used on CUDA only.

    random_state : int, RandomState instance or None, default=None
        Seeds the networks' weights, the batches, the noise and the
        augmentation. The same integer gives bit-identical output on CPU.

    verbose : int, default=0
        0 is silent; 1 or more shows a progress bar over epochs with the
        latest losses.
"""

# The feature-space samplers' first stage (FeatureGANSampler,
# FeatureSMOTESampler).
FEATURE_PARAMETERS = """
    extractor : CNNClassifier, FrozenEstimator or None, default=None
        A fitted :class:`CNNClassifier` whose penultimate features
        (:meth:`CNNClassifier.embed`) are the feature space, for images like
        the training images. ``None`` trains an encoder. Grid search and
        cross-validation clone their estimators, which unfits a plain
        classifier; wrap it in :class:`sklearn.frozen.FrozenEstimator` to keep
        it fitted through clones. An extractor fitted on data that later
        serves as a test fold leaks that fold into the features.

    decoding : {"residual", "direct"}, default="residual"
        How generated features become images. ``"direct"`` decodes them.
        ``"residual"`` adds to a random real image of the class the
        difference between the decoded generated features and the decoded
        features of that real image. The new image then changes what the
        features describe while keeping the real image's fine detail, which
        a decoder trained with squared error blurs away. The choice was made
        on validation data (see the user guide). It does not change the
        training.

    encoder_epochs : int or "auto", default="auto"
        Epochs of the first stage (encoder and decoder, or decoder alone with
        an ``extractor``). ``"auto"`` trains 10 epochs, or as many as make 200
        steps when 10 make fewer. Unused for tabular data.

    encoder_learning_rate : float, default=1e-3
        Adam learning rate of the first stage (encoder and decoder).

    reconstruction_weight : float, default=1.0
        Weight of the decoder's mean squared error (on images scaled to
        [-1, 1]) beside the encoder's classification loss.
"""

FEATURE_ATTRIBUTES = """
    encoder_ : torch.nn.Module or None
        Maps NCHW images (``uint8`` scaled to [0, 1]) to features: the
        trained encoder, or the extractor's network; ``None`` for images
        under 8 pixels a side and tabular data, whose values are the features.

    decoder_ : torch.nn.Module or None
        Maps features to images scaled to [-1, 1] per channel; ``None`` where
        ``encoder_`` is.

    encoder_history_ : list of dict
        One entry per first-stage epoch: ``epoch``, ``classification_loss``
        and ``reconstruction_loss``; empty without an encoder.

    n_features_out_ : int
        Size of the feature space.
"""

# The filter's entries, shared by every sampler, follow image_shape.
GAN_PARAMETERS = GAN_PARAMETERS.replace(
    "\n    device : ", "\n" + FILTER_PARAMETERS.strip("\n") + "\n\n    device : ", 1
)

GAN_ATTRIBUTES = """
    sampling_strategy_ : dict
        Number of new images made for each class.

    classes_ : ndarray of shape (n_classes,)
        The labels the generator knows.

    generator_ : torch.nn.Module
        The trained generator, on the CPU, in evaluation mode. It maps
        ``latent_dim`` noise values, a one-hot label and any codes to images
        in ``[-1, 1]``, which the sampler maps back to the range of the
        training images.

    discriminator_ : torch.nn.Module
        The trained discriminator, on the CPU.

    history_ : list of dict
        One entry per epoch: ``epoch``, ``d_loss``, ``g_loss`` (mean over
        the epoch's steps), ``duration`` in seconds, and for InfoGAN
        ``code_loss``.

    n_iter_ : int
        Epochs trained.

    device_ : torch.device
        The device used for training and sampling.

    n_features_in_ : int
        Pixel values per image.
"""
GAN_ATTRIBUTES = GAN_ATTRIBUTES.rstrip("\n") + "\n" + FILTER_ATTRIBUTES


def _entries(text):
    blocks = re.split(r"\n(?=    \w+ : )", text.strip("\n"))
    return {block.split(" : ")[0].strip(): block for block in blocks}


def pick(*names):
    """The entries of :data:`GAN_PARAMETERS` and :data:`FEATURE_PARAMETERS`
    for ``names``, in that order."""
    entries = {**_entries(GAN_PARAMETERS), **_entries(FEATURE_PARAMETERS)}
    return "\n\n".join(entries[name].rstrip() for name in names)
