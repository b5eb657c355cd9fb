"""DCGANSampler: oversample with a class-conditional DCGAN."""

from ._gan.base import BaseGANSampler
from ._gan.docs import GAN_ATTRIBUTES, GAN_PARAMETERS


class DCGANSampler(BaseGANSampler):
    __doc__ = f"""Oversample minority classes with a class-conditional DCGAN.

    One generator learns every class, with the label as an extra input, so
    that a minority class of a few dozen images borrows the structure the
    generator learns from the majority; the discriminator judges each image
    against its label through a projection head. The networks adapt to the
    image size (8x8 to 256x256, one or more channels); images smaller than
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
