"""A classifier that resamples inside ``fit`` and weighs new images apart."""

from dataclasses import dataclass
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, has_fit_parameter

from ._fitted import commit, forget
from ._validation import reject_bool_numbers

__all__ = ["ResampledClassifier"]


@dataclass
class _Fitted:
    """ResampledClassifier's fitted attributes, set and forgotten together."""

    classifier_: object
    sampler_: object
    classes_: np.ndarray
    sample_weight_: np.ndarray


class ResampledClassifier(MetaEstimatorMixin, ClassifierMixin, BaseEstimator):
    """Fit a classifier on resampled data, new images weighted apart from real.

    In ``fit``, ``sampler`` adds new images to the training data, and
    ``classifier`` is fitted on real and new images together with
    per-image weights. Each class's total weight comes from the *real*
    counts (``real_class_weight``), and within a class that got new images,
    the new ones carry ``synthetic_share`` of that total and the real ones
    the rest. Class weights computed on the resampled counts would give the few
    real minority images the weight of an ordinary image and let the new
    ones take over; this keeps the weight that makes class weights work on
    the real images, and gives the new images a share that a grid search can
    choose. ``predict`` and ``predict_proba`` are the classifier's, on the
    images as they come: the sampler runs in ``fit`` only.

    Read more in the :ref:`User Guide <resampled_classifier>`.

    Parameters
    ----------
    classifier : classifier or None, default=None
        Fitted on the resampled data with ``sample_weight``; ``None`` uses
        ``CNNClassifier()``. Leave its own ``class_weight`` at ``None``: the
        weights come from here.

    sampler : sampler or None, default=None
        Anything with imbalanced-learn's ``fit_resample`` that returns the
        original samples first (every gansampler sampler and
        imbalanced-learn's over-samplers do); ``None`` uses
        ``SuperpixelSampler()``, which needs no training.

    real_class_weight : {"balanced"} or None, default="balanced"
        Each class's total weight, from the real counts (those of the ``y``
        given to :meth:`fit`): ``"balanced"`` gives every class the same
        total (``n_real / n_classes``), as scikit-learn's
        ``class_weight="balanced"`` does; ``None`` gives each its real
        count. Its own name, not ``class_weight``: a classifier's
        ``class_weight`` weighs the data it is fitted on (here the resampled
        data) and defaults to None everywhere, in scikit-learn and on
        :class:`~gansampler.CNNClassifier`; this one weighs the real counts,
        splits each class's total between real and new images, and
        defaults to ``"balanced"``, the weighting this estimator is for.

    synthetic_share : float in [0, 1], default=0.5
        Share of a class's total weight that its new images carry. 0 trains
        on the real images alone (new images get weight 0, which the
        classifier treats as absent); 1 leaves the real images of a class
        that got new images no weight.

    Attributes
    ----------
    classifier_ : classifier
        The fitted classifier.

    sampler_ : sampler
        The fitted sampler.

    classes_ : ndarray of shape (n_classes,)
        The class labels.

    sample_weight_ : ndarray of shape (n_resampled,)
        The weights the classifier was fitted with (real images first), for
        inspection.

    n_features_in_ : int
        Number of features (pixel values) of each training sample, where
        the classifier tells it.

    See Also
    --------
    imblearn.pipeline.Pipeline : a sampler and a classifier without weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import CNNClassifier, ResampledClassifier
    >>> X, y = load_digits(n_class=2, return_X_y=True)
    >>> keep = (y == 0) | (np.arange(len(y)) < 60)
    >>> X, y = X[keep].reshape(-1, 8, 8), y[keep]
    >>> clf = ResampledClassifier(
    ...     CNNClassifier(n_epochs=2, random_state=0), synthetic_share=0.25
    ... ).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    """

    _parameter_constraints = {
        "classifier": [HasMethods(["fit", "predict_proba"]), None],
        "sampler": [HasMethods(["fit_resample"]), None],
        "real_class_weight": [StrOptions({"balanced"}), None],
        "synthetic_share": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        classifier=None,
        sampler=None,
        *,
        real_class_weight="balanced",
        synthetic_share=0.5,
    ):
        self.classifier = classifier
        self.sampler = sampler
        self.real_class_weight = real_class_weight
        self.synthetic_share = synthetic_share

    def fit(self, X, y):
        """Resample ``X`` and ``y``, then fit the classifier with weights.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Training images.
        y : array-like of shape (n,)
            Class labels.

        Returns
        -------
        self : ResampledClassifier
        """
        forget(self, _Fitted)  # a failed refit leaves it unfitted
        self._validate_params()
        reject_bool_numbers(self)
        from .neural_network import CNNClassifier
        from .neural_network._losses import warn_if_corrections_stack
        from .over_sampling import SuperpixelSampler

        classifier = clone(
            CNNClassifier() if self.classifier is None else self.classifier
        )
        if not has_fit_parameter(classifier, "sample_weight"):
            raise ValueError(
                f"classifier={self.classifier!r} does not take sample_weight in "
                "fit; ResampledClassifier weighs images through it."
            )
        if classifier.get_params().get("class_weight") is not None:
            raise ValueError(
                f"classifier={self.classifier!r} weighs classes itself, on the "
                "resampled counts; leave its class_weight None, and "
                "ResampledClassifier's real_class_weight weighs them on the real "
                "ones."
            )
        if y is None:
            raise ValueError("ResampledClassifier needs the labels y; got y=None.")
        if isinstance(classifier, CNNClassifier) and self.real_class_weight is not None:
            # Its class weights on the real images are a correction of the
            # prior, as a logit-adjusted loss or re-balancing would be.
            warn_if_corrections_stack(
                classifier.loss,
                None,
                classifier.rebalance,
                also=[
                    "ResampledClassifier's "
                    f"real_class_weight={self.real_class_weight!r}"
                ],
            )
        sampler = clone(SuperpixelSampler() if self.sampler is None else self.sampler)
        n_real = len(y)
        X_res, y_res = sampler.fit_resample(X, y)
        if len(y_res) < n_real or not np.array_equal(
            np.asarray(y_res)[:n_real], np.asarray(y)
        ):
            raise ValueError(
                f"sampler={self.sampler!r} did not return the original samples "
                "first; ResampledClassifier needs an over-sampler that does "
                "(every gansampler sampler and imbalanced-learn's over-samplers)."
            )
        weights = self._weights(np.asarray(y_res), n_real)
        classifier.fit(X_res, y_res, sample_weight=weights)
        commit(self, _Fitted(classifier, sampler, classifier.classes_, weights))
        return self

    @property
    def n_features_in_(self):
        """The fitted classifier's ``n_features_in_``; absent (AttributeError)
        before a fit or when the classifier has none, as for scikit-learn's
        meta-estimators."""
        check_is_fitted(self)
        return self.classifier_.n_features_in_

    def _weights(self, y_res, n_real):
        """Per-image weights: class totals from the real counts, split
        between real and new images by ``synthetic_share``."""
        real, new = y_res[:n_real], y_res[n_real:]
        labels = np.unique(real)
        weights = np.empty(len(y_res))
        for label in labels:
            n_own, n_made = np.sum(real == label), np.sum(new == label)
            total = n_real / len(labels) if self.real_class_weight else n_own
            share = self.synthetic_share if n_made else 0.0
            weights[:n_real][real == label] = total * (1 - share) / n_own
            if n_made:
                weights[n_real:][new == label] = total * share / n_made
        # Scaled to average 1: the classifier sees weights of the usual size.
        return weights * len(weights) / weights.sum()

    def predict_proba(self, X):
        """Class probabilities of ``X``, from the fitted classifier."""
        check_is_fitted(self)
        return self.classifier_.predict_proba(X)

    def predict(self, X):
        """Predicted labels of ``X``, from the fitted classifier."""
        check_is_fitted(self)
        return self.classifier_.predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
