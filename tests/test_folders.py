"""Image folders: load_image_folder and save_image_folder."""

import numpy as np
import pytest
from PIL import Image

from gansampler.datasets import load_image_folder, save_image_folder

RNG = np.random.RandomState(0)


def _grouped(X, y):
    """X and y ordered by class, as a folder gives them back."""
    order = np.argsort(y.astype(str), kind="stable")
    return X[order], y[order].astype(str)


@pytest.mark.parametrize("shape", [(12, 8, 6), (12, 8, 6, 3), (12, 8, 6, 1)])
def test_round_trip(tmp_path, shape):
    X = RNG.randint(0, 256, size=shape).astype(np.uint8)
    y = np.array([0, 1, 2] * 4)
    save_image_folder(X, y, tmp_path / "data")
    X_back, y_back = load_image_folder(tmp_path / "data")
    expected, labels = _grouped(
        X.reshape(shape[:3] + shape[3:][:1] * (shape[3:] != (1,))), y
    )
    if len(shape) == 4 and shape[3] == 1:
        expected = expected.reshape(shape[:3])
    np.testing.assert_array_equal(X_back, expected)
    np.testing.assert_array_equal(y_back, labels)


def test_flat_rows_and_resize_and_color(tmp_path):
    X = RNG.randint(0, 256, size=(6, 4 * 5)).astype(np.uint8)
    y = np.array(["a", "b"] * 3)
    save_image_folder(X, y, tmp_path / "flat", image_shape=(4, 5))
    X_back, _ = load_image_folder(tmp_path / "flat")
    assert X_back.shape == (6, 4, 5)
    small, _ = load_image_folder(tmp_path / "flat", image_size=(2, 3))
    assert small.shape == (6, 2, 3) and small.dtype == np.uint8
    rgb, _ = load_image_folder(tmp_path / "flat", color="rgb")
    assert rgb.shape == (6, 4, 5, 3)
    assert (rgb[..., 0] == rgb[..., 1]).all()


def test_mixed_gray_and_color_read_as_rgb(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "a" / "1.png")
    Image.fromarray(np.zeros((4, 4, 3), np.uint8)).save(tmp_path / "b" / "1.jpg")
    (tmp_path / "b" / "notes.txt").write_text("not an image")
    X, y = load_image_folder(tmp_path)
    assert X.shape == (2, 4, 4, 3) and y.tolist() == ["a", "b"]
    gray, _ = load_image_folder(tmp_path, color="gray")
    assert gray.shape == (2, 4, 4)
    # Nested folders belong to their class, as torchvision reads them;
    # hidden ones are left out, and a broken link is named.
    (tmp_path / "a" / "more").mkdir()
    (tmp_path / "a" / ".cache").mkdir()
    Image.fromarray(np.full((4, 4), 9, np.uint8)).save(tmp_path / "a/more/2.png")
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "a/.cache/3.png")
    X, y = load_image_folder(tmp_path, color="gray")
    assert y.tolist() == ["a", "a", "b"] and X[1].max() == 9
    (tmp_path / "b" / "gone.png").symlink_to(tmp_path / "nothing.png")
    with pytest.raises(ValueError, match="gone.png is not a readable file"):
        load_image_folder(tmp_path)


def test_clear_errors_naming_the_file(tmp_path):
    (tmp_path / "a").mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(tmp_path / "a" / "1.png")
    Image.fromarray(np.zeros((5, 4), np.uint8)).save(tmp_path / "a" / "2.png")
    with pytest.raises(ValueError, match=r"2\.png is 4x5.*image_size"):
        load_image_folder(tmp_path)
    (tmp_path / "a" / "3.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"3\.png cannot be read as an image"):
        load_image_folder(tmp_path, image_size=4)
    (tmp_path / "a" / "3.png").unlink()
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty holds no images"):
        load_image_folder(tmp_path, image_size=4)
    with pytest.raises(ValueError, match="no class folders"):
        load_image_folder(tmp_path / "empty")
    with pytest.raises(ValueError, match="image_size"):
        load_image_folder(tmp_path, image_size=(0, 4))
    with pytest.raises(ValueError, match="color"):
        load_image_folder(tmp_path, color="cmyk")


def test_save_refuses_and_leaves_nothing(tmp_path, monkeypatch):
    X = RNG.randint(0, 256, size=(4, 3, 3)).astype(np.uint8)
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match="uint8"):
        save_image_folder(X.astype(float), y, tmp_path / "f")
    with pytest.raises(ValueError, match="X holds no images"):
        save_image_folder(X[:0], y[:0], tmp_path / "f")
    with pytest.raises(ValueError, match="label '../up' cannot name a class folder"):
        save_image_folder(X, np.array(["../up"] * 4), tmp_path / "g")
    save_image_folder(X, y, tmp_path / "h")
    with pytest.raises(ValueError, match="exists already"):
        save_image_folder(X, y, tmp_path / "h")
    calls = []

    def failing(array, *args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise OSError("disk full")
        return original(array, *args, **kwargs)

    original = Image.fromarray
    monkeypatch.setattr(Image, "fromarray", failing)
    with pytest.raises(OSError, match="disk full"):
        save_image_folder(X, y, tmp_path / "partial")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h"]


def test_sixteen_bit_images_keep_their_values(tmp_path):
    # 12-bit X-rays in 16-bit PNG and TIFF files: 4096 levels, not 16.
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    values = np.arange(0, 4096, 16, dtype=np.uint16).reshape(16, 16)
    Image.fromarray(values).save(tmp_path / "a" / "1.png")
    Image.fromarray(values[::-1].astype(np.int32)).save(tmp_path / "b" / "1.tif")
    X, y = load_image_folder(tmp_path)
    assert X.dtype == np.uint16 and y.tolist() == ["a", "b"]
    np.testing.assert_array_equal(X, [values, values[::-1]])
    rgb, _ = load_image_folder(tmp_path, color="rgb")
    assert rgb.dtype == np.uint16 and rgb.shape == (2, 16, 16, 3)
    np.testing.assert_array_equal(rgb[..., 2], X)
    small, _ = load_image_folder(tmp_path, image_size=8, color="gray")
    assert small.dtype == np.uint16 and 3800 < small.max() <= 4095
    # Written back as 16-bit PNG files, the same values come back.
    save_image_folder(X, y, tmp_path / "copy")
    X_back, _ = load_image_folder(tmp_path / "copy")
    np.testing.assert_array_equal(X_back, X)
    with pytest.raises(ValueError, match="uint16 with 3 channels"):
        save_image_folder(rgb, y, tmp_path / "rgb")
    # 16-bit and 8-bit files in one folder: refused, naming one of each.
    Image.fromarray(np.zeros((16, 16), np.uint8)).save(tmp_path / "b" / "2.png")
    with pytest.raises(
        ValueError, match=r"a/1\.png holds 16-bit pixels but .*b/2\.png"
    ):
        load_image_folder(tmp_path)
    (tmp_path / "b" / "2.png").unlink()
    Image.fromarray(values.astype(np.float32)).save(tmp_path / "a" / "2.tif")
    with pytest.raises(ValueError, match=r"2\.tif cannot be read.*floating-point"):
        load_image_folder(tmp_path)
    (tmp_path / "a" / "2.tif").unlink()
    Image.fromarray(np.full((16, 16), 70000, np.int32)).save(tmp_path / "a" / "3.tif")
    with pytest.raises(ValueError, match=r"3\.tif cannot be read.*beyond 16 bits"):
        load_image_folder(tmp_path)


# Tiny fits: the dtype is the point, not convergence.
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_estimator_takes_uint16_images():
    # What a 16-bit folder gives: each estimator keeps uint16 and its range.
    from gansampler import CNNClassifier, FeatureSMOTESampler, SuperpixelSampler

    X = RNG.randint(0, 4096, size=(24, 12, 12)).astype(np.uint16)
    y = np.r_[np.zeros(16, int), np.ones(8, int)]
    X[y == 1, 2:6, 2:6] = 4000
    for sampler in (
        SuperpixelSampler(random_state=0),
        FeatureSMOTESampler(random_state=0, encoder_epochs=1),
    ):
        X_res, y_res = sampler.fit_resample(X, y)
        assert X_res.dtype == np.uint16 and np.bincount(y_res).tolist() == [16, 16]
        assert X_res[24:].max() <= 4095 and len(np.unique(X_res[24:])) > 16
    clf = CNNClassifier(n_epochs=2, random_state=0).fit(X, y)
    assert clf.predict(X).shape == (24,)


def test_medmnist_column_labels_and_missing_labels(tmp_path):
    X = RNG.randint(0, 256, size=(4, 3, 3)).astype(np.uint8)
    y = np.array([0, 1, 0, 1])
    # MedMNIST's own (n, 1) labels, as load_medmnist reads them.
    save_image_folder(X, y[:, None], tmp_path / "column")
    assert load_image_folder(tmp_path / "column")[1].tolist() == ["0", "0", "1", "1"]
    with pytest.raises(
        ValueError, match=r"shape \(n,\) or \(n, 1\); got y of shape \(4, 2\)"
    ):
        save_image_folder(X, np.c_[y, y], tmp_path / "two")
    for labels in (np.array([0.0, np.nan, 0.0, 1.0]), np.array([0, None, 1, 1])):
        with pytest.raises(
            ValueError, match="y holds None or NaN at 1 position.*index 1"
        ):
            save_image_folder(X, labels, tmp_path / "nan")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["column"]


def test_labels_that_would_not_come_back(tmp_path):
    X = np.zeros((2, 3, 3), np.uint8)
    with pytest.raises(ValueError, match="must not start with '.'"):
        save_image_folder(X, np.array([".hidden", "b"]), tmp_path / "a")
    with pytest.raises(ValueError, match="differ only in case"):
        save_image_folder(X, np.array(["Normal", "normal"]), tmp_path / "b")
    assert not list(tmp_path.iterdir())
