"""DCGANSampler: oversample with a class-conditional DCGAN."""

from .._docstrings import fill_doc
from .._filtering import FILTER_TEXT
from ..base import BaseImageSampler
from ._gan.docs import GAN_TEXT
from ._gan.generator import GAN_CONSTRAINTS, ConditionalGAN, GANSettings
from ._mixins import SampleMixin


@fill_doc(GAN_TEXT, FILTER_TEXT)
class DCGANSampler(SampleMixin, BaseImageSampler):
    """Oversample minority classes with a class-conditional DCGAN.

    One generator learns every class, with the label as an extra input, so
    that a minority class of a few dozen images borrows the structure the
    generator learns from the majority; the discriminator judges each image
    against its label through a projection head. The networks adapt to the
    image size (8x8 to 256x256, one or more channels); images smaller than
    8 pixels a side and tabular rows get small multilayer perceptrons.

    The defaults are the DCGAN study's settings (Adam 2e-4, beta1 0.5, batch
    normalisation, binary cross-entropy), with class-balanced batches; the
    hinge loss, spectral normalisation and differentiable augmentation are
    options (``adversarial_loss="hinge", spectral_norm=True,
    diff_augment=True``), which gave worse samples in our validation
    measurements (see the benchmarks).

    Read more in the :ref:`User Guide <gan_samplers>`.

    Parameters
    ----------
    {sampling_strategy, latent_dim, n_epochs, batch_size, learning_rate}

    {discriminator_learning_rate, beta1, adversarial_loss, spectral_norm}

    {diff_augment}

    {balance_classes, n_filters, checkpoint_dir, checkpoint_every, image_shape}

    {filter_threshold, filter_classifier, device, random_state, verbose}

    Attributes
    ----------
    {sampling_strategy_, classes_, generator_, discriminator_, history_}

    {n_iter_, device_, n_features_in_, filter_rejection_rate_, filter_classifier_}

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

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        **GAN_CONSTRAINTS,
    }
    # A generator cannot learn a class from one or two images; refuse them.
    _min_class_size = 3

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
        adversarial_loss="bce",
        spectral_norm=False,
        diff_augment=False,
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
        self.adversarial_loss = adversarial_loss
        self.spectral_norm = spectral_norm
        self.diff_augment = diff_augment
        self.balance_classes = balance_classes
        self.n_filters = n_filters
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.device = device
        self.verbose = verbose

    def _make_generator(self):
        return ConditionalGAN(GANSettings.of(self))
