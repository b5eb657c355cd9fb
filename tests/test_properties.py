"""Property-based tests (hypothesis) of the image input contract.

For every layout (flat rows with ``image_shape``, grayscale, channels-last)
and every dtype the library accepts, the round trip to a tensor and back,
and each sampler's ``fit_resample``, keep the layout, the dtype and the
value range. 200 examples a property; ``derandomize`` makes the examples
the same on every run, so that CI never meets a new one by chance.
"""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.base import BaseEstimator

from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    M2mSampler,
    SuperpixelSampler,
    VarianceTransferSampler,
)
from gansampler._images import images_to_numpy, images_to_tensor, validate_images

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DTYPES = [np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64, bool]
# Finite values that float32, in which everything is computed, holds.
FLOAT_RANGE = dict(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def images(draw, min_n=1):
    """An image array in one of the three layouts, and its image_shape."""
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    n = draw(st.integers(min_n, 12))
    height, width = draw(st.integers(2, 9)), draw(st.integers(2, 9))
    channels = draw(st.sampled_from([1, 3]))
    ndim = draw(st.sampled_from([2, 3, 4] if channels == 1 else [2, 4]))
    shape = {
        2: (n, height * width * channels),
        3: (n, height, width),
        4: (n, height, width, channels),
    }[ndim]
    elements = st.floats(**FLOAT_RANGE, width=32) if dtype.kind == "f" else None
    X = draw(hnp.arrays(dtype, shape, elements=elements))
    image_shape = (height, width, channels) if ndim == 2 else None
    return X, image_shape


class _Holder(BaseEstimator):
    """Receives n_features_in_ from validate_images."""


@PROPERTY
@given(images())
def test_round_trip_keeps_layout_dtype_and_values(drawn):
    X, image_shape = drawn
    X_valid, layout = validate_images(_Holder(), X, reset=True, image_shape=image_shape)
    tensor = images_to_tensor(X_valid, layout)
    assert tensor.shape[0] == len(X) and tensor.ndim == 4
    back = images_to_numpy(tensor, layout)
    assert back.shape == X.shape and back.dtype == X.dtype
    # Values pass through float32: exact for uint8, bool, float32 and
    # integers up to 2**24; others come back as their nearest float32.
    expected = X
    if X.dtype.kind in "iuf" and X.dtype != np.uint8:
        nearest = X.astype(np.float32).astype(np.float64)
        if X.dtype.kind in "iu":
            info = np.iinfo(X.dtype)
            nearest = np.clip(nearest, info.min, info.max)
        expected = nearest.astype(X.dtype)
    np.testing.assert_array_equal(back, expected)


def _samplers():
    # Small networks and one epoch, for speed: the property is about the
    # contract, not what is learned.
    tiny = dict(n_epochs=1, n_filters=2, latent_dim=2, random_state=0)
    return [
        SuperpixelSampler(random_state=0),
        DCGANSampler(**tiny),
        InfoGANSampler(**tiny),
        FeatureGANSampler(encoder_epochs=1, **tiny),
        FeatureSMOTESampler(
            k_neighbors=2, n_filters=2, encoder_epochs=1, random_state=0
        ),
        VarianceTransferSampler(n_filters=2, encoder_epochs=1, random_state=0),
        M2mSampler(
            classifier=CNNClassifier(n_epochs=1, random_state=0), random_state=0
        ),
    ]


@PROPERTY
@given(images(min_n=7), st.sampled_from(range(7)), st.data())
def test_fit_resample_keeps_layout_dtype_and_range(drawn, which, data):
    X, image_shape = drawn
    # At least 3 minority images (the GAN samplers' least), fewer than the
    # majority's, so that there is something to make.
    n_minority = data.draw(st.integers(3, (len(X) - 1) // 2), label="n_minority")
    y = np.r_[np.zeros(len(X) - n_minority, int), np.ones(n_minority, int)]
    sampler = _samplers()[which].set_params(image_shape=image_shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # one-epoch fits, channels-first look
        X_res, y_res = sampler.fit_resample(X, y)
    assert X_res.dtype == X.dtype
    assert X_res.shape[1:] == X.shape[1:]
    np.testing.assert_array_equal(X_res[: len(X)], X)
    assert np.bincount(y_res).tolist() == [len(X) - n_minority] * 2
    made = X_res[len(X) :]
    if X.dtype == bool:
        return
    low, high = X.min(), X.max()
    if X.dtype != np.uint8:
        # New values pass through float32: allow its rounding (floats, and
        # integers beyond 2**24).
        slack = 1e-6 * max(abs(float(low)), abs(float(high)), 1.0)
        low, high = low - slack, high + slack
    assert made.min() >= low and made.max() <= high


def test_property_settings_are_200_examples():
    assert PROPERTY.max_examples == 200


pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
