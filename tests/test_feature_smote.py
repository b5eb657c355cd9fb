"""FeatureSMOTESampler: SMOTE in the learned feature space.

The first stage is shrunk (n_filters=4) and shortened (encoder_epochs=2)
for speed: these tests are about the interpolation and the contract, not
the quality of the features.
"""

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from sklearn.base import clone
from sklearn.model_selection import StratifiedKFold, cross_validate

from gansampler import CNNClassifier, FeatureSMOTESampler

FAST = dict(n_filters=4, encoder_epochs=2, random_state=0)


@pytest.mark.parametrize("ndim", [2, 3, 4])
def test_layouts_and_dtype(digits_imbalanced, ndim):
    X, y = digits_imbalanced
    shaped = {2: X.reshape(len(X), -1), 3: X, 4: X[..., None]}[ndim]
    sampler = FeatureSMOTESampler(**FAST, image_shape=(8, 8) if ndim == 2 else None)
    X_res, y_res = sampler.fit_resample(shaped, y)
    assert X_res.dtype == np.uint8 and X_res.shape[1:] == shaped.shape[1:]
    np.testing.assert_array_equal(X_res[: len(X)], shaped)
    assert np.bincount(y_res).tolist() == [np.bincount(y).max()] * 2
    assert sampler.encoder_ is not None and sampler.n_features_out_ > 0


def test_same_random_state_same_images(digits_imbalanced):
    X, y = digits_imbalanced
    first = FeatureSMOTESampler(**FAST).fit_resample(X, y)[0]
    again = FeatureSMOTESampler(**FAST).fit_resample(X, y)[0]
    other = FeatureSMOTESampler(**{**FAST, "random_state": 1}).fit_resample(X, y)[0]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first[len(X) :], other[len(X) :])


def test_new_features_lie_between_a_member_and_a_neighbour():
    # Tabular rows have no encoder: the features are the values, so each new
    # row must sit on a segment from a minority row to one of its k nearest
    # minority rows.
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(30, 3)), rng.normal(3, 1, size=(8, 3))]
    y = np.r_[np.zeros(30, int), np.ones(8, int)]
    k = 3
    X_res, _ = FeatureSMOTESampler(k_neighbors=k, random_state=0).fit_resample(X, y)
    minority = X[y == 1]
    distances = np.linalg.norm(minority[:, None] - minority[None], axis=2)
    nearest = np.argsort(distances, axis=1)[:, 1 : k + 1]
    for row in X_res[len(X) :]:
        found = False
        for i in range(len(minority)):
            for j in nearest[i]:
                step = minority[j] - minority[i]
                gap = np.dot(row - minority[i], step) / np.dot(step, step)
                if 0 <= gap <= 1 and np.allclose(
                    minority[i] + gap * step, row, atol=1e-5
                ):
                    found = True
        assert found, row


def test_no_member_is_its_own_neighbour_when_features_repeat():
    # Each minority row three times: its k=3 neighbours are its two copies
    # and one other row, never itself (which would make a copy of it).
    rng = np.random.RandomState(0)
    minority = np.tile(rng.normal(3, 1, size=(5, 3)), (3, 1))
    X = np.r_[rng.normal(size=(40, 3)), minority]
    y = np.r_[np.zeros(40, int), np.ones(15, int)]
    sampler = FeatureSMOTESampler(k_neighbors=3, random_state=0)
    sampler.fit_resample(X, y)
    neighbours = sampler._generator.inner.neighbours[1]
    assert neighbours.shape == (15, 3)
    for i, row in enumerate(neighbours):
        assert i not in row
        assert {j % 5 for j in row} != {i % 5}  # reaches a different row


def test_too_few_images_for_k_neighbors(digits_imbalanced):
    X, y = digits_imbalanced
    keep = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:4]]
    with pytest.raises(ValueError, match="k_neighbors=5 needs more than 5.*has 4"):
        FeatureSMOTESampler(**FAST).fit_resample(X[keep], y[keep])
    X_res, y_res = FeatureSMOTESampler(**FAST, k_neighbors=3).fit_resample(
        X[keep], y[keep]
    )
    assert np.bincount(y_res)[1] == np.bincount(y[keep])[0]


def test_decoding_changes_images_not_features(digits_imbalanced):
    X, y = digits_imbalanced
    residual = FeatureSMOTESampler(**FAST)
    direct = FeatureSMOTESampler(**FAST, decoding="direct")
    images_r = residual.fit_resample(X, y)[0]
    images_d = direct.fit_resample(X, y)[0]
    assert not np.array_equal(images_r[len(X) :], images_d[len(X) :])
    F_r, y_r = residual.fit_resample_features(X, y)
    F_d, y_d = direct.fit_resample_features(X, y)
    np.testing.assert_array_equal(F_r, F_d)
    np.testing.assert_array_equal(y_r, y_d)
    # The real samples' features come first, as encode gives them.
    np.testing.assert_allclose(F_r[: len(X)], residual.encode(X), atol=1e-5)


def test_sample_features(digits_imbalanced):
    X, y = digits_imbalanced
    with pytest.raises(Exception, match="not fitted"):
        FeatureSMOTESampler(**FAST).sample_features(3, y=1)
    # fit learns the features it draws from (issue 35 item 5): the same
    # draws after fit as after fit_resample.
    sampler = FeatureSMOTESampler(**FAST).fit(X, y)
    made = sampler.sample_features(4, y=1, random_state=0)
    resampled = FeatureSMOTESampler(**FAST)
    resampled.fit_resample(X, y)
    np.testing.assert_array_equal(
        made, resampled.sample_features(4, y=1, random_state=0)
    )
    assert made.shape == (4, sampler.n_features_out_)
    np.testing.assert_array_equal(made, sampler.sample_features(4, y=1, random_state=0))
    with pytest.raises(ValueError, match=r"y holds labels \[7\].*not in classes_"):
        sampler.sample_features(2, y=7)


def test_extractor_gives_the_feature_space(digits_imbalanced):
    X, y = digits_imbalanced
    clf = CNNClassifier(n_epochs=2, random_state=0).fit(X, y)
    sampler = FeatureSMOTESampler(**FAST, extractor=clf)
    X_res, _ = sampler.fit_resample(X, y)
    assert X_res.shape[1:] == X.shape[1:]
    assert sampler.n_features_out_ == clf.embed(X[:2]).shape[1]
    np.testing.assert_allclose(sampler.encode(X), clf.embed(X), atol=1e-4)


def test_pipeline_cross_validate_and_clone(digits_imbalanced):
    X, y = digits_imbalanced
    pipe = make_pipeline(
        FeatureSMOTESampler(**FAST), CNNClassifier(n_epochs=3, random_state=0)
    )
    scores = cross_validate(
        pipe, X, y, cv=StratifiedKFold(2), scoring="balanced_accuracy"
    )
    assert np.all(scores["test_score"] > 0.5)
    fitted = clone(pipe).fit(X, y)
    np.testing.assert_array_equal(
        clone(pipe).fit(X, y).predict_proba(X), fitted.predict_proba(X)
    )
