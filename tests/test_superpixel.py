"""SuperpixelSampler: modes, layouts, ranges, parallelism and bad input."""

import numpy as np
import pytest

from gansampler import SuperpixelSampler
from gansampler.over_sampling import _transforms as T

RNG = np.random.RandomState(0)
Y = np.array([0] * 10 + [1] * 4)
GRAY = RNG.randint(0, 256, size=(14, 28, 28)).astype(np.uint8)
RGB = RNG.randint(0, 256, size=(14, 16, 16, 3)).astype(np.uint8)

LAYOUTS = {
    "flat": (GRAY.reshape(14, -1), {"image_shape": (28, 28)}),
    "3d-gray": (GRAY, {}),
    "4d-rgb": (RGB, {}),
    "3d-float-range": (GRAY.astype(np.float64) * 3 - 100, {}),
}


@pytest.mark.parametrize("mode", ["geometric", "superpixel", "both"])
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_layout_dtype_range_counts_and_originals(mode, name):
    X, params = LAYOUTS[name]
    sampler = SuperpixelSampler(mode=mode, random_state=0, **params)
    X_res, y_res = sampler.fit_resample(X, Y)
    assert X_res.dtype == X.dtype and X_res.shape == (20,) + X.shape[1:]
    np.testing.assert_array_equal(X_res[:14], X)
    np.testing.assert_array_equal(np.bincount(y_res), [10, 10])
    assert sampler.sampling_strategy_ == {1: 6}
    minority = X[Y == 1]
    made = X_res[14:]
    assert made.min() >= minority.min() and made.max() <= minority.max()
    # New images, not copies.
    assert not any(np.array_equal(m, real) for m in made for real in minority)


def test_same_random_state_same_output_whatever_n_jobs():
    runs = [
        SuperpixelSampler(random_state=7, n_jobs=n_jobs).fit_resample(GRAY, Y)[0]
        for n_jobs in (1, 2, 1)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(runs[0], runs[2])
    other = SuperpixelSampler(random_state=8).fit_resample(GRAY, Y)[0]
    assert not np.array_equal(other, runs[0])


def test_plain_augmentation_with_a_dict_strategy():
    counts = np.bincount(Y)
    strategy = {label: 4 * count for label, count in enumerate(counts)}
    X_res, y_res = SuperpixelSampler(
        sampling_strategy=strategy, random_state=0
    ).fit_resample(GRAY, Y)
    np.testing.assert_array_equal(np.bincount(y_res), 4 * counts)


def test_224_rgb_images():
    X = RNG.randint(0, 256, size=(5, 224, 224, 3)).astype(np.uint8)
    y = [0, 0, 0, 1, 1]
    X_res, _ = SuperpixelSampler(random_state=0).fit_resample(X, y)
    X_res2, _ = SuperpixelSampler(random_state=0).fit_resample(X, y)
    assert X_res.shape == (6, 224, 224, 3) and X_res.dtype == np.uint8
    np.testing.assert_array_equal(X_res, X_res2)


def test_images_too_small_for_superpixels_fall_back_to_pixel_transforms():
    image = RNG.rand(6, 6, 1)
    rs = np.random.RandomState(0)
    unchanged = T.superpixels(image, rs, n_segments=(100, 200), p_replace=(1.0, 1.0))
    np.testing.assert_array_equal(unchanged, image)
    X = RNG.randint(0, 256, size=(6, 4, 4)).astype(np.uint8)
    X_res, _ = SuperpixelSampler(mode="superpixel", random_state=0).fit_resample(
        X, [0, 0, 0, 0, 1, 1]
    )
    assert X_res.shape == (8, 4, 4)


def test_superpixels_replace_segments_by_their_means():
    image = np.zeros((32, 32, 1))
    image[:, 16:] = 1.0
    image += np.random.RandomState(0).rand(32, 32, 1) * 0.01
    out = T.superpixels(
        image, np.random.RandomState(0), n_segments=(100, 100), p_replace=(1.0, 1.0)
    )
    # Every superpixel is flat, so the image holds far fewer values...
    assert len(np.unique(out)) < 0.2 * image.size
    # ...and the mean of the image is kept.
    assert abs(out.mean() - image.mean()) < 1e-9


@pytest.mark.parametrize("transform", T.PIXEL_TRANSFORMS, ids=lambda f: f.__name__)
def test_each_pixel_transform_changes_the_image_and_keeps_its_shape(transform):
    image = np.random.RandomState(1).rand(20, 24, 3)
    params = SuperpixelSampler().get_params()
    # Strong ends of each range, so that every transform visibly acts.
    params.update(
        blur_sigma=(2, 2),
        blur_kernel=(5, 5),
        sharpen_alpha=(1, 1),
        emboss_alpha=(1, 1),
        edge_alpha=(0.7, 0.7),
        black_pixels=(0.2, 0.2),
        black_blocks=(0.3, 0.3),
        brightness=(0.5, 0.5),
        quantize_levels=(4, 4),
    )
    out = transform(image, np.random.RandomState(0), **params)
    assert out.shape == image.shape
    assert not np.allclose(out, image)


def test_geometric_identity_and_flip():
    image = np.random.RandomState(2).rand(9, 9, 1)
    rs = np.random.RandomState(0)
    same = T.geometric(image, rs, flip=0.0, rotation=0, shear=0, crop=0)
    np.testing.assert_allclose(same, image, atol=1e-12)
    flipped = T.geometric(image, rs, flip=1.0, rotation=0, shear=0, crop=0)
    np.testing.assert_allclose(flipped, image[:, ::-1], atol=1e-12)
    # A small turn keeps the border: only what falls outside the image is
    # filled (scipy's "constant" mode blackened the whole border ring).
    ones = np.ones((8, 8, 1))
    turned = T.geometric(ones, rs, flip=0.0, rotation=1, shear=0, crop=0)
    assert turned.min() > 0.9


@pytest.mark.parametrize(
    "params, match",
    [
        ({"mode": "pixel"}, "'mode' parameter"),
        ({"rotation": -5}, "'rotation' parameter"),
        ({"p_replace": (0.6, 0.2)}, r"p_replace must be a \(low, high\) pair"),
        ({"n_segments": (0, 10)}, r"got n_segments=\(0, 10\)"),
        ({"quantize_levels": (1, 300)}, "quantize_levels must be"),
        ({"brightness": 0.5}, "'brightness' parameter"),
        ({"brightness": (1, float("inf"))}, r"<= 10.0; got brightness=\(1, inf\)"),
        ({"blur_kernel": (3, 10**9)}, "blur_kernel must be"),
        ({"max_pixel_ops": 20}, "'max_pixel_ops' parameter"),
        ({"n_jobs": 0}, "'n_jobs' parameter"),
    ],
    ids=[
        "mode",
        "rotation",
        "p-replace",
        "n-segments",
        "quantize",
        "brightness",
        "brightness-inf",
        "huge-kernel",
        "pixel-ops",
        "n-jobs-0",
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        SuperpixelSampler(**params).fit_resample(GRAY, Y)


def test_a_class_with_a_single_image_is_an_error():
    with pytest.raises(ValueError, match="Class 1 has 1 image.*at least 2 images"):
        SuperpixelSampler().fit_resample(GRAY[:11], Y[:11])


@pytest.mark.parametrize(
    "X, match",
    [
        (np.full((14, 8, 8), np.inf), "infinity"),
        (np.zeros((14, 2, 8, 8, 1)), "with 5 dimensions"),
        (np.zeros((14, 1, 8, 8)), "Channels-first"),
    ],
    ids=["inf", "5d", "channels-first"],
)
def test_the_foundations_bad_input(X, match):
    with pytest.raises(ValueError, match=match):
        SuperpixelSampler().fit_resample(X, Y)


def test_colour_images_get_as_fine_superpixels_as_grey_ones(monkeypatch):
    # SLIC's compactness is in the image's [0, 1] units: converted to Lab
    # (about 100 units) a colour image got half as many, ragged segments.
    from skimage import data

    found = []
    original = T.slic

    def counting(*args, **kwargs):
        segments = original(*args, **kwargs)
        found.append(segments.max() + 1)
        return segments

    monkeypatch.setattr(T, "slic", counting)
    rgb = data.astronaut()[::4, ::4] / 255.0
    for image in (rgb, rgb.mean(axis=2, keepdims=True)):
        T.superpixels(
            image, np.random.RandomState(0), n_segments=(150, 150), p_replace=(1, 1)
        )
    assert found[0] > 0.6 * found[1], found
