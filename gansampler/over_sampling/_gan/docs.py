"""Parameter and attribute entries that the GAN samplers share, written once.

A sampler's docstring names the entries it takes (``{latent_dim,
adversarial_loss}``) and :func:`gansampler._docstrings.fill_doc` fills them
in. The entries of
every sampler that trains networks (``image_shape``, ``device``) come from
``over_sampling/_docs.py``.
"""

from .._docs import NETWORK_TEXT

GAN_TEXT = """
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

    adversarial_loss : {"bce", "hinge"}, default="bce"
        The loss of the discriminator and of the generator's adversarial
        term: DCGAN's binary cross-entropy, or the hinge loss. Named apart
        from :class:`~gansampler.CNNClassifier`'s ``loss``, a classifier's
        training loss, as scikit-learn's classifiers use the word.

    spectral_norm : bool, default=False
        Spectral normalisation of every discriminator layer instead of
        DCGAN's batch normalisation.

    diff_augment : bool, default=False
        Differentiable augmentation (DiffAugment, Zhao et al., NeurIPS 2020):
        real and generated images alike get the random flips, shifts and
        rotations of ``CNNClassifier(augment=True)`` before the
        discriminator sees them, inside the training graph, so that the
        generator learns through them; a guard against a discriminator that
        memorises a class of a few images. Convolutional networks only.
        Named after the technique, apart from CNNClassifier's ``augment``,
        which augments a classifier's training images.

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

    random_state : int, RandomState instance or None, default=None
        Seeds the networks' weights, the batches, the noise and the
        augmentation. The same integer gives bit-identical output on CPU.

    verbose : int, default=0
        0 is silent; 1 or more shows a progress bar over epochs with the
        latest losses.

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
# The GAN samplers take the entries of every sampler that trains networks too.
GAN_TEXT += NETWORK_TEXT
