"""Public methods that some samplers share, each a call to what they hold.

A mixin here adds methods, never hooks: its methods call the base's
machinery (``_fit``, ``_sample``) and the sampler's generator.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._images import images_to_tensor, validate_images
from .._validation import own_random_state


class SampleMixin:
    """``fit`` that learns what the sampler draws from, and ``sample`` that
    draws from it: the samplers that can draw new images of a class from
    what they learned (the GANs, FeatureSMOTE, variance transfer, M2m)."""

    def fit(self, X, y):
        """Learn from images ``X`` with labels ``y`` what the sampler draws from.

        Unlike imbalanced-learn's samplers, whose ``fit`` only checks the
        data, this trains the sampler's networks and keeps what its draws
        need, so that :meth:`sample` can draw images afterwards.
        :meth:`fit_resample` is this fit followed by one draw per class to
        oversample, from the same random state.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Training images.
        y : array-like of shape (n,)
            Class labels.

        Returns
        -------
        self : object
        """
        self._fit(X, y)
        return self

    def sample(self, n_samples, y, *, random_state=None):
        """Draw ``n_samples`` new images of class(es) ``y`` without refitting.

        Parameters
        ----------
        n_samples : int
            Number of images.
        y : label or array-like of shape (n_samples,)
            One class label for all images, or one label per image; every
            label must be in ``classes_``.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw. ``None`` draws fresh randomness (numpy's global
            random state is left untouched).

        Returns
        -------
        X : ndarray
            The images, in the layout and dtype of the training images.
        """
        return self._sample(n_samples, y, random_state)


class FeatureSpaceMixin:
    """Resampling, encoding and drawing in the feature space of a sampler
    whose generator is a :class:`~._features.generator.FeatureSpaceGenerator`;
    images decode with the sampler's ``decoding``."""

    def _draw_options(self):
        return {"decoding": self.decoding}

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
        y, training, rng = self._fit(X, y, check_memory=True)
        try:
            # The fit's own features again: inference gives the same bits
            # whatever the batch.
            features = self._generator.encode(training.images)
            new_X, new_y = [features.numpy().astype(np.float32)], [y]
            for label, n_samples in self.sampling_strategy_.items():
                if n_samples == 0:
                    continue
                index = int(np.flatnonzero(self.classes_ == label)[0])
                made = self._generator.draw_features(np.full(n_samples, index), rng)
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
        features = self._generator.encode(images_to_tensor(X, layout))
        return features.numpy().astype(np.float32)

    def sample_features(self, n_samples, y, *, random_state=None):
        """Draw ``n_samples`` generated feature vectors of class(es) ``y``.

        :meth:`sample` draws images; this draws the features that the
        sampler makes (generates, interpolates or shifts) before decoding
        them.

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
        rng = own_random_state(random_state)
        return self._generator.draw_features(class_index, rng).numpy()
