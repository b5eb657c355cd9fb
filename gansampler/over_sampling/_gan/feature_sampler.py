"""What every sampler that generates in a learned feature space shares.

A feature-space sampler holds a fitted :class:`~.feature_space.FeatureSpace`
(``self._space``) and real images per class for residual decoding
(``self._anchors``). It makes new features its own way (``_draw_features``);
this mixin turns them into images, encodes new samples, and resamples in the
feature space. FeatureGANSampler is one such sampler.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..._images import images_to_tensor, validate_images
from ..._torch import usable_device
from ..._validation import own_random_state
from .feature_space import learn_feature_space

# The first stage's parameters, the same in every feature-space sampler.
FEATURE_CONSTRAINTS = {
    "extractor": [HasMethods(["fit", "predict"]), None],
    "decoding": [StrOptions({"residual", "direct"})],
    "encoder_epochs": [
        Interval(Integral, 1, None, closed="left"),
        StrOptions({"auto"}),
    ],
    "encoder_learning_rate": [Interval(Real, 0, None, closed="neither")],
    "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
}

# Real images kept per class for residual decoding (drawn at random when a
# class has more), which bounds the memory of a fitted sampler.
MAX_ANCHORS = 1000


def extractor_network(extractor, image_shape):
    """The network of a user's fitted ``extractor``, checked against X.

    The seam is public: a fitted estimator's ``module_`` whose ``embed``
    gives features, and its ``image_shape_``, as :class:`CNNClassifier`
    documents. A :class:`~sklearn.frozen.FrozenEstimator` passes attribute
    reads through to what it wraps; a fitted search offers its refitted
    ``best_estimator_``.
    """
    fitted = getattr(extractor, "best_estimator_", extractor)
    module = getattr(fitted, "module_", None)
    if module is None or not hasattr(module, "embed"):
        if hasattr(fitted, "embed"):
            raise ValueError(
                "extractor must be a fitted CNNClassifier; fit it first (and "
                "wrap it in sklearn.frozen.FrozenEstimator if the sampler is "
                "cloned, as in grid search or cross-validation)."
            )
        raise ValueError(
            "extractor must be a fitted CNNClassifier (or a FrozenEstimator "
            f"or fitted search of one), or None; got extractor={extractor!r}."
        )
    fitted_shape = getattr(fitted, "image_shape_", None)
    if fitted_shape != image_shape:
        raise ValueError(
            f"extractor was fitted on images of shape {fitted_shape}, but X "
            f"holds images of shape {image_shape}; fit the extractor on images "
            "like X."
        )
    return module


class FeatureSamplerMixin:
    """Decoding, encoding and feature-space resampling, for feature samplers.

    The sampler provides ``_fit(X, y) -> (y, features of X, rng)``,
    ``_draw_features(class_index, rng) -> float32 tensor`` and the
    fitted ``_space``, ``_anchors``, ``_layout``, ``device_`` and
    ``decoding``.
    """

    def _learn_space(self, images, labels, n_classes, device, seeds, checkpoint):
        """The first stage: a feature space fitted with the sampler's settings
        (``extractor``, ``encoder_epochs``, ``encoder_learning_rate``,
        ``batch_size``, ``reconstruction_weight``, ``n_filters``)."""
        module = (
            extractor_network(self.extractor, self._layout.image_shape)
            if self.extractor is not None
            else None
        )
        return learn_feature_space(
            images,
            labels,
            n_classes,
            self._layout,
            extractor_module=module,
            n_epochs=self.encoder_epochs,
            learning_rate=self.encoder_learning_rate,
            batch_size=self.batch_size,
            reconstruction_weight=self.reconstruction_weight,
            n_filters=self.n_filters,
            device=device,
            seeds=seeds,
            checkpoint=checkpoint,
            verbose=self.verbose,
            name=type(self).__name__,
        )

    def _keep_space(self, space, features):
        """Set the fitted attributes of the feature space."""
        self.encoder_ = space.encoder
        self.decoder_ = space.decoder
        self.encoder_history_ = space.history
        self.n_features_out_ = features.shape[1]
        self._space = space

    def fit_resample_features(self, X, y):
        """Fit and resample in the feature space.

        The features of the samples of ``X`` come first, then new ones.
        This is not :meth:`fit_resample`, which always returns images:
        imbalanced-learn's pipelines call ``fit_resample`` while fitting and
        skip samplers while predicting, so a sampler that returned features
        there would have its pipeline's classifier fitted on features and
        then handed raw images. Classify features by hand instead::

            F_res, y_res = sampler.fit_resample_features(X, y)
            clf = LogisticRegression().fit(F_res, y_res)
            clf.predict(sampler.encode(X_test))

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Training images (or tabular rows).
        y : array-like of shape (n,)
            Class labels.

        Returns
        -------
        F_resampled : ndarray of shape (n_resampled, n_features_out_), float32
        y_resampled : ndarray of shape (n_resampled,)
        """
        self._forget_fit()  # a call that fails leaves the sampler unfitted
        if self.filter_threshold is not None:
            raise ValueError(
                "filter_threshold judges new images, and fit_resample_features "
                "makes features; use fit_resample, or filter_threshold=None."
            )
        y, features, rng = self._fit(X, y, check_memory=True)
        try:
            new_X, new_y = [features], [y]
            for label, n_samples in self.sampling_strategy_.items():
                if n_samples == 0:
                    continue
                index = int(np.flatnonzero(self.classes_ == label)[0])
                made = self._draw_features(np.full(n_samples, index), rng)
                new_X.append(made.numpy())
                new_y.append(np.full(n_samples, label, dtype=y.dtype))
            return np.concatenate(new_X), np.concatenate(new_y)
        except BaseException:
            self._forget_fit()
            raise

    def encode(self, X):
        """Features of samples ``X``, in the space the sampler works in.

        A classifier fitted on the output of :meth:`fit_resample_features`
        predicts ``encode(X_new)``.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Samples like the training samples.

        Returns
        -------
        features : ndarray of shape (n, n_features_out_), float32
        """
        check_is_fitted(self, "n_features_out_")
        X, layout = validate_images(self, X, reset=False)
        images = images_to_tensor(X, layout)
        features = self._space.encode(images, usable_device(self.device_))
        return features.numpy().astype(np.float32)

    def sample_features(self, n_samples, y, *, random_state=None):
        """Draw ``n_samples`` generated feature vectors of class(es) ``y``.

        :meth:`sample` draws images; this draws what the GAN generates
        before decoding.

        Parameters
        ----------
        n_samples : int
            Number of samples.
        y : label or array-like of shape (n_samples,)
            One class label for all samples, or one label per sample.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw; ``None`` draws fresh randomness.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out_), float32
        """
        self._check_sample_call(n_samples)
        class_index = self._class_index(n_samples, y)
        return self._draw_features(class_index, own_random_state(random_state)).numpy()

    def _features_to_images(self, features, anchors):
        """NCHW images from features.

        ``anchors()`` gives the real images that residual decoding starts
        from; it is called only then, so the other decodings draw nothing.
        """
        layout = self._layout
        if self._space.decoder is None:
            return features.view(-1, layout.channels, layout.height, layout.width)
        device = usable_device(self.device_)
        if self.decoding == "direct":
            return self._space.decode(features, device)
        return self._space.decode_residual(features, anchors(), device)
