"""InfoGANSampler: a class-conditional GAN with latent codes that steer it."""

from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from .._filtering import FILTER_TEXT
from ..base import BaseImageSampler
from ._gan.docs import GAN_TEXT
from ._gan.generator import GAN_CONSTRAINTS, ConditionalGAN, GANSettings
from ._gan.steps import ConditionalGANStep
from ._mixins import SampleMixin

INFO_TEXT = """
    categorical_codes : tuple of int, default=(4,)
        Number of categories of each categorical latent code (each at least
        2); ``()`` for none. The discriminator learns to recover the codes
        from the images, so each code comes to stand for a discrete variation
        within a class that the data shows (a shape, a texture).

    continuous_codes : int, default=2
        Number of continuous latent codes, each uniform on ``[-1, 1]`` in
        training; they come to stand for smooth variations (size, rotation,
        brightness).

    code_weight : float, default=1.0
        Weight of the mutual-information term (the codes' reconstruction
        loss) in both networks' losses.
"""


@fill_doc(GAN_TEXT, INFO_TEXT, FILTER_TEXT)
class InfoGANSampler(SampleMixin, BaseImageSampler):
    """Oversample minority classes with a class-conditional InfoGAN.

    The generator gets, beside noise and the class label, categorical and
    continuous latent codes; an auxiliary head on the discriminator learns
    to recover the codes from the images, and both networks minimise its
    error, which maximises a lower bound on the mutual information between
    codes and images. The codes then stand for variations that the data
    shows, and fixing them in :meth:`sample` steers what is generated. After
    the study that generated malignant skin-lesion images from 10 to 500 real
    ones; here one conditional generator serves all classes, so the few
    minority images borrow structure from the majority. The adversarial
    training engine and its defaults are those of :class:`DCGANSampler`.

    Read more in the :ref:`User Guide <gan_samplers>`.

    Parameters
    ----------
    {sampling_strategy, latent_dim, n_epochs, batch_size, learning_rate}

    {discriminator_learning_rate, beta1, adversarial_loss, spectral_norm}

    {diff_augment}

    {balance_classes, n_filters, checkpoint_dir, checkpoint_every, image_shape}

    {filter_threshold, filter_classifier, device, random_state, verbose}

    {categorical_codes, continuous_codes, code_weight}

    Attributes
    ----------
    {sampling_strategy_, classes_, generator_, discriminator_, history_}

    {n_iter_, device_, n_features_in_, filter_rejection_rate_, filter_classifier_}

    See Also
    --------
    DCGANSampler : the same engine without latent codes.

    References
    ----------
    .. [1] X. Chen et al., "InfoGAN: Interpretable representation learning by
       information maximizing generative adversarial nets", NeurIPS 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import InfoGANSampler
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> X, y = X.reshape(-1, 8, 8)[:120], y[:120]
    >>> sampler = InfoGANSampler(categorical_codes=(3,), n_epochs=2, random_state=0)
    >>> sampler.fit(X, y).sample(4, y=1, categorical=[2]).shape
    (4, 8, 8)
    """

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        **GAN_CONSTRAINTS,
        "categorical_codes": [tuple],
        "continuous_codes": [Interval(Integral, 0, None, closed="left")],
        "code_weight": [Interval(Real, 0, None, closed="left")],
    }

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
        categorical_codes=(4,),
        continuous_codes=2,
        code_weight=1.0,
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
        self.categorical_codes = categorical_codes
        self.continuous_codes = continuous_codes
        self.code_weight = code_weight

    def _validate_params(self):
        super()._validate_params()
        codes = self.categorical_codes
        if not all(
            isinstance(k, Integral) and not isinstance(k, bool) and k >= 2
            for k in codes
        ):
            raise ValueError(
                "categorical_codes must be a tuple of integers >= 2 (categories "
                f"per code), or () for none; got categorical_codes={codes!r}."
            )

    # A generator cannot learn a class from one or two images; refuse them.
    _min_class_size = 3

    def _make_generator(self):
        return InfoGAN(
            GANSettings.of(self),
            self.categorical_codes,
            self.continuous_codes,
            self.code_weight,
        )

    def sample(
        self, n_samples, y, *, categorical=None, continuous=None, random_state=None
    ):
        """Draw ``n_samples`` images of class(es) ``y``, codes fixed or drawn.

        Parameters
        ----------
        n_samples : int
            Number of images.
        y : label or array-like of shape (n_samples,)
            One class label for all images, or one per image.
        categorical : array-like of int or None, default=None
            Values of the categorical codes: shape ``(n_codes,)`` for every
            image, or ``(n_samples, n_codes)``, where ``n_codes =
            len(categorical_codes)`` and code ``j`` takes values in
            ``0 .. categorical_codes[j] - 1``. ``None`` draws them.
        continuous : array-like of float or None, default=None
            Values of the continuous codes: shape ``(continuous_codes,)`` or
            ``(n_samples, continuous_codes)``; training drew them from
            ``[-1, 1]``. ``None`` draws them.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw; ``None`` draws fresh randomness.

        Returns
        -------
        X : ndarray
            The images, in the layout and dtype of the training images.
        """
        self._check_sample_call(n_samples)
        codes = (
            self._check_codes(
                "categorical", categorical, n_samples, len(self.categorical_codes)
            ),
            self._check_codes(
                "continuous", continuous, n_samples, self.continuous_codes
            ),
        )
        return self._sample(n_samples, y, random_state, codes=codes)

    def _check_codes(self, name, value, n_samples, width):
        if value is None:
            return None
        array = np.asarray(value)
        if array.ndim == 1 and array.shape == (width,):
            array = np.broadcast_to(array, (n_samples, width))
        if array.shape != (n_samples, width):
            raise ValueError(
                f"{name} must have shape ({width},) or ({n_samples}, {width}) for "
                f"{width} {name} code(s) and n_samples={n_samples}; got {name} of "
                f"shape {np.shape(value)}."
            )
        if name == "continuous":
            if (
                not np.issubdtype(array.dtype, np.number)
                or not np.isfinite(array).all()
            ):
                raise ValueError(f"continuous must hold finite numbers; got {value!r}.")
            return array.astype(np.float32)
        limits = np.asarray(self.categorical_codes)
        if (
            not np.issubdtype(array.dtype, np.integer)
            or (array < 0).any()
            or (array >= limits).any()
        ):
            raise ValueError(
                "categorical must hold integers with code j in 0 .. "
                f"categorical_codes[j] - 1 (categorical_codes="
                f"{self.categorical_codes!r}); got categorical={value!r}."
            )
        return array.astype(np.int64)


class InfoGAN(ConditionalGAN):
    """The conditional GAN with latent codes: its generator reads them, its
    discriminator's extra head recovers them (:class:`InfoGANStep`)."""

    def __init__(self, settings, categorical_codes, continuous_codes, code_weight):
        step = partial(
            InfoGANStep,
            categorical_codes=categorical_codes,
            continuous_codes=continuous_codes,
            code_weight=code_weight,
        )
        super().__init__(settings, step)
        self.categorical_codes = categorical_codes
        self.continuous_codes = continuous_codes

    def n_code_inputs(self):
        return sum(self.categorical_codes) + self.continuous_codes

    def code_inputs(self, n, codes):
        categorical, continuous = codes if codes is not None else (None, None)
        if categorical is None:
            categories = [torch.randint(k, (n,)) for k in self.categorical_codes]
        else:
            categories = [torch.as_tensor(column) for column in categorical.T]
        if continuous is None:
            continuous = torch.rand(n, self.continuous_codes) * 2 - 1
        else:
            continuous = torch.as_tensor(continuous, dtype=torch.float32)
        return (_code_inputs(categories, continuous, self.categorical_codes),)


class InfoGANStep(ConditionalGANStep):
    """The conditional GAN step, plus InfoGAN's codes and their loss."""

    def __init__(
        self,
        networks,
        optimizers,
        *,
        categorical_codes,
        continuous_codes,
        code_weight,
        **kwargs,
    ):
        super().__init__(networks, optimizers, **kwargs)
        self.categorical_codes = categorical_codes
        self.continuous_codes = continuous_codes
        self.code_weight = code_weight

    def codes(self, n, device):
        categories = [
            torch.randint(k, (n,), device=device) for k in self.categorical_codes
        ]
        continuous = torch.rand(n, self.continuous_codes, device=device) * 2 - 1
        inputs = _code_inputs(categories, continuous, self.categorical_codes)
        return (categories, continuous), inputs

    def code_loss(self, extra, codes):
        if extra is None:  # no codes at all: a plain conditional GAN
            return None
        categories, continuous = codes
        extra = extra.float()
        loss = extra.new_zeros(())
        start = 0
        for c, k in zip(categories, self.categorical_codes, strict=True):
            loss = loss + F.cross_entropy(extra[:, start : start + k], c)
            start += k
        if self.continuous_codes:
            # A unit-variance Gaussian posterior: its negative log-likelihood
            # is half the squared error, up to a constant.
            loss = loss + 0.5 * F.mse_loss(extra[:, start:], continuous)
        return self.code_weight * loss


def _code_inputs(categories, continuous, categorical_codes):
    """The generator's code inputs: one-hot categories, then continuous values."""
    one_hots = [
        F.one_hot(c, k).float()
        for c, k in zip(categories, categorical_codes, strict=True)
    ]
    return torch.cat(one_hots + [continuous], 1)
