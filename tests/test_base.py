"""BaseImageSampler: the contract every gansampler sampler inherits."""

import numpy as np
import pytest
import torch
from imblearn.utils import check_sampling_strategy

from gansampler.base import BaseImageSampler


class MirrorSampler(BaseImageSampler):
    """The user-guide example: mirrored copies of real images."""

    def _generate(self, X_class, n_samples, rng):
        picks = rng.randint(len(X_class), size=n_samples)
        return X_class[torch.from_numpy(picks)].flip(-1)


class WrongShapeSampler(BaseImageSampler):
    def _generate(self, X_class, n_samples, rng):
        return X_class[:1]


RNG = np.random.RandomState(0)
Y = np.array([0] * 12 + [1] * 5 + [2] * 3)
RGB = RNG.randint(0, 256, size=(20, 6, 5, 3)).astype(np.uint8)

LAYOUTS = {
    "flat": (RGB[..., 0].reshape(20, -1), {"image_shape": (6, 5)}),
    "3d": (RGB[..., 0], {}),
    "4d-rgb": (RGB, {}),
    "3d-float": (RGB[..., 0].astype(np.float32) / 7.0, {}),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layout_dtype_counts_and_originals_first(name):
    X, params = LAYOUTS[name]
    sampler = MirrorSampler(random_state=0, **params)
    X_res, y_res = sampler.fit_resample(X, Y)
    assert X_res.dtype == X.dtype and X_res.shape[1:] == X.shape[1:]
    np.testing.assert_array_equal(X_res[: len(X)], X)
    np.testing.assert_array_equal(y_res[: len(Y)], Y)
    assert sampler.sampling_strategy_ == {1: 7, 2: 9}
    np.testing.assert_array_equal(np.bincount(y_res), [12, 12, 12])
    # Every new image is a mirrored real image of its own class.
    images = X.reshape(len(X), 6, 5, -1)
    made = X_res[len(X) :].reshape(-1, 6, 5, images.shape[-1])
    for image, label in zip(made, y_res[len(X) :], strict=True):
        assert any(np.array_equal(image, real[:, ::-1]) for real in images[Y == label])


@pytest.mark.parametrize(
    "strategy",
    [
        0.5,
        "auto",
        "minority",
        "not minority",
        "not majority",
        "all",
        {1: 8, 2: 4},
        lambda y: {2: 10},
    ],
    ids=[
        "float",
        "auto",
        "minority",
        "not-minority",
        "not-majority",
        "all",
        "dict",
        "callable",
    ],
)
def test_sampling_strategy_means_what_it_means_in_imblearn(strategy):
    y = Y if not isinstance(strategy, float) else Y[Y != 2]
    X = RGB[: len(y), ..., 0]
    sampler = MirrorSampler(sampling_strategy=strategy, random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    expected = check_sampling_strategy(strategy, y, "over-sampling")
    assert sampler.sampling_strategy_ == expected
    for label, n_new in expected.items():
        assert np.sum(y_res == label) == np.sum(y == label) + n_new


def test_same_random_state_same_output():
    first = MirrorSampler(random_state=3).fit_resample(RGB, Y)[0]
    second = MirrorSampler(random_state=3).fit_resample(RGB, Y)[0]
    np.testing.assert_array_equal(first, second)


def test_string_labels_pass_through():
    names = np.array(["normal", "pneumonia", "covid"])[Y]
    _, y_res = MirrorSampler(random_state=0).fit_resample(RGB, names)
    assert set(y_res) == set(names) and y_res.dtype == names.dtype


def test_a_generate_with_the_wrong_shape_is_reported():
    with pytest.raises(RuntimeError, match=r"_generate returned \(1, 3, 6, 5\)"):
        WrongShapeSampler().fit_resample(RGB, Y)


@pytest.mark.parametrize(
    "X, y, params, match",
    [
        (np.full((4, 6, 6), np.nan), [0, 0, 0, 1], {}, "NaN"),
        (np.zeros((4, 35)), [0, 0, 0, 1], {"image_shape": (6, 6)}, "needs 36 features"),
        (np.zeros((4, 2, 6, 6, 1)), [0, 0, 0, 1], {}, "with 5 dimensions"),
        (np.zeros((4, 6, 6)), [0, 0, 0], {}, "inconsistent numbers of samples"),
        (
            np.zeros((4, 6, 6)),
            [0, 0, 0, 1],
            {"sampling_strategy": "most"},
            "sampling_strategy",
        ),
    ],
    ids=["nan", "image-shape", "5d", "y-length", "strategy"],
)
def test_bad_input(X, y, params, match):
    with pytest.raises(ValueError, match=match):
        MirrorSampler(**params).fit_resample(X, y)
