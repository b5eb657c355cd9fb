"""DCGANSampler: oversample with a class-conditional DCGAN."""

from ._gan.base import BaseGANSampler

GAN_PARAMETERS = """
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images each class should have after resampling, exactly as in
        imbalanced-learn (``"auto"`` balances every class to the majority).
        It does not change the training, so a checkpoint serves every value.

    latent_dim : int, default=64
        Size of the generator's noise vector.

    n_epochs : int, default=40
        Training epochs; an epoch is ``ceil(n_images / batch_size)``
        discriminator and generator steps.

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
        Differentiable augmentation: real and generated images are both
        shifted at random by up to 1/8 of their size before the
        discriminator sees them, a guard against a discriminator that
        memorises a class of a few images. Convolutional networks only.

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
        but ``sampling_strategy``, ``verbose``, ``device`` and the checkpoint
        settings) and the training data; a later fit with the same folder,
        parameters and data resumes from it instead of starting over, with
        the same result as an uninterrupted fit on CPU. Resuming needs an
        integer ``random_state``: with ``None`` each fit draws new seeds and
        starts afresh.

    checkpoint_every : int, default=10
        Epochs between checkpoints.

    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input. Without it, flat rows
        of a square number of features are square grayscale images and other
        rows are tabular data.

    device : {"auto", "cpu", "cuda"}, default="auto"
        Where to train. ``"auto"`` uses CUDA when available. Mixed precision
        (bfloat16) is used on CUDA only.

    random_state : int, RandomState instance or None, default=None
        Seeds the networks' weights, the batches, the noise and the
        augmentation. The same integer gives bit-identical output on CPU.

    verbose : int, default=0
        0 is silent; 1 or more shows a progress bar over epochs with the
        latest losses.
"""

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


class DCGANSampler(BaseGANSampler):
    __doc__ = f"""Oversample minority classes with a class-conditional DCGAN.

    One generator learns every class, with the label as an extra input, so
    that a minority class of a few dozen images borrows the structure the
    generator learns from the majority; the discriminator judges each image
    against its label through a projection head. The networks adapt to the
    image size (8x8 to 224x224, one or more channels); images smaller than
    8 pixels a side and tabular rows get small multilayer perceptrons.

    The defaults are the DCGAN study's settings (Adam 2e-4, beta1 0.5, batch
    normalisation, binary cross-entropy), with class-balanced batches; the
    hinge loss, spectral normalisation and differentiable augmentation are
    options (``loss="hinge", spectral_norm=True, augment=True``), which gave
    worse samples in our validation measurements (see the benchmarks).

    Read more in the :ref:`User Guide <gan_samplers>`.

    Parameters
    ----------
{GAN_PARAMETERS}
    Attributes
    ----------
{GAN_ATTRIBUTES}
    See Also
    --------
    InfoGANSampler : the same engine with latent codes that steer the images.
    SuperpixelSampler : augment real images instead of generating new ones.

    Notes
    -----
    A fit that fails or is interrupted leaves the sampler unfitted. The
    fitted networks rest on the CPU, so a sampler fitted on a GPU pickles
    and samples on a machine without one.

    References
    ----------
    .. [1] A. Radford, L. Metz and S. Chintala, "Unsupervised representation
       learning with deep convolutional generative adversarial networks",
       ICLR 2016.
    .. [2] T. Miyato and M. Koyama, "cGANs with projection discriminator",
       ICLR 2018.
    .. [3] S. Zhao et al., "Differentiable augmentation for data-efficient GAN
       training", NeurIPS 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import DCGANSampler
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> X, y = X.reshape(-1, 8, 8)[:120], y[:120]
    >>> keep = (y == 0) | (np.arange(len(y)) < 70)
    >>> X, y = X[keep], y[keep]
    >>> sampler = DCGANSampler(n_epochs=2, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y_res) == np.bincount(y).max()
    array([ True,  True])
    >>> sampler.sample(3, y=1).shape
    (3, 8, 8)
    """
