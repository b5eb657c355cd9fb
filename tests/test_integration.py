"""gansampler estimators in imbalanced-learn pipelines, searches and CV."""

import pickle

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.base import clone
from sklearn.ensemble import BaggingClassifier, VotingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_validate

from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    InfoGANSampler,
    SuperpixelSampler,
)
from gansampler.datasets import load_pneumoniamnist


@pytest.fixture(scope="module")
def imbalanced_digits(digits_uint8):
    """Digits 0-3 with class 3 cut to a tenth, as flat rows.

    imbalanced-learn's own samplers take flat rows only; CNNClassifier reads
    64 columns back as 8 x 8 images.
    """
    X, y = digits_uint8
    keep = (y != 3) | (np.arange(len(y)) % 10 == 0)
    return X[keep].reshape(-1, 64), y[keep]


def make_pipe(**params):
    return make_pipeline(
        RandomOverSampler(random_state=0),
        CNNClassifier(
            n_epochs=3, batch_size=32, random_state=0, device="cpu", **params
        ),
    )


def test_grid_search_over_class_weight_and_learning_rate(imbalanced_digits):
    X, y = imbalanced_digits
    grid = {
        "cnnclassifier__class_weight": [None, "balanced"],
        "cnnclassifier__learning_rate": [1e-3, 1e-2],
    }
    search = GridSearchCV(
        make_pipe(), grid, cv=StratifiedKFold(2), scoring="balanced_accuracy"
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert set(search.best_params_) == set(grid)
    assert search.best_score_ > 0.5
    assert search.predict(X).shape == y.shape


def test_cross_validate_in_two_processes(imbalanced_digits):
    X, y = imbalanced_digits
    cv = StratifiedKFold(3)
    parallel = cross_validate(
        make_pipe(), X, y, cv=cv, scoring="balanced_accuracy", n_jobs=2
    )
    serial = cross_validate(
        make_pipe(), X, y, cv=cv, scoring="balanced_accuracy", n_jobs=1
    )
    assert np.all(parallel["test_score"] > 0.5)
    # Same random_state, same folds: the worker processes reproduce the serial run.
    np.testing.assert_array_equal(parallel["test_score"], serial["test_score"])


def test_clone_pickle_and_same_random_state(imbalanced_digits):
    X, y = imbalanced_digits
    pipe = make_pipe().fit(X, y)
    proba = pipe.predict_proba(X)
    unfitted = clone(pipe)
    assert not hasattr(unfitted[-1], "module_")
    np.testing.assert_array_equal(unfitted.fit(X, y).predict_proba(X), proba)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict_proba(X), proba)
    np.testing.assert_array_equal(restored.predict(X), pipe.predict(X))


def test_real_pneumoniamnist_run(pneumonia_path):
    X, y = load_pneumoniamnist("train", path=pneumonia_path)
    X_test, y_test = load_pneumoniamnist("test", path=pneumonia_path)
    # 300 normal and 60 pneumonia training images: an imbalanced slice.
    train = np.concatenate([np.flatnonzero(y == 0)[:300], np.flatnonzero(y == 1)[:60]])
    pipe = make_pipeline(
        RandomOverSampler(random_state=0),
        CNNClassifier(n_epochs=4, batch_size=64, random_state=0, device="cpu"),
    )
    pipe.fit(X[train].reshape(len(train), -1), y[train])
    auc = roc_auc_score(
        y_test, pipe.predict_proba(X_test.reshape(len(X_test), -1))[:, 1]
    )
    assert auc > 0.8


def superpixel_pipe():
    return make_pipeline(
        SuperpixelSampler(random_state=0),
        CNNClassifier(n_epochs=8, batch_size=32, random_state=0, device="cpu"),
    )


@pytest.fixture(scope="module")
def imbalanced_images(imbalanced_digits):
    X, y = imbalanced_digits
    return X.reshape(-1, 8, 8)[::2], y[::2]


def test_superpixel_pipeline_grid_search_over_mode(imbalanced_images):
    X, y = imbalanced_images
    grid = {"superpixelsampler__mode": ["geometric", "superpixel", "both"]}
    search = GridSearchCV(
        superpixel_pipe(), grid, cv=StratifiedKFold(2), scoring="balanced_accuracy"
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 3
    assert (
        search.best_params_["superpixelsampler__mode"]
        in grid["superpixelsampler__mode"]
    )
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_superpixel_pipeline_cross_validate_and_pickle(imbalanced_images):
    X, y = imbalanced_images
    scores = cross_validate(
        superpixel_pipe(), X, y, cv=StratifiedKFold(2), scoring="balanced_accuracy"
    )
    assert np.all(scores["test_score"] > 0.4)
    pipe = superpixel_pipe().fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(
        clone(pipe).fit(X, y).predict_proba(X), pipe.predict_proba(X)
    )


def gan_pipe(cls=DCGANSampler):
    # FeatureGANSampler's autoencoder for 2 epochs too (its default floor is
    # 200 steps): these tests check that the sampler works in searches, CV,
    # clones and pickles, not how well it generates.
    extra = {"encoder_epochs": 2} if cls is FeatureGANSampler else {}
    return make_pipeline(
        cls(
            n_epochs=3,
            batch_size=32,
            n_filters=4,
            latent_dim=8,
            random_state=0,
            device="cpu",
            **extra,
        ),
        CNNClassifier(n_epochs=8, batch_size=32, random_state=0, device="cpu"),
    )


def test_dcgan_pipeline_grid_search(imbalanced_images):
    X, y = imbalanced_images
    grid = {
        "dcgansampler__adversarial_loss": ["hinge", "bce"],
        "dcgansampler__spectral_norm": [True, False],
    }
    search = GridSearchCV(
        gan_pipe(), grid, cv=StratifiedKFold(2), scoring="balanced_accuracy"
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.predict(X).shape == y.shape


@pytest.mark.parametrize(
    "cls",
    [DCGANSampler, InfoGANSampler, FeatureGANSampler],
    ids=["dcgan", "infogan", "featuregan"],
)
def test_gan_pipeline_cross_validate_clone_and_pickle(imbalanced_images, cls):
    X, y = imbalanced_images
    scores = cross_validate(
        gan_pipe(cls), X, y, cv=StratifiedKFold(2), scoring="balanced_accuracy"
    )
    assert np.all(scores["test_score"] > 0.4)
    pipe = gan_pipe(cls).fit(X, y)
    restored = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(restored.predict_proba(X), pipe.predict_proba(X))
    np.testing.assert_array_equal(
        clone(pipe).fit(X, y).predict_proba(X), pipe.predict_proba(X)
    )


def test_feature_gan_pipeline_grid_search_over_decoding(imbalanced_images):
    X, y = imbalanced_images
    grid = {"featuregansampler__decoding": ["residual", "direct"]}
    search = GridSearchCV(
        gan_pipe(FeatureGANSampler),
        grid,
        cv=StratifiedKFold(2),
        scoring="balanced_accuracy",
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_["featuregansampler__decoding"] in {"residual", "direct"}
    assert search.predict(X).shape == y.shape


def test_scikit_learn_ensembles_of_the_classifier(digits):
    # The seeds-averaged recipe of the user guide is scikit-learn's soft
    # VotingClassifier; BaggingClassifier takes flat rows only (its own
    # validation refuses 3-D X), read back as images with image_shape. Short
    # fits (3 epochs of 32) for speed.
    X, y = digits
    X, y = X[:240], y[:240]
    fast = dict(n_epochs=3, batch_size=32, device="cpu")
    members = [(f"seed{k}", CNNClassifier(random_state=k, **fast)) for k in (0, 1)]
    vote = VotingClassifier(members, voting="soft").fit(X, y)
    alone = [CNNClassifier(random_state=k, **fast).fit(X, y) for k in (0, 1)]
    expected = np.mean([m.predict_proba(X) for m in alone], axis=0)
    np.testing.assert_allclose(vote.predict_proba(X), expected, rtol=1e-6)
    flat = X.reshape(len(X), -1)
    bag = BaggingClassifier(
        CNNClassifier(image_shape=(8, 8), random_state=0, **fast),
        n_estimators=2,
        random_state=0,
    ).fit(flat, y)
    assert bag.predict_proba(flat).shape == (len(y), 4)
    assert (bag.predict(flat) == y).mean() > 0.6  # chance is 0.25
