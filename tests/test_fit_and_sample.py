"""One fit for the samplers (issue 35 item 5): ``fit`` learns what a sampler
draws from, so that ``sample`` and ``encode`` work after it, and
``fit_resample`` is ``fit`` followed by the draw.

FeatureSMOTESampler, VarianceTransferSampler and M2mSampler gained ``sample``
here; the GAN samplers had it already (tests/test_gan.py). Every network is
small for speed, as each setting below says: these tests check the contract
(what is fitted, what is drawn, from which random state), not how well the
networks learn.
"""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from gansampler import (
    CNNClassifier,
    FeatureSMOTESampler,
    M2mSampler,
    SuperpixelSampler,
    VarianceTransferSampler,
)
from gansampler.over_sampling._feature_smote import FeatureSMOTE

# The first stage shrunk (n_filters=4) and cut to 2 epochs (its floor is 200
# steps), for speed: the draws need a decoder, not a good one.
SPACE = dict(n_filters=4, encoder_epochs=2)
SAMPLERS = {
    "feature_smote": lambda **kw: FeatureSMOTESampler(**SPACE, **kw),
    "variance_transfer": lambda **kw: VarianceTransferSampler(**SPACE, **kw),
    # A classifier of 3 epochs, for speed: the translations need gradients,
    # not a good classifier (most new images are then repeats, which M2m
    # warns about; the contract is the same).
    "m2m": lambda **kw: M2mSampler(
        classifier=CNNClassifier(n_epochs=3, random_state=0), **kw
    ),
}
FEATURE_SAMPLERS = ["feature_smote", "variance_transfer"]

# The short budgets above warn that they did not converge, and M2m that it
# kept few translations: expected here, and not what these tests check.
pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:M2mSampler kept few translations"),
]


@pytest.fixture(scope="module")
def fitted(digits_imbalanced):
    """Each sampler fitted once on the 8x8 digits (which have an encoder
    and a decoder, so residual decoding is exercised)."""
    X, y = digits_imbalanced
    return {name: make(random_state=0).fit(X, y) for name, make in SAMPLERS.items()}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_sample_after_fit(digits_imbalanced, fitted, name):
    X, y = digits_imbalanced
    sampler = fitted[name]
    made = sampler.sample(5, 1, random_state=0)
    assert made.shape == (5, 8, 8) and made.dtype == np.uint8
    np.testing.assert_array_equal(made, sampler.sample(5, 1, random_state=0))
    # One label per image, in the order given.
    mixed = sampler.sample(4, y=[1, 0, 1, 0], random_state=0)
    assert mixed.shape == (4, 8, 8) and mixed.dtype == np.uint8
    # Flat rows in, flat rows out.
    flat = SAMPLERS[name](image_shape=(8, 8), random_state=0)
    flat.fit(X.reshape(len(X), -1), y)
    assert flat.sample(3, 1, random_state=0).shape == (3, 64)


@pytest.mark.parametrize("name", FEATURE_SAMPLERS)
def test_sample_follows_its_random_state(fitted, name):
    sampler = fitted[name]
    made = sampler.sample(5, 1, random_state=0)
    assert not np.array_equal(made, sampler.sample(5, 1, random_state=1))
    features = sampler.sample_features(5, 1, random_state=0)
    assert features.shape == (5, sampler.n_features_out_)
    assert features.dtype == np.float32


@pytest.mark.parametrize("name", FEATURE_SAMPLERS)
def test_encode_after_fit(digits_imbalanced, fitted, name):
    X, _ = digits_imbalanced
    features = fitted[name].encode(X)
    assert features.shape == (len(X), fitted[name].n_features_out_)
    assert features.dtype == np.float32 and np.isfinite(features).all()


def _fit_then_draw(make, X, y):
    """``fit``, then one ``sample`` per class to oversample, in the order of
    ``sampling_strategy_``, all from one RandomState instance."""
    rng = np.random.RandomState(0)
    sampler = make(random_state=rng).fit(X, y)
    labels = [label for label, n in sampler.sampling_strategy_.items() if n > 0]
    counts = [sampler.sampling_strategy_[label] for label in labels]
    new_X = [
        sampler.sample(n, label, random_state=rng)
        for label, n in zip(labels, counts, strict=True)
    ]
    return sampler, (np.concatenate(new_X), np.repeat(labels, counts))


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_fit_resample_is_fit_then_the_draw(digits_uint8, name):
    # Three classes, two of them oversampled: each class's draw continues
    # the random state where the fit (and the class before) left it.
    X, y = digits_uint8
    keep = (y == 0) | ((y == 1) & (np.arange(len(y)) % 4 == 0))
    keep |= (y == 2) & (np.arange(len(y)) % 6 == 0)
    X, y = X[keep], y[keep]
    make = SAMPLERS[name]
    resampler = make(random_state=np.random.RandomState(0))
    X_res, y_res = resampler.fit_resample(X, y)
    sampler, (new_X, new_y) = _fit_then_draw(make, X, y)
    assert len(new_X) == len(X_res) - len(X) > 0
    np.testing.assert_array_equal(X_res[len(X) :], new_X)
    np.testing.assert_array_equal(y_res[len(X) :], new_y)
    # The same fitted state: later draws of the two agree too.
    np.testing.assert_array_equal(
        resampler.sample(4, 2, random_state=3), sampler.sample(4, 2, random_state=3)
    )


@pytest.mark.parametrize("make", [FeatureSMOTESampler, VarianceTransferSampler])
def test_fit_resample_is_fit_then_the_draw_on_rows(make):
    # Tabular rows have no encoder, and nothing to decode from: the features
    # are the values (default settings, no network to shrink).
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(30, 3)), rng.normal(3, 1, size=(8, 3))]
    y = np.r_[np.zeros(30, int), np.ones(8, int)]
    X_res, _ = make(random_state=np.random.RandomState(0)).fit_resample(X, y)
    sampler, (new_X, _) = _fit_then_draw(make, X, y)
    assert sampler.encoder_ is None and new_X.shape == (22, 3)
    np.testing.assert_array_equal(X_res[len(X) :], new_X)


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_not_fitted_before_fit(name):
    sampler = SAMPLERS[name]()
    with pytest.raises(NotFittedError):
        sampler.sample(3, 1)
    if name in FEATURE_SAMPLERS:
        with pytest.raises(NotFittedError):
            sampler.encode(np.zeros((2, 8, 8)))
        with pytest.raises(NotFittedError):
            sampler.sample_features(3, 1)


def test_superpixel_sampler_has_no_sample():
    # It learns nothing: its draw transforms the real images it is given.
    assert not hasattr(SuperpixelSampler(), "sample")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0, "y": 1}, r"n_samples must be a positive integer.*=0"),
        ({"n_samples": 2.5, "y": 1}, r"n_samples must be a positive integer.*2\.5"),
        ({"n_samples": 3, "y": [0, 1]}, r"y must be one label or 3 labels"),
        ({"n_samples": 2, "y": 7}, r"y holds labels \[7\]"),
        ({"n_samples": 2, "y": 1, "random_state": True}, "random_state=True"),
    ],
    ids=["zero", "float", "wrong-length", "unknown-label", "bool-seed"],
)
def test_sample_bad_arguments(fitted, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fitted["feature_smote"].sample(**kwargs)


def test_sample_of_a_class_too_small_for_k_neighbors():
    # A class left out of the strategy is not checked at fit; drawing it
    # says which parameter falls short. Tabular rows: no network.
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(size=(30, 3)), rng.normal(3, 1, size=(8, 3)), np.ones((3, 3))]
    y = np.r_[np.zeros(30, int), np.ones(8, int), np.full(3, 2)]
    sampler = FeatureSMOTESampler(sampling_strategy={1: 30}, random_state=0)
    sampler.fit(X, y)
    with pytest.raises(ValueError, match="k_neighbors=5 needs more.*class 2 has 3"):
        sampler.sample(2, 2)
    assert sampler.sample(2, 1).shape == (2, 3)


def _assert_unfitted(sampler, X):
    assert not [k for k in vars(sampler) if k.endswith("_") and k[:2] != "__"]
    assert not hasattr(sampler, "_generator")
    with pytest.raises(NotFittedError):
        sampler.sample(2, 1)
    with pytest.raises(NotFittedError):
        sampler.encode(X)


def test_failed_or_interrupted_fit_leaves_the_sampler_unfitted(
    digits_imbalanced, monkeypatch
):
    X, y = digits_imbalanced
    sampler = FeatureSMOTESampler(**SPACE, random_state=0).fit(X, y)
    # A refit that fails forgets the fit before it.
    few = np.r_[np.flatnonzero(y == 0), np.flatnonzero(y == 1)[:4]]
    with pytest.raises(ValueError, match="k_neighbors=5 needs more than 5"):
        sampler.fit(X[few], y[few])
    _assert_unfitted(sampler, X)

    # Interrupted after the feature space is trained, while the per-class
    # state is learned.
    def interrupt(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(FeatureSMOTE, "learn", interrupt)
    with pytest.raises(KeyboardInterrupt):
        sampler.fit(X, y)
    _assert_unfitted(sampler, X)
