"""Filtering of new images by a classifier of the real images
(filter_threshold, filter_classifier), on every generating sampler.

The GAN samplers are shrunk and trained for a few epochs, for speed; the
judge is a logistic regression on pixels except where the default judge
(CNNClassifier) is the point.
"""

import numpy as np
import pytest
from sklearn.dummy import DummyClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression

from gansampler import (
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    SuperpixelSampler,
)
from gansampler.base import BaseImageSampler

TINY = dict(n_epochs=2, n_filters=4, latent_dim=4, random_state=0)


class MirrorSampler(BaseImageSampler):
    def _generate(self, X_class, n_samples, rng):
        picks = rng.randint(len(X_class), size=n_samples)
        return X_class[picks].flip(-1)


SAMPLERS = [
    SuperpixelSampler(random_state=0),
    MirrorSampler(random_state=0),
    DCGANSampler(**TINY),
    InfoGANSampler(**TINY),
    FeatureGANSampler(**TINY, encoder_epochs=2),
    FeatureSMOTESampler(n_filters=4, encoder_epochs=2, random_state=0),
]
IDS = [type(s).__name__ for s in SAMPLERS]


@pytest.fixture(scope="module")
def digits_pair(digits_uint8):
    X, y = digits_uint8
    keep = (y == 0) | ((y == 1) & (np.arange(len(y)) % 3 == 0))
    return X[keep], y[keep]


def flat(X):
    return X.reshape(len(X), -1)


class FlatJudge(LogisticRegression):
    """Logistic regression on images of any layout (flattened)."""

    def fit(self, X, y):
        return super().fit(flat(X), y)

    def predict_proba(self, X):
        return super().predict_proba(flat(X))


@pytest.mark.parametrize("sampler", SAMPLERS, ids=IDS)
def test_kept_images_pass_the_threshold(sampler, digits_pair):
    X, y = digits_pair
    sampler = sampler.set_params(
        filter_threshold=0.6, filter_classifier=FlatJudge(max_iter=2000)
    )
    X_res, y_res = sampler.fit_resample(X, y)
    new, labels = X_res[len(X) :], y_res[len(X) :]
    assert np.bincount(y_res).tolist() == [np.bincount(y).max()] * 2
    column = list(sampler.filter_classifier_.classes_).index(1)
    assert (sampler.filter_classifier_.predict_proba(new)[:, column] >= 0.6).all()
    assert set(labels) == {1}
    rate = sampler.filter_rejection_rate_[1]
    assert 0 <= rate < 1
    again = sampler.fit_resample(X, y)[0]
    np.testing.assert_array_equal(again, X_res)


def test_without_threshold_nothing_changes(digits_pair):
    X, y = digits_pair
    plain = SuperpixelSampler(random_state=0).fit_resample(X, y)[0]
    ignored = SuperpixelSampler(random_state=0, filter_classifier=FlatJudge())
    np.testing.assert_array_equal(ignored.fit_resample(X, y)[0], plain)
    assert ignored.filter_rejection_rate_ == {}
    assert not hasattr(ignored, "filter_classifier_")


def test_a_strict_filter_rejects_and_draws_more(digits_pair):
    X, y = digits_pair
    strict = MirrorSampler(filter_threshold=0.999, filter_classifier=FlatJudge())
    loose = MirrorSampler(filter_threshold=0.01, filter_classifier=FlatJudge())
    strict.fit_resample(X, y)
    loose.fit_resample(X, y)
    assert loose.filter_rejection_rate_[1] == 0
    assert strict.filter_rejection_rate_[1] >= loose.filter_rejection_rate_[1]


def test_an_impossible_filter_is_a_clear_error(digits_pair):
    X, y = digits_pair
    # The prior gives every image the minority's share, under the threshold.
    sampler = MirrorSampler(
        filter_threshold=0.9, filter_classifier=DummyClassifier(strategy="prior")
    )
    with pytest.raises(ValueError, match=r"filter_threshold=0.9 kept 0 of \d+"):
        sampler.fit_resample(X, y)
    assert not hasattr(sampler, "n_features_in_")


def test_default_judge_and_frozen_judge(digits_pair):
    X, y = digits_pair
    sampler = MirrorSampler(filter_threshold=0.5, random_state=0)
    sampler.fit_resample(X, y)
    assert type(sampler.filter_classifier_).__name__ == "CNNClassifier"
    fitted = FlatJudge(max_iter=2000).fit(X, y)
    frozen = MirrorSampler(
        filter_threshold=0.5, filter_classifier=FrozenEstimator(fitted)
    )
    frozen.fit_resample(X, y)
    assert frozen.filter_classifier_.estimator is fitted


def test_filter_parameters_are_checked(digits_pair):
    X, y = digits_pair
    for bad in (0, 1, 1.5):
        with pytest.raises(ValueError, match="filter_threshold"):
            MirrorSampler(filter_threshold=bad).fit_resample(X, y)
    with pytest.raises(ValueError, match="filter_classifier"):
        MirrorSampler(filter_threshold=0.5, filter_classifier="cnn").fit_resample(X, y)
