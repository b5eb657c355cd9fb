"""Every estimator on a CUDA device, where one is present (skipped elsewhere).

CI has no GPU: these run by hand on a GPU machine (the README's test
command, there). The networks are shrunk and the budgets shortened
for speed: these tests are about the device plumbing (tensors, autocast,
pickling, checkpoints), not about quality.
"""

import pickle

import numpy as np
import pytest
import torch

from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    ResampledClassifier,
)
from gansampler.inspection import grad_cam

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")

CUDA = dict(device="cuda", random_state=0)
GAN = dict(n_epochs=2, batch_size=8, n_filters=4, latent_dim=8, **CUDA)


def test_classifier_trains_predicts_and_pickles_on_cuda(digits):
    X, y = digits
    weights = np.where(y == 0, 2.0, 1.0)
    clf = CNNClassifier(n_epochs=3, augment=True, class_weight="balanced", **CUDA)
    clf.fit(X, y, sample_weight=weights)
    assert clf.device_.type == "cuda"
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 4) and np.allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert (clf.predict(X) == y).mean() > 0.5
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(X), proba, atol=1e-6)
    clf.partial_fit(X[:64], y[:64])
    assert np.isfinite(clf.predict_proba(X)).all()
    maps = grad_cam(clf, X[:5])
    assert maps.shape == (5, 8, 8) and np.isfinite(maps).all()


def test_early_stopping_and_a_backbone_on_cuda():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(40, 64, 64, 3)).astype(np.uint8)
    y = np.array([0, 1] * 20)
    clf = CNNClassifier(
        architecture="resnet18",
        trainable_stages=1,
        n_epochs=3,
        batch_size=8,
        early_stopping=True,
        **CUDA,
    ).fit(X, y)
    assert clf.predict_proba(X).shape == (40, 2)
    # Frozen stages keep their batch norm statistics (fresh ones here).
    stem = clf.module_.features.bn1
    assert torch.equal(stem.running_mean.cpu(), torch.zeros(64))
    assert grad_cam(clf, X[:2]).shape == (2, 64, 64)


@pytest.mark.parametrize("cls", [DCGANSampler, InfoGANSampler])
def test_gans_resample_and_resume_a_checkpoint_on_cuda(
    digits_imbalanced, cls, tmp_path
):
    X, y = digits_imbalanced
    sampler = cls(checkpoint_dir=tmp_path, checkpoint_every=1, **GAN)
    X_res, y_res = sampler.fit_resample(X, y)
    assert X_res.dtype == np.uint8 and X_res.shape[1:] == X.shape[1:]
    assert np.bincount(y_res).tolist() == [np.bincount(y).max()] * 2
    np.testing.assert_array_equal(X_res[: len(X)], X)
    files = sorted(tmp_path.glob("*.pt"))
    assert files
    # A checkpoint written on the GPU serves a fit on the CPU (the device is
    # not part of a run's key): its history comes from the file.
    on_cpu = {**GAN, "device": "cpu"}
    resumed = cls(checkpoint_dir=tmp_path, checkpoint_every=1, **on_cpu).fit(X, y)
    assert resumed.history_ == sampler.history_
    assert sorted(tmp_path.glob("*.pt")) == files
    again = pickle.loads(pickle.dumps(sampler))
    assert again.sample(4, 1, random_state=0).shape == (4, 8, 8)


def test_feature_samplers_and_filtering_on_cuda(digits_imbalanced):
    X, y = digits_imbalanced
    cnn = CNNClassifier(n_epochs=2, **CUDA).fit(X, y)
    filtered = dict(filter_threshold=0.5, filter_classifier=cnn)
    smote = FeatureSMOTESampler(n_filters=4, encoder_epochs=2, **filtered, **CUDA)
    X_res, y_res = smote.fit_resample(X, y)
    assert X_res.shape[1:] == X.shape[1:] and np.bincount(y_res)[1] == np.bincount(y)[0]
    assert 0 <= smote.filter_rejection_rate_[1] <= 1
    gan = FeatureGANSampler(encoder_epochs=2, extractor=cnn, **GAN)
    assert np.isfinite(gan.fit(X, y).sample(3, 1).astype(float)).all()


def test_resampled_classifier_on_cuda(digits_imbalanced):
    X, y = digits_imbalanced
    model = ResampledClassifier(
        CNNClassifier(n_epochs=2, **CUDA),
        FeatureSMOTESampler(n_filters=4, encoder_epochs=2, **CUDA),
        real_class_weight="balanced",
        synthetic_share=0.25,
    ).fit(X, y)
    assert model.predict_proba(X).shape == (len(X), 2)
