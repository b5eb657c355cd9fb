"""ResampledClassifier: a sampler inside fit, new images weighted apart.

The classifier trains for a few epochs, for speed.
"""

import pickle

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate
from sklearn.neighbors import KNeighborsClassifier

from gansampler import CNNClassifier, ResampledClassifier, SuperpixelSampler

FAST = dict(n_epochs=3, random_state=0)


def test_weights_follow_the_real_counts(digits_imbalanced):
    X, y = digits_imbalanced
    n_real = len(y)
    counts = np.bincount(y)
    clf = ResampledClassifier(
        CNNClassifier(**FAST), SuperpixelSampler(random_state=0), synthetic_share=0.25
    ).fit(X, y)
    w = clf.sample_weight_
    y_res = np.r_[y, np.ones(counts[0] - counts[1], int)]
    assert len(w) == len(y_res)
    # Balanced: the two classes weigh the same in all.
    assert np.isclose(w[y_res == 0].sum(), w[y_res == 1].sum())
    # The new minority images carry a quarter of the minority's weight.
    minority_total = w[y_res == 1].sum()
    assert np.isclose(w[n_real:].sum(), 0.25 * minority_total)
    assert np.isclose(w.mean(), 1)


def test_share_zero_is_class_weights_on_the_real_images(digits_imbalanced):
    X, y = digits_imbalanced
    resampled = ResampledClassifier(
        CNNClassifier(**FAST), SuperpixelSampler(random_state=0), synthetic_share=0
    ).fit(X, y)
    plain = CNNClassifier(**FAST, class_weight="balanced").fit(X, y)
    np.testing.assert_allclose(
        resampled.predict_proba(X), plain.predict_proba(X), atol=1e-4
    )


def test_grid_search_cross_validate_and_pickle(digits_imbalanced):
    X, y = digits_imbalanced
    model = ResampledClassifier(
        CNNClassifier(**FAST), SuperpixelSampler(random_state=0)
    )
    grid = {"synthetic_share": [0.1, 0.5], "sampler__mode": ["geometric", "both"]}
    search = GridSearchCV(model, grid, cv=StratifiedKFold(2), scoring="roc_auc")
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    scores = cross_validate(model, X, y, cv=StratifiedKFold(2), scoring="roc_auc")
    assert np.all(scores["test_score"] > 0.5)
    fitted = clone(model).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))


def test_other_samplers_and_bad_classifiers(digits_imbalanced):
    X, y = digits_imbalanced
    flat = X.reshape(len(X), -1)
    clf = ResampledClassifier(
        CNNClassifier(**FAST, image_shape=(8, 8)), RandomOverSampler(random_state=0)
    ).fit(flat, y)
    assert clf.predict(flat).shape == y.shape
    assert set(clf.classes_) == {0, 1}
    with pytest.raises(ValueError, match="does not take sample_weight"):
        ResampledClassifier(KNeighborsClassifier()).fit(flat, y)
    with pytest.raises(ValueError, match="synthetic_share"):
        ResampledClassifier(synthetic_share=1.5).fit(flat, y)
    with pytest.raises(ValueError, match="synthetic_share=True"):
        ResampledClassifier(synthetic_share=True).fit(flat, y)
    with pytest.raises(ValueError, match="leave its class_weight None"):
        ResampledClassifier(CNNClassifier(class_weight="balanced")).fit(flat, y)
    with pytest.raises(ValueError, match="needs the labels y"):
        ResampledClassifier().fit(flat, None)
    assert clf.n_features_in_ == 64
