"""The image input contract: layouts in, tensors inside, layouts out."""

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator

from gansampler._images import images_to_numpy, images_to_tensor, validate_images


class Holder(BaseEstimator):
    pass


def _layout(X, image_shape=None):
    X, layout = validate_images(Holder(), X, reset=True, image_shape=image_shape)
    return layout


RNG = np.random.RandomState(0)
RGB = RNG.randint(0, 256, size=(5, 6, 7, 3)).astype(np.uint8)
GRAY = RGB[..., 0]


@pytest.mark.parametrize(
    "X, image_shape, expected",
    [
        (GRAY, None, (6, 7, 1)),
        (RGB, None, (6, 7, 3)),
        (GRAY.reshape(5, -1), (6, 7), (6, 7, 1)),
        (RGB.reshape(5, -1), (6, 7, 3), (6, 7, 3)),
        (np.zeros((5, 64)), None, (8, 8, 1)),
        (np.zeros((5, 10)), None, (1, 10, 1)),
        (RGB, (6, 7, 3), (6, 7, 3)),
    ],
    ids=["3d", "4d", "flat-gray", "flat-rgb", "flat-square", "tabular", "4d-shape"],
)
def test_layout_geometry(X, image_shape, expected):
    layout = _layout(X, image_shape)
    assert layout.image_shape == expected
    assert layout.ndim == X.ndim
    assert layout.n_features == np.prod(expected)


@pytest.mark.parametrize(
    "X, image_shape",
    [
        (GRAY, None),
        (RGB, None),
        (GRAY.reshape(5, -1), (6, 7)),
        (RGB.reshape(5, -1), (6, 7, 3)),
    ],
    ids=["3d", "4d", "flat-gray", "flat-rgb"],
)
@pytest.mark.parametrize("dtype", [np.uint8, np.float32, np.float64, np.int64])
def test_round_trip_keeps_layout_dtype_and_values(X, image_shape, dtype):
    X = X.astype(dtype)
    layout = _layout(X, image_shape)
    tensor = images_to_tensor(X, layout)
    assert tensor.dtype == torch.float32
    assert tensor.shape == (5, layout.channels, 6, 7)
    back = images_to_numpy(tensor, layout)
    assert back.dtype == X.dtype and back.shape == X.shape
    np.testing.assert_array_equal(back, X)


def test_uint8_is_scaled_to_unit_range_and_channels_go_first():
    layout = _layout(RGB)
    tensor = images_to_tensor(RGB, layout)
    assert float(tensor.max()) <= 1.0 and float(tensor.min()) >= 0.0
    np.testing.assert_allclose(tensor[2, 1].numpy(), RGB[2, :, :, 1] / 255.0, rtol=1e-6)


def test_uint8_output_is_rounded_and_clipped():
    layout = _layout(GRAY)
    images = torch.full((1, 1, 6, 7), 2.0)
    images[0, 0, 0, 0] = -1.0
    images[0, 0, 0, 1] = 0.5 / 255 + 1e-4
    out = images_to_numpy(images, layout)
    assert out.dtype == np.uint8
    assert out[0, 0, 0] == 0 and out[0, 0, 1] == 1 and out[0, 5, 6] == 255


def test_read_only_input_is_not_shared():
    X = GRAY.astype(np.float32)
    X.setflags(write=False)
    tensor = images_to_tensor(X, _layout(X))
    tensor += 1  # would fail or warn on memory shared with a read-only array
    assert X[0, 0, 0] == GRAY[0, 0, 0]


@pytest.mark.parametrize(
    "X, image_shape, match",
    [
        (np.zeros(5), None, "Reshape your data"),
        (np.zeros((2, 3, 4, 5, 6)), None, "with 5 dimensions"),
        (np.zeros((2, 783)), (28, 28), r"image_shape=\(28, 28\) needs 784 features"),
        (np.zeros((2, 6, 7)), (7, 6), r"does not match the images in X"),
        (np.zeros((2, 1, 28, 28)), None, r"transpose\(0, 2, 3, 1\)"),
        (np.zeros((2, 12)), (3, -4), "positive integers"),
        (np.zeros((2, 12)), "3x4", "image_shape must be a tuple"),
        (np.zeros((2, 12)), (3, 4, True), r"got image_shape=\(3, 4, True\)"),
        (np.zeros((2, 8, 0, 3)), None, "with no pixels"),
        (np.full((2, 4), np.nan), None, "NaN"),
        (np.full((2, 4), np.inf), None, "infinity"),
    ],
    ids=[
        "1d",
        "5d",
        "shape-features",
        "shape-3d",
        "channels-first",
        "negative",
        "string",
        "bool",
        "no-pixels",
        "nan",
        "inf",
    ],
)
def test_bad_input_is_a_clear_value_error(X, image_shape, match):
    with pytest.raises(ValueError, match=match):
        _layout(X, image_shape)


def test_after_fit_flat_rows_take_the_fitted_geometry():
    holder = Holder()
    validate_images(holder, RGB, reset=True)
    holder._layout = _layout(RGB)
    _, layout = validate_images(holder, RGB.reshape(5, -1), reset=False)
    assert layout.image_shape == (6, 7, 3)
    with pytest.raises(
        ValueError, match="X has 41 features, but Holder is expecting 126"
    ):
        validate_images(holder, np.zeros((2, 41)), reset=False)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(6, 7, 3\)"):
        validate_images(holder, GRAY, reset=False)
