"""An image's prediction, features and code do not depend on the batch.

torch chooses float32 kernels by the batch's shape, and on some processors a
batch of one or two images runs another convolution than a larger batch, so
that one image's probability moved in the seventh decimal with the images
predicted beside it (scikit-learn's ``check_methods_subset_invariance``
failed on an AMD processor and passed on Intel). Here every result is
compared to the bit, alone, in small batches at every position, inside a
batch of 1,000, shuffled, and in every input layout, so that the test fails
wherever any of them differs, not only on some processors.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from gansampler import CNNClassifier, FeatureSMOTESampler, ResampledClassifier
from gansampler._torch import INFERENCE_CHUNK
from gansampler.over_sampling import SuperpixelSampler

# Batch sizes around the chunk size, and a batch of 1,000.
BATCH_SIZES = [1, 2, 3, 7, INFERENCE_CHUNK - 1, INFERENCE_CHUNK, INFERENCE_CHUNK + 1]


def _layouts(X):
    """The same images as (n, H, W), (n, H, W, 1) and flat rows (grey
    images), or as they are (colour)."""
    if X.ndim == 4:
        return [X]
    return [X, X[..., None], X.reshape(len(X), -1)]


def _assert_batch_invariant(method, X):
    """``method`` gives every image of ``X`` the same result, to the bit,
    however the images are grouped and laid out."""
    reference = method(X)
    big = np.concatenate([X] * (1000 // len(X) + 1))[:1000]
    assert_array_equal(method(big)[: len(X)], reference)
    order = np.random.RandomState(0).permutation(len(X))
    assert_array_equal(method(X[order]), reference[order])
    for size in BATCH_SIZES:
        parts = [method(X[i : i + size]) for i in range(0, len(X), size)]
        assert_array_equal(np.concatenate(parts), reference, err_msg=f"batch {size}")
    for layout in _layouts(X):
        assert_array_equal(method(layout[:1]), reference[:1])
        assert_array_equal(method(layout), reference)


@pytest.fixture(scope="module")
def images(digits):
    X, y = digits
    # 40 images: more than one chunk, so that positions in a chunk and the
    # padded last chunk are both exercised.
    return X[:40].astype(np.float32), y[:40]


def _quietly(fit, X, y):
    # The fits are a few steps (the property is of inference, not training),
    # so they end unconverged on purpose.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fit(X, y)


@pytest.fixture(scope="module")
def classifier(digits):
    X, y = digits
    return _quietly(CNNClassifier(n_epochs=2, random_state=0).fit, X, y)


@pytest.mark.parametrize("method", ["predict_proba", "predict", "embed"])
def test_classifier_batch_invariant(classifier, images, method):
    _assert_batch_invariant(getattr(classifier, method), images[0])


def test_backbone_batch_invariant():
    # 16x16 colour images and one epoch: the ResNet-18 backbone's inference,
    # not its accuracy, is under test.
    X = np.random.RandomState(0).rand(40, 16, 16, 3).astype(np.float32)
    y = np.arange(40) % 2
    clf = CNNClassifier(architecture="resnet18", n_epochs=1, random_state=0)
    _quietly(clf.fit, X, y)
    _assert_batch_invariant(clf.predict_proba, X)


def test_feature_sampler_encode_batch_invariant(images):
    X, y = images
    # A short first stage: encode's inference is under test.
    sampler = FeatureSMOTESampler(encoder_epochs=2, k_neighbors=2, random_state=0)
    _quietly(sampler.fit_resample, X, y)
    _assert_batch_invariant(sampler.encode, X)


def test_resampled_classifier_batch_invariant(digits_imbalanced):
    X, y = digits_imbalanced
    model = ResampledClassifier(
        CNNClassifier(n_epochs=2, random_state=0),
        SuperpixelSampler(random_state=0),
    )
    _quietly(model.fit, X, y)
    _assert_batch_invariant(model.predict_proba, X[:40].astype(np.float32))
