"""M2mSampler: new minority images translated from majority images."""

from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from .._filtering import FILTER_TEXT, fit_judge
from .._generator import Generator
from .._torch import (
    DEVICE_CONSTRAINTS,
    INFERENCE_CHUNK,
    make_generator,
    padded,
    resolve_device,
    torch_seed,
    usable_device,
)
from .._validation import NetworkClassifier, plain
from .._warnings import warn
from ..base import BaseImageSampler
from ._features.generator import extractor_network
from ._m2m_tally import Tally, few_translations, few_translations_message
from ._mixins import SampleMixin

# The L2 radius of the random start, as a share of the images' range of
# values: the paper's 0.5 for images in [0, 1].
RANDOM_START = 0.5


@fill_doc(FILTER_TEXT)
class M2mSampler(SampleMixin, BaseImageSampler):
    """Oversample by translating images of larger classes into a smaller one.

    Major-to-minor translation (M2m) [1]_: each new image of a class starts
    from a real image of a larger class (the *source image*). A classifier
    fitted on the real, imbalanced images then changes it by ``n_steps``
    gradient steps on its pixels, towards the class wanted and, with weight
    ``source_logit_weight``, away from the source image's class. The image
    is kept when the classifier gives it at least ``acceptance_threshold``
    for the class wanted; otherwise a real image of that class is repeated
    in its place, so every class still gets its count (``fit_resample``
    warns when most of a class's new images are such copies). The new
    images keep the variety of the source images (pose, contrast, anatomy,
    noise) and carry the small changes that the classifier reads as the
    smaller class, which few real images cannot show on their own.

    Read more in the :ref:`User Guide <m2m_sampler>`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images each class should have after resampling, exactly as
        in imbalanced-learn.

    classifier : CNNClassifier, FrozenEstimator or None, default=None
        The classifier that translates: a :class:`CNNClassifier` (or a
        FrozenEstimator or search of one), because the translation follows
        its network's gradients. An unfitted one is cloned and the clone
        fitted on the real training images at each ``fit`` (your object
        stays unfitted; one whose ``image_shape`` is None reads flat rows
        with the sampler's ``image_shape``); a fitted one is used as it is,
        and must have been fitted on the classes of ``y`` and on images of
        their shape. ``None`` uses ``CNNClassifier()``, seeded from
        ``random_state``. Grid search and cross-validation clone the
        sampler, which unfits a fitted classifier: wrap it in
        :class:`sklearn.frozen.FrozenEstimator` to keep it fitted (fitted on
        data that later serves as a test fold, it leaks that fold).

    n_steps : int, default=10
        Gradient steps of each translation (the paper's 10).

    step_size : float, default=0.1
        Length of each step in the L2 norm of the whole image, as a share of
        the images' range of values (the paper's 0.1, for images in [0, 1]).
        Each step follows the normalised gradient, and the image stays
        within the training images' range.

    source_logit_weight : float, default=0.5
        Weight of the source image's class's logit in the objective, which
        pushes the image out of its class rather than only towards the new
        one (the paper's lambda, 0.5).

    acceptance_threshold : float in (0, 1), default=0.9
        The classifier's probability of the class wanted that a translated
        image needs to be kept (the paper's 0.9).

    source_beta : float in [0, 1), default=0.999
        How source images are drawn. A class ``d`` images larger than the
        class wanted gives source images with weight ``1 - source_beta ** d``
        per image, and its translations are also kept with that probability
        (the paper's beta, 0.999): classes barely larger give few source
        images, a much larger one its share. Classes no larger give none; a
        class with no larger one gets repeated real images only.

    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input.

    {filter_threshold, filter_classifier}

    device : {"auto", "cpu", "cuda", "cuda:N"} or torch.device, default="auto"
        Where the translation runs; ``"auto"`` picks CUDA when available.

    random_state : int, RandomState instance or None, default=None
        Seeds the default classifier, the draws of source images, the random
        starts and the repeated images. The same integer gives bit-identical
        output on CPU.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of new images made for each class.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    classifier_ : CNNClassifier
        The fitted classifier that translated: the fitted copy, or
        ``classifier`` itself when it came fitted.

    acceptance_rate_ : dict
        For each class that got new images, the share of the images drawn
        that are translations; the rest are repeated real images. With
        ``filter_threshold``, over every image drawn, kept or not.

    device_ : torch.device
        The device the translation ran on.

    n_features_in_ : int
        Pixel values per image.

    {filter_rejection_rate_, filter_classifier_}

    See Also
    --------
    VarianceTransferSampler : majority variation added in a feature space.
    imblearn.over_sampling.RandomOverSampler : repeats real images only.

    Notes
    -----
    Departures from the paper, which translates while training the final
    classifier: here the translation happens once, before it, with one
    classifier, so the term weighted by ``source_logit_weight`` is that
    classifier's logit of the source image's class (the paper takes it from
    the network in training), and each class's source images are drawn from
    all larger classes' images rather than from a minibatch.

    :meth:`fit` fits the classifier (unless it came fitted) and keeps the
    training images, which the source images are drawn from (a reference to
    the fit's float32 copy), so :meth:`sample` translates new images without
    refitting.
    :meth:`fit_resample` is :meth:`fit` followed by one draw per class to
    oversample, from the same random state; ``acceptance_rate_`` and the
    warning below are about that draw. A fit that fails or is interrupted
    leaves the sampler unfitted.

    When fewer than half of a class's new images are translations,
    ``fit_resample`` warns with how many are copies of real images, how
    many source images the source rule let through and how many translations
    reached ``acceptance_threshold``, and the settings that raise whichever fell
    short. The paper's defaults, made for 32x32 color images and classes
    thousands of images apart, translate few images of small classes and
    small images: 11% and 5% of the new images on part A's X-rays with 25
    pneumonia images (seeds 0 and 1), under 1% on 8x8 digits. There
    ``step_size=0.5`` with ``source_beta=0`` translated 99%, and 43% to 100%
    (``python benchmarks/bench_m2m_acceptance.py --seeds 0 1``).

    References
    ----------
    .. [1] J. Kim, J. Jeong and J. Shin, "M2m: Imbalanced classification via
       major-to-minor translation", CVPR 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import CNNClassifier, M2mSampler
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> X = X.reshape(-1, 8, 8)
    >>> keep = (y == 0) | (np.arange(len(y)) < 60)
    >>> X, y = X[keep], y[keep]
    >>> # A short classifier keeps the example quick. At the paper's step and
    >>> # source rule an 8x8 digit is not translated (every new image would be
    >>> # a copy, and a warning would say so): longer steps, every source.
    >>> sampler = M2mSampler(
    ...     classifier=CNNClassifier(n_epochs=10, random_state=0),
    ...     step_size=0.5,
    ...     source_beta=0.0,
    ...     random_state=0,
    ... )
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y_res) == np.bincount(y).max()
    array([ True,  True])
    >>> bool(sampler.acceptance_rate_[1] > 0.5)
    True
    """

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        "classifier": [NetworkClassifier(), None],
        "n_steps": [Interval(Integral, 0, None, closed="left")],
        "step_size": [Interval(Real, 0, None, closed="left")],
        "source_logit_weight": [Interval(Real, 0, None, closed="left")],
        "acceptance_threshold": [Interval(Real, 0, 1, closed="neither")],
        "source_beta": [Interval(Real, 0, 1, closed="left")],
        "device": DEVICE_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        classifier=None,
        n_steps=10,
        step_size=0.1,
        source_logit_weight=0.5,
        acceptance_threshold=0.9,
        source_beta=0.999,
        image_shape=None,
        filter_threshold=None,
        filter_classifier=None,
        device="auto",
        random_state=None,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            image_shape=image_shape,
            filter_threshold=filter_threshold,
            filter_classifier=filter_classifier,
        )
        self.classifier = classifier
        self.n_steps = n_steps
        self.step_size = step_size
        self.source_logit_weight = source_logit_weight
        self.acceptance_threshold = acceptance_threshold
        self.source_beta = source_beta
        self.device = device

    def _make_generator(self):
        return Translation(self)

    def _fit_resample(self, X, y):
        X_res, y_res = super()._fit_resample(X, y)
        self.acceptance_rate_ = dict(self._generator.acceptance)
        few = few_translations(self._generator.tally)
        if few:
            warn(few_translations_message(self, few))
        return X_res, y_res


@dataclass
class FittedM2m:
    """M2mSampler's own fitted attributes."""

    classes_: np.ndarray
    classifier_: Any
    device_: Any


class Translation(Generator):
    """Images of larger classes moved by a classifier's gradients into the
    class wanted; a repeated real image where the move falls short."""

    def __init__(self, sampler):
        self.sampler = sampler
        # What became of the images drawn, per label, over every draw.
        self.tally = {}

    def fit(self, training):
        sampler = self.sampler
        # Used as it is when fitted (on y's classes), else a fitted copy.
        judge = fit_judge(
            sampler,
            sampler.classifier,
            training.X,
            training.labels,
            training.rng,
            "classifier",
        )
        self.module = extractor_network(
            judge, training.layout.image_shape, "classifier"
        )
        known = list(judge.classes_)
        # The network's output column of each class of the training data.
        self.columns = torch.tensor([known.index(c) for c in training.classes])
        self.images, self.targets = training.images, training.targets
        self.counts = np.bincount(training.targets, minlength=len(training.classes))
        self.low = float(training.images.min())
        self.high = float(training.images.max())
        self.device = resolve_device(sampler.device)
        self.fitted = FittedM2m(training.classes, judge, self.device)

    def draw(self, class_index, rng, real=None):
        made = torch.empty((len(class_index), *self.images.shape[1:]))
        for index in np.unique(class_index):
            rows = torch.from_numpy(np.flatnonzero(class_index == index))
            own = real if real is not None else self.images[self.targets == index]
            label = plain(self.fitted.classes_[index])
            tally = self.tally.setdefault(label, Tally())
            made[rows] = self._class(int(index), len(rows), own, rng, tally)
        return made

    @property
    def acceptance(self):
        """The share of translations among the images drawn, per label."""
        return {label: t.kept / t.drawn for label, t in self.tally.items()}

    def _class(self, index, n_samples, own, rng, tally):
        """``n_samples`` images of class ``index``, counted in ``tally``."""
        s = self.sampler
        tally.drawn += n_samples
        # The weight of a source image of each class: 1 - beta ** (how much
        # larger).
        larger = np.clip(self.counts - self.counts[index], 0, None)
        weight = 1.0 - s.source_beta ** larger.astype(np.float64)
        per_image = weight[self.targets]
        repeats = own[torch.from_numpy(rng.randint(len(own), size=n_samples))]
        if per_image.sum() == 0:  # no larger class: nothing to translate from
            tally.has_sources = False
            return repeats
        sources = rng.choice(
            len(per_image), size=n_samples, p=per_image / per_image.sum()
        )
        lucky = rng.uniform(size=n_samples) < weight[self.targets[sources]]
        start = self._random_start(self.images[torch.from_numpy(sources)], rng)
        target = torch.full((n_samples,), int(self.columns[index]))
        source_columns = self.columns[torch.from_numpy(self.targets[sources])]
        moved, proba = self._translate(start, target, source_columns)
        passed = proba >= s.acceptance_threshold
        kept = torch.from_numpy(lucky) & passed
        tally.lucky += int(lucky.sum())
        tally.passed += int(passed.sum())
        tally.kept += int(kept.sum())
        return torch.where(kept.view(-1, 1, 1, 1), moved, repeats)

    def _random_start(self, sources, rng):
        """``sources`` moved by Gaussian noise of a fixed L2 norm, in range."""
        noise = torch.randn(sources.shape, generator=make_generator(torch_seed(rng)))
        size = RANDOM_START * (self.high - self.low)
        noise *= size / norms(noise).clamp_min(1e-12)
        return (sources + noise).clamp(self.low, self.high)

    def _translate(self, images, target, source_columns):
        """The images after the gradient steps, and the probability the
        network gives each of its target column."""
        s, module = self.sampler, self.module
        device = usable_device(self.device)
        step = s.step_size * (self.high - self.low)
        moved, proba = torch.empty_like(images), torch.empty(len(images))
        try:
            module.to(device).eval()
            # In chunks of one fixed size, padded as every inference is, so
            # that an image's translation does not depend on how many are
            # made with it.
            for start in range(0, len(images), INFERENCE_CHUNK):
                rows = slice(start, min(start + INFERENCE_CHUNK, len(images)))
                x = padded(images[rows]).to(device)
                wanted = padded(target[rows]).to(device)
                source = padded(source_columns[rows]).to(device)
                for _ in range(s.n_steps):
                    x.requires_grad_(True)
                    logits = module(x)
                    # Summed, so that each image's gradient is its own.
                    loss = F.cross_entropy(logits, wanted, reduction="sum")
                    source_logit = logits.gather(1, source[:, None]).sum()
                    loss = loss + s.source_logit_weight * source_logit
                    (grad,) = torch.autograd.grad(loss, x)
                    x = x.detach() - step * grad / norms(grad).clamp_min(1e-12)
                    x = x.clamp(self.low, self.high)
                with torch.no_grad():
                    logits = module(x).double()
                    chosen = torch.softmax(logits, 1).gather(1, wanted[:, None])
                n = rows.stop - rows.start
                moved[rows] = x[:n].float().cpu()
                proba[rows] = chosen[:n, 0].float().cpu()
        finally:
            module.cpu()
        return moved, proba

    def attributes(self):
        return [self.fitted]


def norms(batch):
    """The L2 norm of each item of ``batch``, shaped to broadcast over it."""
    return batch.flatten(1).norm(dim=1).view(-1, *[1] * (batch.dim() - 1))
