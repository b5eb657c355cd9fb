"""FeatureGANSampler: a conditional GAN in a CNN's feature space."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from .._filtering import FILTER_TEXT
from .._images import ImageLayout
from .._torch import torch_seed
from .._training import Budget
from ..base import BaseImageSampler
from ._features.docs import FEATURE_TEXT
from ._features.generator import FEATURE_CONSTRAINTS, FeatureSpaceGenerator
from ._features.space import anchor_batch, pick_anchors
from ._gan.docs import GAN_TEXT
from ._gan.generator import GAN_CONSTRAINTS, Checkpoints, ConditionalGAN, GANSettings
from ._gan.steps import FeatureGANStep
from ._mixins import FeatureSpaceMixin, SampleMixin

# n_epochs="auto": 100 epochs (2,000 steps of 64 on 1,300 images, where the
# defaults were tuned), and never fewer than 2,000 steps.
FEATURE_GAN_BUDGET = Budget(min_epochs=100, min_steps=2000)
# Real images kept per class for residual decoding (drawn at random when a
# class has more), which bounds the memory of a fitted sampler.
MAX_ANCHORS = 1000


@fill_doc(GAN_TEXT, FEATURE_TEXT, FILTER_TEXT)
class FeatureGANSampler(SampleMixin, FeatureSpaceMixin, BaseImageSampler):
    """Oversample minority classes with a GAN in a CNN's feature space.

    Training has two stages. First a feature space: a small convolutional
    encoder (the ``"light"`` network of :class:`CNNClassifier`) learns to
    classify the images and, through a decoder, to reconstruct them, and a
    linear classifier is fitted on its features. Second, a class-conditional
    GAN of small perceptrons learns to generate features, pulled by that
    classifier so that generated features carry their class. New images
    come from the generated features through the decoder, by default as a
    real image of the class plus the change the decoder sees
    (``decoding="residual"``). After the study that raised 6-class CheXpert
    accuracy from 56.8% to 61.7% with a GAN on a CNN's features.

    With ``extractor``, a :class:`CNNClassifier` of the user's (used as it
    is when fitted, else a copy fitted on the training images), its
    penultimate layer is the feature space. Images under 8 pixels a side and
    tabular rows have no encoder: the GAN works on the values themselves.

    Read more in the :ref:`User Guide <feature_gan>`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        How many samples each class should have after resampling, exactly
        as in imbalanced-learn. It does not change the training.

    {extractor, decoding, encoder_epochs, encoder_learning_rate}

    {reconstruction_weight}

    latent_dim : int, default=32
        Size of the generator's noise vector.

    n_epochs : int or "auto", default="auto"
        Epochs of the GAN; an epoch is ``ceil(n_samples / batch_size)``
        steps. ``"auto"`` trains 100 epochs, or as many as make 2,000 steps
        when 100 make fewer.

    batch_size : int, default=64
        Samples per step, in both stages.

    learning_rate : float, default=1e-3
        Adam learning rate of the generator (the study's).

    discriminator_learning_rate : float or None, default=1e-4
        Adam learning rate of the discriminator (the study's); ``None`` uses
        ``learning_rate``.

    classifier_learning_rate : float, default=1e-6
        Adam learning rate of the feature classifier during the GAN stage
        (the study's); 0 freezes it.

    classifier_weight : float, default=1.0
        Weight of the feature classifier's loss in the generator's loss.

    classifier_fake_every : int, default=2
        The feature classifier learns from generated features every this
        many steps.

    classifier_real_every : int, default=5
        The feature classifier learns from real features every this many
        steps.

    {beta1, adversarial_loss, spectral_norm, balance_classes}

    n_filters : int, default=16
        Width of the networks: channels of the decoder's last convolution
        (doubling at each coarser level up to ``8 * n_filters``) and a
        hidden width of ``4 * n_filters`` in the GAN's perceptrons, as in
        DCGANSampler.

    checkpoint_dir : str, path or None, default=None
        Folder for checkpoints: one after the first stage and one every
        ``checkpoint_every`` GAN epochs. The first stage's file is named
        after the parameters it depends on (``encoder_epochs``,
        ``encoder_learning_rate``, ``reconstruction_weight``, ``batch_size``,
        ``n_filters``, ``image_shape``), the GAN's after all parameters but
        ``n_epochs``, ``sampling_strategy``, ``decoding``, the filter's,
        ``verbose``, ``device`` and the checkpoint settings (``random_state``
        as the seeds it draws); both also after the extractor's weights and
        the data. A later fit with the same
        folder, parameters and data resumes from them, with the same result
        as an uninterrupted fit on CPU. Resuming needs an integer
        ``random_state``: with ``None`` each fit draws new seeds and starts
        afresh.

    {checkpoint_every, image_shape, filter_threshold, filter_classifier}

    {device, random_state}

    verbose : int, default=0
        0 is silent; 1 or more shows a progress bar over the epochs of each
        stage, with the latest losses.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of new samples made for each class.

    classes_ : ndarray of shape (n_classes,)
        The labels the generator knows.

    {encoder_, decoder_, encoder_history_, n_features_out_, extractor_}

    classifier_ : torch.nn.Module
        The feature classifier.

    generator_ : torch.nn.Module
        Maps ``latent_dim`` noise values and a one-hot label to features
        scaled to [-1, 1] per feature (the sampler maps them back).

    discriminator_ : torch.nn.Module
        The feature discriminator.

    history_ : list of dict
        One entry per GAN epoch: ``epoch``, ``d_loss``, ``g_loss`` (the
        adversarial part), ``classifier_loss`` (the feature classifier's loss
        on generated features) and ``duration`` in seconds.

    n_iter_ : int
        GAN epochs trained.

    device_ : torch.device
        The device used for training.

    n_features_in_ : int
        Values per input sample.

    {filter_rejection_rate_, filter_classifier_}

    See Also
    --------
    DCGANSampler : a GAN on the pixels.
    SuperpixelSampler : augment real images instead of generating new ones.

    Notes
    -----
    A fit that fails or is interrupted leaves the sampler unfitted; the
    fitted networks rest on the CPU.

    References
    ----------
    .. [1] A. Odena, C. Olah and J. Shlens, "Conditional image synthesis with
       auxiliary classifier GANs", ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import FeatureGANSampler
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> X, y = X.reshape(-1, 8, 8), y
    >>> keep = (y == 0) | (np.arange(len(y)) < 60)
    >>> X, y = X[keep], y[keep]
    >>> sampler = FeatureGANSampler(encoder_epochs=2, n_epochs=2, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y_res) == np.bincount(y).max()
    array([ True,  True])
    >>> sampler.sample(3, y=1).shape
    (3, 8, 8)
    """

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        **{k: v for k, v in GAN_CONSTRAINTS.items() if k != "diff_augment"},
        **FEATURE_CONSTRAINTS,
        "classifier_learning_rate": [Interval(Real, 0, None, closed="left")],
        "classifier_weight": [Interval(Real, 0, None, closed="left")],
        "classifier_fake_every": [Interval(Integral, 1, None, closed="left")],
        "classifier_real_every": [Interval(Integral, 1, None, closed="left")],
    }
    # A generator cannot learn a class from one or two images; refuse them.
    _min_class_size = 3

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        extractor=None,
        decoding="residual",
        encoder_epochs="auto",
        encoder_learning_rate=1e-3,
        reconstruction_weight=1.0,
        latent_dim=32,
        n_epochs="auto",
        batch_size=64,
        learning_rate=1e-3,
        discriminator_learning_rate=1e-4,
        classifier_learning_rate=1e-6,
        classifier_weight=1.0,
        classifier_fake_every=2,
        classifier_real_every=5,
        beta1=0.5,
        adversarial_loss="bce",
        spectral_norm=False,
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
        self.sampling_strategy = sampling_strategy
        self.extractor = extractor
        self.decoding = decoding
        self.encoder_epochs = encoder_epochs
        self.encoder_learning_rate = encoder_learning_rate
        self.reconstruction_weight = reconstruction_weight
        self.latent_dim = latent_dim
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.discriminator_learning_rate = discriminator_learning_rate
        self.classifier_learning_rate = classifier_learning_rate
        self.classifier_weight = classifier_weight
        self.classifier_fake_every = classifier_fake_every
        self.classifier_real_every = classifier_real_every
        self.beta1 = beta1
        self.adversarial_loss = adversarial_loss
        self.spectral_norm = spectral_norm
        self.balance_classes = balance_classes
        self.n_filters = n_filters
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.image_shape = image_shape
        self.filter_threshold = filter_threshold
        self.filter_classifier = filter_classifier
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def _make_generator(self):
        advice = (
            f"lower learning_rate (now {self.learning_rate}), "
            f"classifier_learning_rate (now {self.classifier_learning_rate}) or "
            f"classifier_weight (now {self.classifier_weight})"
        )
        # The key holds the extractor by a fingerprint of its weights, and
        # decoding acts only after training.
        checkpoint = Checkpoints(self, ignore={"extractor", "decoding"})
        settings = GANSettings.of(self, FEATURE_GAN_BUDGET, advice, checkpoint)
        inner = FeatureGAN(
            settings,
            classifier_learning_rate=self.classifier_learning_rate,
            classifier_weight=self.classifier_weight,
            every=(self.classifier_fake_every, self.classifier_real_every),
        )
        return FeatureSpaceGenerator.of(self, inner, checkpoint)


class FeatureGAN(ConditionalGAN):
    """A conditional GAN of features, pulled by the feature classifier, and
    real images per class for residual decoding."""

    def __init__(self, settings, *, classifier_learning_rate, classifier_weight, every):
        super().__init__(settings, FeatureGANStep)
        self.classifier_learning_rate = classifier_learning_rate
        self.classifier_weight = classifier_weight
        self.every = every

    def make_optimizers(self, networks):
        optimizers = super().make_optimizers(
            {k: v for k, v in networks.items() if k != "classifier"}
        )
        optimizers["classifier"] = torch.optim.Adam(
            networks["classifier"].parameters(), lr=self.classifier_learning_rate
        )
        return optimizers

    def step_options(self, scale):
        return {
            "scale": scale,
            "classifier_weight": self.classifier_weight,
            "classifier_fake_every": self.every[0],
            "classifier_real_every": self.every[1],
        }

    def learn(self, space, features, training, device, space_seeds):
        rng, layout = training.rng, training.layout
        gan_seeds = [torch_seed(rng) for _ in range(4)]
        anchor_rng = np.random.RandomState(torch_seed(rng))
        self.anchors, self.layout = {}, layout
        if space.decoder is not None:
            # Real images for residual decoding (none needed without decoder).
            self.anchors = pick_anchors(
                training.images,
                training.targets,
                len(training.classes),
                layout,
                anchor_rng,
                MAX_ANCHORS,
            )
        checkpoint = self.settings.checkpoint.path(
            "gan", space_seeds + gan_seeds, training.images, training.targets
        )
        self.train(
            features.view(len(features), 1, 1, -1),
            ImageLayout(2, 1, features.shape[1], 1, np.dtype("float32")),
            training.targets,
            training.classes,
            device,
            gan_seeds,
            checkpoint,
            extra={"classifier": space.classifier},
        )
        space.classifier = self.networks["classifier"]

    def new_features(self, class_index, rng, real=None):
        features = self.draw(class_index, rng).flatten(1)
        return features, lambda: anchor_batch(
            self.anchors, class_index, self.layout, rng
        )
