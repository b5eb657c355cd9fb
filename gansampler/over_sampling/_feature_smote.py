"""FeatureSMOTESampler: SMOTE in a learned feature space, decoded to images."""

from dataclasses import dataclass
from numbers import Integral
from typing import Any

import numpy as np
import torch
from sklearn.neighbors import NearestNeighbors
from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from .._filtering import FILTER_TEXT
from .._validation import plain
from ..base import BaseImageSampler
from ._docs import NETWORK_TEXT
from ._features.docs import FEATURE_TEXT
from ._features.generator import SPACE_ONLY_CONSTRAINTS, FeatureSpaceGenerator
from ._features.space import StartImages
from ._mixins import FeatureSpaceMixin, SampleMixin


@fill_doc(NETWORK_TEXT, FEATURE_TEXT, FILTER_TEXT)
class FeatureSMOTESampler(SampleMixin, FeatureSpaceMixin, BaseImageSampler):
    """Oversample with SMOTE in a learned feature space.

    A small encoder learns to classify the images and, through a decoder, to
    reconstruct them (the first stage of :class:`FeatureGANSampler`). Each
    new image of a class starts from a random real image of that class: its
    features move a random fraction of the way towards the features of one
    of its ``k_neighbors`` nearest neighbours of the same class, as
    imbalanced-learn's :class:`~imblearn.over_sampling.SMOTE` does with
    pixels, and the decoder turns the move into a change of the real image
    (``decoding="residual"``). Interpolating features rather than pixels
    keeps new images on the data's manifold instead of blending two images;
    after DeepSMOTE [1]_. There is no discriminator, so a fit takes the time
    of the first stage alone (30 to 40 s for 1,314 images of 28x28 on two
    CPU cores; see the benchmarks).

    Images under 8 pixels a side and tabular rows have no encoder: the
    sampler is then SMOTE on the values themselves.

    Read more in the :ref:`User Guide <feature_smote>`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images each class should have after resampling, exactly as
        in imbalanced-learn.

    k_neighbors : int, default=5
        Neighbours of the same class, in the feature space, among which each
        new image's partner is drawn (imbalanced-learn's SMOTE default). A
        class to oversample needs more images than this.

    {extractor}

    decoding : {"residual", "direct"}, default="residual"
        How interpolated features become images. ``"residual"`` adds to the
        real image that the interpolation started from the difference
        between the decoded new features and its own decoded features, which
        keeps its fine detail; ``"direct"`` decodes the new features alone,
        blurred as a decoder trained with squared error makes them.

    {encoder_epochs, encoder_learning_rate, reconstruction_weight}

    batch_size : int, default=64
        Images per step of the first stage.

    n_filters : int, default=16
        Width of the decoder: channels of its last convolution, doubling at
        each coarser level up to ``8 * n_filters``.

    {image_shape, filter_threshold, filter_classifier, device}

    random_state : int, RandomState instance or None, default=None
        Seeds the networks' weights, the batches and the interpolation. The
        same integer gives bit-identical output on CPU.

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

    device_ : torch.device
        The device used for training.

    n_features_in_ : int
        Values per input sample.

    {filter_rejection_rate_, filter_classifier_}

    See Also
    --------
    FeatureGANSampler : a GAN in the same feature space.
    imblearn.over_sampling.SMOTE : SMOTE on the pixels.

    Notes
    -----
    :meth:`fit` learns what the sampler draws from: the feature space, each
    class's features and their nearest neighbours. It also keeps the
    training images that residual decoding starts from (a reference to the
    fit's float32 copy, not another; none without a decoder). :meth:`sample`,
    :meth:`sample_features` and :meth:`encode` work after it.
    :meth:`fit_resample` is :meth:`fit` followed by one draw per class to
    oversample, from the same random state: ``fit`` with a RandomState
    instance, then ``sample`` of each class in turn with that instance, gives
    the new images of ``fit_resample`` with an equal instance (without
    ``filter_threshold``, which acts in ``fit_resample`` alone).

    A fit that fails or is interrupted leaves the sampler unfitted; the
    fitted networks rest on the CPU.

    References
    ----------
    .. [1] D. Dablain, B. Krawczyk and N. V. Chawla, "DeepSMOTE: Fusing deep
       learning and SMOTE for imbalanced data", IEEE Transactions on Neural
       Networks and Learning Systems 34(9), 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import FeatureSMOTESampler
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> X, y = X.reshape(-1, 8, 8), y
    >>> keep = (y == 0) | (np.arange(len(y)) < 60)
    >>> X, y = X[keep], y[keep]
    >>> sampler = FeatureSMOTESampler(encoder_epochs=2, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> np.bincount(y_res) == np.bincount(y).max()
    array([ True,  True])
    >>> sampler.sample(3, y=1, random_state=0).shape
    (3, 8, 8)
    """

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        **SPACE_ONLY_CONSTRAINTS,
    }

    # A new image needs a neighbour of its class.
    _min_class_size = 2

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        k_neighbors=5,
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
        self.k_neighbors = k_neighbors
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
        return FeatureSpaceGenerator.of(self, FeatureSMOTE(self.k_neighbors))


@dataclass
class FittedSMOTE:
    """FeatureSMOTESampler's own fitted attributes."""

    classes_: np.ndarray
    classifier_: Any
    device_: Any


class FeatureSMOTE:
    """New features between a real image's features and a neighbour's of its
    class, as imbalanced-learn's SMOTE interpolates pixels."""

    def __init__(self, k_neighbors):
        self.k_neighbors = k_neighbors

    def check(self, training):
        counts = np.bincount(training.targets, minlength=len(training.classes))
        k = self.k_neighbors
        for label, n_samples in training.wanted.items():
            size = counts[np.flatnonzero(training.classes == label)[0]]
            if n_samples > 0 and size <= k:
                raise ValueError(
                    f"k_neighbors={k} needs more than {k} images of each class "
                    f"to oversample; class {plain(label)!r} has {size}. Lower "
                    f"k_neighbors to at most {size - 1}, or leave the class out "
                    "with a dict sampling_strategy."
                )

    def learn(self, space, features, training, device, seeds):
        # For each class with more than k_neighbors members (every class to
        # oversample has): its members' features, and each member's k
        # nearest neighbours among them, itself left out.
        self.members, self.neighbours = {}, {}
        for index in range(len(training.classes)):
            own = features[torch.from_numpy(training.targets == index)].numpy()
            if len(own) <= self.k_neighbors:
                continue
            # kneighbors() without X leaves each point out by its index;
            # dropping the first column of kneighbors(own) would not when
            # features repeat (a duplicated image).
            search = NearestNeighbors(n_neighbors=self.k_neighbors).fit(own)
            self.members[index] = torch.from_numpy(own)
            self.neighbours[index] = search.kneighbors(return_distance=False)
        self.starts = StartImages(space, training)
        self.fitted = FittedSMOTE(training.classes, space.classifier, device)
        self.n_features = features.shape[1]

    def new_features(self, class_index, rng, real=None):
        """Interpolated features, and the real images they start from
        (taken from the fit, so ``real`` is not needed)."""
        made = torch.empty(len(class_index), self.n_features)
        source = np.empty(len(class_index), dtype=np.int64)
        for index in np.unique(class_index):
            rows = np.flatnonzero(class_index == index)
            made[torch.from_numpy(rows)], start = self._interpolate(
                int(index), len(rows), rng
            )
            source[rows] = self.starts.position(int(index), start)
        # Each new image is decoded from the real image its interpolation
        # starts at.
        return made, lambda: self.starts.batch(source)

    def _interpolate(self, index, n_samples, rng):
        if index not in self.members:
            label = plain(self.fitted.classes_[index])
            size = len(self.starts.rows[index])
            hint = (
                f"Lower k_neighbors to at most {size - 1} and fit again."
                if size > 1
                else "One image has no neighbour to interpolate towards."
            )
            raise ValueError(
                f"k_neighbors={self.k_neighbors} needs more than "
                f"{self.k_neighbors} images of a class to draw new samples "
                f"of it; class {label!r} has {size}. {hint}"
            )
        members = self.members[index]
        start = rng.randint(len(members), size=n_samples)
        partner = self.neighbours[index][
            start, rng.randint(self.k_neighbors, size=n_samples)
        ]
        gap = torch.from_numpy(rng.uniform(size=(n_samples, 1)).astype(np.float32))
        made = members[start] + gap * (members[partner] - members[start])
        return made, start

    def attributes(self):
        return [self.fitted]
