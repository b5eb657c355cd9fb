"""Regression tests of the GAN-family redesign's bugs (one test per bug)."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import GridSearchCV

from gansampler import CNNClassifier, DCGANSampler, FeatureGANSampler
from gansampler.neural_network import _fit, _train
from gansampler.over_sampling._features import space as feature_space
from gansampler.over_sampling._gan import trainer

RNG = np.random.RandomState(0)
Y = np.array([0] * 12 + [1] * 4)
GRAY = RNG.randint(0, 256, size=(16, 28, 28)).astype(np.uint8)


def tiny(cls, **params):
    """Small networks and few epochs: these tests are about plumbing."""
    settings = dict(n_epochs=2, batch_size=8, n_filters=4, latent_dim=8, random_state=0)
    if cls is FeatureGANSampler:
        settings["encoder_epochs"] = 2
    return cls(**{"device": "cpu", **settings, **params})


def record_seeds(monkeypatch, module, names):
    """Record the seeds that ``module``'s ``names`` are called with."""
    seen = {name: [] for name in names}
    for name in names:
        original = getattr(module, name)

        def spy(seed, *args, _name=name, _original=original, **kwargs):
            seen[_name].append(seed)
            return _original(seed, *args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    return seen


def test_partial_fit_draws_fresh_randomness_each_call(digits, monkeypatch):
    # Bug 1: every call after the first rebuilt the RNG from the integer seed
    # and replayed the same batch order, augmentation and dropout.
    X, y = digits
    seen = record_seeds(monkeypatch, _train, ["make_generator"])
    clf = CNNClassifier(batch_size=32, random_state=0, device="cpu")
    for _ in range(3):
        clf.partial_fit(X[:64], y[:64])
    assert len(set(seen["make_generator"])) == 3
    # Still reproducible: the same calls on a fresh estimator repeat them.
    again = CNNClassifier(batch_size=32, random_state=0, device="cpu")
    for _ in range(3):
        again.partial_fit(X[:64], y[:64])
    assert seen["make_generator"][:3] == seen["make_generator"][3:]


def test_one_seed_never_feeds_two_torch_streams(digits, monkeypatch):
    # Bug 2: make_generator(seed) and seeded(seed) got the same integer, so
    # on the CPU batch draws and noise or dropout emitted the same numbers.
    X, y = digits
    # The network is built (seeded) in _fit, and trained in _train.
    seen = record_seeds(monkeypatch, _train, ["make_generator", "seeded"])
    built = record_seeds(monkeypatch, _fit, ["seeded"])
    CNNClassifier(n_epochs=1, random_state=0, device="cpu").fit(X[:64], y[:64])
    assert len(seen["seeded"]) == len(built["seeded"]) == 1
    torch_streams = set(seen["seeded"]) | set(built["seeded"])
    assert not set(seen["make_generator"]) & torch_streams
    seen = record_seeds(monkeypatch, trainer, ["make_generator", "seeded"])
    tiny(DCGANSampler).fit(GRAY, Y)
    assert not set(seen["make_generator"]) & set(seen["seeded"])
    # FeatureGANSampler's three loops, its feature classifier's included.
    seen = record_seeds(monkeypatch, trainer, ["make_generator", "seeded"])
    built = record_seeds(monkeypatch, feature_space, ["seeded"])
    tiny(FeatureGANSampler).fit(GRAY, Y)
    assert len(seen["make_generator"]) == 3
    torch_streams = set(seen["seeded"]) | set(built["seeded"])
    assert not set(seen["make_generator"]) & torch_streams


def test_device_takes_an_index_or_a_torch_device(digits):
    # Bug 3: "cuda:1" was refused by the parameter constraints.
    X, y = digits
    clf = CNNClassifier(n_epochs=1, device=torch.device("cpu"), random_state=0)
    assert clf.fit(X[:64], y[:64]).device_ == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cuda:1'.*not available"):
            tiny(DCGANSampler, device="cuda:1").fit(GRAY, Y)


def test_raising_n_epochs_extends_a_finished_run(tmp_path):
    # Bug 5: n_epochs was part of the checkpoint key, so a finished run
    # could not be extended.
    reference = tiny(DCGANSampler, n_epochs=4).fit(GRAY, Y)
    short = tiny(DCGANSampler, n_epochs=2, checkpoint_dir=tmp_path).fit(GRAY, Y)
    longer = tiny(DCGANSampler, n_epochs=4, checkpoint_dir=tmp_path).fit(GRAY, Y)
    assert len(list(tmp_path.glob("*.pt"))) == 1
    assert longer.history_[:2] == short.history_  # resumed, not retrained
    np.testing.assert_array_equal(
        longer.sample(5, 1, random_state=0), reference.sample(5, 1, random_state=0)
    )


def test_a_gan_setting_does_not_retrain_the_first_stage(tmp_path, monkeypatch):
    # Bug 5: the first stage's file was keyed on GAN-only parameters.
    tiny(FeatureGANSampler, checkpoint_dir=tmp_path).fit(GRAY, Y)

    def no_training(*args, **kwargs):
        raise AssertionError("the first stage was trained again")

    monkeypatch.setattr(feature_space.AutoencoderStep, "__call__", no_training)
    tiny(FeatureGANSampler, checkpoint_dir=tmp_path, learning_rate=5e-4).fit(GRAY, Y)
    assert len(list(tmp_path.glob("*-features-*.pt"))) == 1
    assert len(list(tmp_path.glob("*-gan-*.pt"))) == 2


def test_decoding_is_not_a_training_key(tmp_path):
    # decoding acts after training: changing it reuses both stages' files
    # (a new key would write a new file).
    first = tiny(FeatureGANSampler, checkpoint_dir=tmp_path).fit(GRAY, Y)
    files = sorted(tmp_path.glob("*.pt"))
    assert len(files) == 2
    again = tiny(FeatureGANSampler, checkpoint_dir=tmp_path, decoding="direct")
    again.fit(GRAY, Y)
    assert sorted(tmp_path.glob("*.pt")) == files
    assert again.history_ == first.history_


@pytest.mark.parametrize("side", [4, 6])
def test_small_images_are_scaled_per_channel(side):
    # Bug 6: images under 8 pixels a side were scaled per pixel.
    X = RNG.randint(0, 256, size=(16, side, side, 3)).astype(np.uint8)
    sampler = tiny(DCGANSampler).fit(X, Y)
    assert sampler._generator.scale.low.shape == (1, 3, 1, 1)
    table = tiny(DCGANSampler).fit(RNG.normal(size=(16, 7)), Y)
    assert table._generator.scale.low.shape == (1, 1, 1, 7)  # tabular: per column


def test_a_fitted_search_is_an_extractor(digits):
    # Bug 7: a fitted GridSearchCV was unwrapped to its unfitted template
    # and refused.
    X, y = digits
    search = GridSearchCV(
        CNNClassifier(n_epochs=2, batch_size=32, random_state=0, device="cpu"),
        {"learning_rate": [1e-3, 3e-3]},
        cv=2,
    ).fit(X[:120], y[:120])
    sampler = tiny(FeatureGANSampler, extractor=search).fit(X[:120], y[:120])
    expected = search.best_estimator_.embed(X[:5])
    np.testing.assert_allclose(sampler.encode(X[:5]), expected, rtol=1e-4, atol=1e-5)


def test_partial_fit_on_one_tiny_image_is_a_clear_error():
    # Batch norm cannot train on one value per channel: a single 4x4 image
    # reaches the light network's last layer as one position (an 8x8 one
    # still gives several and trains).
    X = np.random.RandomState(0).rand(3, 4, 4)
    clf = CNNClassifier(random_state=0, device="cpu")
    with pytest.raises(ValueError, match="single 4x4 image.*at least 2 images"):
        clf.partial_fit(X[:1], [0], classes=[0, 1])
    assert not hasattr(clf, "module_")
    clf.partial_fit(X[:2], [0, 1], classes=[0, 1])
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match="single 4x4 image"):
        clf.partial_fit(X[2:], [1])
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    # The guard's hooks are gone: the module trains on as before.
    assert not any(m._forward_pre_hooks for m in clf.module_.modules())
    clf.partial_fit(X, [0, 1, 1])
    single = np.random.RandomState(1).rand(1, 8, 8)
    CNNClassifier(random_state=0, device="cpu").partial_fit(single, [0], classes=[0, 1])
