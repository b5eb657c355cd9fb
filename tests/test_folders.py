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


def test_sixteen_bit_images_are_scaled_not_clipped(tmp_path):
    (tmp_path / "a").mkdir()
    values = np.array([[0, 1000], [32768, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "a" / "1.png")
    X, _ = load_image_folder(tmp_path)
    np.testing.assert_array_equal(X[0], values // 257)
    Image.fromarray(values.astype(np.float32)).save(tmp_path / "a" / "2.tif")
    with pytest.raises(ValueError, match=r"2\.tif cannot be read.*floating-point"):
        load_image_folder(tmp_path)


def test_labels_that_would_not_come_back(tmp_path):
    X = np.zeros((2, 3, 3), np.uint8)
    with pytest.raises(ValueError, match="must not start with '.'"):
        save_image_folder(X, np.array([".hidden", "b"]), tmp_path / "a")
    with pytest.raises(ValueError, match="differ only in case"):
        save_image_folder(X, np.array(["Normal", "normal"]), tmp_path / "b")
    assert not list(tmp_path.iterdir())
