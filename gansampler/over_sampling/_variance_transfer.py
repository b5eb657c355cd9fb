"""VarianceTransferSampler: a larger class's variation on minority images."""

from dataclasses import dataclass
from numbers import Real
from typing import Any

import numpy as np
import torch
from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from .._filtering import FILTER_TEXT
from ..base import BaseImageSampler
from ._docs import NETWORK_TEXT
from ._features.docs import FEATURE_TEXT
from ._features.generator import SPACE_ONLY_CONSTRAINTS, FeatureSpaceGenerator
from ._features.space import StartImages
from ._mixins import FeatureSpaceMixin, SampleMixin


@fill_doc(NETWORK_TEXT, FEATURE_TEXT, FILTER_TEXT)
class VarianceTransferSampler(SampleMixin, FeatureSpaceMixin, BaseImageSampler):
    """Oversample by adding a larger class's variation to minority images.

    A few images of a class show little of the variety (pose, contrast,
    noise, anatomy) that its members can have; a larger class shows much
    more, and most of it is not what sets the classes apart. This sampler
    learns the feature space of :class:`FeatureSMOTESampler` (an encoder
    trained to classify and, through a decoder, to reconstruct). Each new
    image of a class starts from a random real image of it; its features get
    a random image's deviation from its class centre, drawn from the classes
    larger than the one made, times ``transfer_scale``; the decoder turns
    the change into a change of the real image (``decoding="residual"``).
    The closest published methods are feature hallucination (Hariharan and
    Girshick [1]_), whose analogies this completes linearly, and RSG (Wang
    et al. [2]_): they too carry the variation of classes with many images
    over to classes with few. The Notes say how it differs from each.

    Images under 8 pixels a side and tabular rows have no encoder: the
    deviations are then added to the values themselves, and the results
    kept within the training values' range.

    Read more in the :ref:`User Guide <variance_transfer>`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images each class should have after resampling, exactly as
        in imbalanced-learn.

    transfer_scale : float, default=1.0
        The factor of the borrowed deviation: 1 adds a larger class's
        variation as it is, 0 repeats real images (decoded back), above 1
        exaggerates it.

    {extractor, decoding, encoder_epochs, encoder_learning_rate, reconstruction_weight}

    batch_size : int, default=64
        Images per step of the first stage.

    n_filters : int, default=16
        Width of the decoder: channels of its last convolution, doubling at
        each coarser level up to ``8 * n_filters``.

    {image_shape, filter_threshold, filter_classifier, device}

    random_state : int, RandomState instance or None, default=None
        Seeds the networks' weights, the batches, and the images and
        deviations drawn. The same integer gives bit-identical output on CPU.

    verbose : int, default=0
        0 is silent; 1 or more shows a progress bar over the first stage's
        epochs, with the latest losses.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of new images made for each class.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    {encoder_, decoder_, encoder_history_, n_features_out_, extractor_}

    classifier_ : torch.nn.Module
        A linear classifier of the features, fitted on the real images.

    centers_ : ndarray of shape (n_classes, n_features)
        Each class's mean features (``n_features_out_`` of them).

    donors_ : dict
        For each class, the labels whose deviations it borrows: the classes
        larger than it, or itself when there is none.

    device_ : torch.device
        The device used for training.

    n_features_in_ : int
        Values per input sample.

    {filter_rejection_rate_, filter_classifier_}

    See Also
    --------
    FeatureSMOTESampler : interpolation between a class's own images, in
        the same feature space.
    M2mSampler : larger classes' images translated in pixels.

    Notes
    -----
    How it differs from the methods it is closest to:

    - Feature hallucination [1]_ completes an analogy learned between the
      base classes: a multilayer perceptron, trained on pairs of k-means
      centroids of two base classes whose differences point the same way,
      maps a novel class's example ``x`` and two centroids ``a``, ``b`` of a
      base class to a new example, ``x`` moved as ``a`` is to ``b``. This
      sampler completes that analogy linearly, ``x + (b - a)``, with a donor
      class's mean for ``a`` and one of its images for ``b``: there is no
      generator to learn, and no base classes apart from those resampled.
    - RSG [2]_ is a module inside a CNN, at work from a set epoch of its
      training on: a frequent class's feature map minus the nearest of
      several learned centres of its class goes through a learned
      convolution and is added to a rare class's feature map, with a loss
      that keeps its length and turns it along the rare sample's own
      deviation. Here there is one centre per class, the mean, no
      transformation and no loss of its own; the encoder is trained before
      the classifier and apart from it, and the new features are decoded
      into images that any classifier can be given.
    - Feature transfer (Yin et al. [3]_) adds a regular class's deviation,
      projected on its leading principal directions, to an
      under-represented class's centre, where this sampler adds the whole
      deviation to a real image. Feature space augmentation (Chu et al.
      [4]_) joins a rare image's class-specific features, split off with
      class activation maps, to a frequent image's class-generic ones; this
      sampler splits nothing.

    It relies on the encoder's training to keep class identity in the
    directions that the deviations of one class share little of.

    :meth:`fit` learns what the sampler draws from: the feature space, each
    class's features, centre and the deviations it borrows. It also keeps
    the training images that residual decoding starts from (a reference to
    the fit's float32 copy, not another; none without a decoder).
    :meth:`sample`, :meth:`sample_features` and :meth:`encode` work after
    it. :meth:`fit_resample` is :meth:`fit` followed by one draw per class
    to oversample, from the same random state (see
    :class:`FeatureSMOTESampler`). A fit that fails or is interrupted leaves
    the sampler unfitted; the fitted networks rest on the CPU.

    References
    ----------
    .. [1] B. Hariharan and R. Girshick, "Low-shot visual recognition by
       shrinking and hallucinating features", ICCV 2017.
    .. [2] J. Wang, T. Lukasiewicz, X. Hu, J. Cai and Z. Xu, "RSG: A simple
       but effective module for learning imbalanced datasets", CVPR 2021.
    .. [3] X. Yin, X. Yu, K. Sohn, X. Liu and M. Chandraker, "Feature
       transfer learning for face recognition with under-represented data",
       CVPR 2019.
    .. [4] P. Chu, X. Bian, S. Liu and H. Ling, "Feature space augmentation
       for long-tailed data", ECCV 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import VarianceTransferSampler
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> X = X.reshape(-1, 8, 8)
    >>> keep = (y == 0) | (np.arange(len(y)) < 60)
    >>> X, y = X[keep], y[keep]
    >>> sampler = VarianceTransferSampler(encoder_epochs=2, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y_res) == np.bincount(y).max()
    array([ True,  True])
    >>> sampler.sample(3, y=1, random_state=0).shape
    (3, 8, 8)
    """

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        "transfer_scale": [Interval(Real, 0, None, closed="left")],
        **SPACE_ONLY_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        transfer_scale=1.0,
        extractor=None,
        decoding="residual",
        encoder_epochs="auto",
        encoder_learning_rate=1e-3,
        reconstruction_weight=1.0,
        batch_size=64,
        n_filters=16,
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
        self.transfer_scale = transfer_scale
        self.extractor = extractor
        self.decoding = decoding
        self.encoder_epochs = encoder_epochs
        self.encoder_learning_rate = encoder_learning_rate
        self.reconstruction_weight = reconstruction_weight
        self.batch_size = batch_size
        self.n_filters = n_filters
        self.device = device
        self.verbose = verbose

    def _make_generator(self):
        return FeatureSpaceGenerator.of(self, VarianceTransfer(self.transfer_scale))


@dataclass
class FittedTransfer:
    """VarianceTransferSampler's own fitted attributes."""

    classes_: np.ndarray
    classifier_: Any
    centers_: np.ndarray
    donors_: dict
    device_: Any


class VarianceTransfer:
    """New features: a real image's features plus a larger class's image's
    deviation from its class centre."""

    def __init__(self, scale):
        self.scale = scale

    def learn(self, space, features, training, device, seeds):
        targets = torch.from_numpy(training.targets)
        n_classes = len(training.classes)
        counts = np.bincount(training.targets, minlength=n_classes)
        centers = torch.stack(
            [features[targets == k].mean(0) for k in range(n_classes)]
        )
        deviations = features - centers[targets]
        self.members, self.deviations, donors = {}, {}, {}
        for k in range(n_classes):
            larger = np.flatnonzero(counts > counts[k])
            # The largest class borrows from itself (it is oversampled only
            # when a strategy asks for it).
            chosen = larger if len(larger) else np.array([k])
            donors[training.classes[k]] = training.classes[chosen]
            self.members[k] = features[targets == k]
            self.deviations[k] = deviations[
                torch.from_numpy(np.isin(training.targets, chosen))
            ]
        self.starts = StartImages(space, training)
        self.fitted = FittedTransfer(
            training.classes, space.classifier, centers.numpy(), donors, device
        )
        self.n_features = features.shape[1]

    def new_features(self, class_index, rng, real=None):
        """New features, and the real images they start from (taken from
        the fit, so ``real`` is not needed)."""
        made = torch.empty(len(class_index), self.n_features)
        source = np.empty(len(class_index), dtype=np.int64)
        for index in np.unique(class_index):
            rows = np.flatnonzero(class_index == index)
            own, borrowed = self.members[int(index)], self.deviations[int(index)]
            start = rng.randint(len(own), size=len(rows))
            picks = torch.from_numpy(rng.randint(len(borrowed), size=len(rows)))
            made[torch.from_numpy(rows)] = (
                own[torch.from_numpy(start)] + self.scale * borrowed[picks]
            )
            source[rows] = self.starts.position(int(index), start)
        # Each new image is decoded from the real image it starts at.
        return made, lambda: self.starts.batch(source)

    def attributes(self):
        return [self.fitted]
