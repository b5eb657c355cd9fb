"""frechet_distance: zero on itself, symmetric, ordered, equal to a reference."""

import numpy as np
import pytest
from scipy import linalg
from sklearn.exceptions import NotFittedError

from gansampler import CNNClassifier
from gansampler.metrics import frechet_distance


class Flatten:
    """An embedder whose features are the pixels themselves."""

    def embed(self, X):
        X = np.asarray(X, dtype=np.float64)
        return X.reshape(len(X), -1)


def reference_distance(features_1, features_2):
    """FD written out with scipy's general matrix square root."""
    mu_1, mu_2 = features_1.mean(axis=0), features_2.mean(axis=0)
    cov_1 = np.cov(features_1, rowvar=False)
    cov_2 = np.cov(features_2, rowvar=False)
    covmean = linalg.sqrtm(cov_1 @ cov_2).real
    return float(
        np.sum((mu_1 - mu_2) ** 2)
        + np.trace(cov_1)
        + np.trace(cov_2)
        - 2 * np.trace(covmean)
    )


@pytest.fixture(scope="module")
def embedder(digits):
    X, y = digits
    return CNNClassifier(n_epochs=2, random_state=0, device="cpu").fit(X, y)


@pytest.fixture(scope="module")
def halves(digits):
    """Two disjoint, equally large sets of real digits and their noisy forms."""
    X, _ = digits
    rng = np.random.RandomState(0)
    X = X[rng.permutation(len(X))]
    n = len(X) // 2
    real_a, real_b = X[:n], X[n : 2 * n]
    noisy_b = np.clip(real_b + rng.normal(0, 4, size=real_b.shape), 0, 16)
    noise = rng.uniform(0, 16, size=real_b.shape)
    return real_a, real_b, noisy_b, noise


def test_distance_of_a_set_to_itself_is_zero(digits, embedder, halves):
    X, _ = digits
    real_a, real_b, _, _ = halves
    same = frechet_distance(X, X, embedder)
    assert isinstance(same, float)
    assert same >= 0
    assert same < 1e-9 * frechet_distance(real_a, real_b, embedder)


def test_distance_is_symmetric(embedder, halves):
    real_a, _, noisy_b, noise = halves
    for other in (noisy_b, noise):
        forward = frechet_distance(real_a, other, embedder)
        backward = frechet_distance(other, real_a, embedder)
        assert forward == pytest.approx(backward, rel=1e-9)


def test_distance_grows_as_the_images_depart_from_real(embedder, halves):
    real_a, real_b, noisy_b, noise = halves
    distances = [
        frechet_distance(real_a, other, embedder) for other in (real_b, noisy_b, noise)
    ]
    assert 0 < distances[0] < distances[1] < distances[2]
    # Far apart, not just in order: held-out real digits are much closer.
    assert distances[2] > 5 * distances[0]


def test_matches_scipy_sqrtm_on_random_features():
    rng = np.random.RandomState(0)
    features_1 = rng.normal(size=(60, 5))
    mixing = rng.normal(size=(5, 5))
    features_2 = rng.normal(size=(80, 5)) @ mixing + 0.5
    expected = reference_distance(features_1, features_2)
    got = frechet_distance(features_1, features_2, Flatten())
    assert got == pytest.approx(expected, rel=1e-8)
    assert got > 1


def test_matches_scipy_sqrtm_on_cnn_features(embedder, halves):
    real_a, _, noisy_b, _ = halves
    features_a, features_b = embedder.embed(real_a), embedder.embed(noisy_b)
    # Units that are dead (constant) on both sets add nothing to the distance
    # but make the covariances singular, where sqrtm is inaccurate.
    alive = (features_a.std(axis=0) > 0) | (features_b.std(axis=0) > 0)
    expected = reference_distance(features_a[:, alive], features_b[:, alive])
    got = frechet_distance(real_a, noisy_b, embedder)
    assert got == pytest.approx(expected, rel=1e-9)


def test_images_go_to_the_embedder_in_any_layout(embedder, halves):
    real_a, _, noisy_b, _ = halves
    reference = frechet_distance(real_a, noisy_b, embedder)
    flat = frechet_distance(
        real_a.reshape(len(real_a), -1), noisy_b[..., None], embedder
    )
    assert flat == pytest.approx(reference, rel=1e-9)


def test_translation_only_adds_the_squared_shift():
    rng = np.random.RandomState(1)
    features = rng.normal(size=(40, 3))
    shift = np.array([1.0, -2.0, 0.5])
    distance = frechet_distance(features, features + shift, Flatten())
    assert distance == pytest.approx(shift @ shift, rel=1e-9)


@pytest.mark.parametrize(
    "n_real, n_fake, name, count",
    [(1, 5, "X_real", 1), (5, 1, "X_fake", 1), (0, 5, "X_real", 0)],
    ids=["one-real", "one-fake", "no-real"],
)
def test_fewer_than_two_images_is_an_error(n_real, n_fake, name, count):
    rng = np.random.RandomState(0)
    X_real = rng.normal(size=(n_real, 4))
    X_fake = rng.normal(size=(n_fake, 4))
    match = rf"{name} must hold at least 2 images.*got {count}"
    with pytest.raises(ValueError, match=match):
        frechet_distance(X_real, X_fake, Flatten())


def test_embedder_without_embed_is_a_type_error(digits):
    X, _ = digits
    with pytest.raises(TypeError, match="embed"):
        frechet_distance(X, X, object())


def test_unfitted_classifier_is_not_fitted_error(digits):
    X, _ = digits
    with pytest.raises(NotFittedError):
        frechet_distance(X, X, CNNClassifier())


def test_embedder_output_is_checked():
    class Bad:
        def embed(self, X):
            return np.zeros(len(X))

    X = np.zeros((4, 8, 8))
    with pytest.raises(ValueError, match="must return a 2-D array"):
        frechet_distance(X, X, Bad())
    # Finite but huge features would overflow their covariance.
    huge = np.random.RandomState(0).normal(size=(5, 3)) * 1e200
    with pytest.raises(ValueError, match="too large for their covariance"):
        frechet_distance(huge, huge, Flatten())
