"""load_pneumoniamnist: where it looks, what it returns, what it says."""

import numpy as np
import pytest

from gansampler.datasets import load_medmnist, load_pneumoniamnist


@pytest.fixture
def fake_npz(tmp_path):
    rng = np.random.RandomState(0)
    arrays = {}
    for split, n in (("train", 6), ("val", 3), ("test", 4)):
        arrays[f"{split}_images"] = rng.randint(0, 256, (n, 28, 28)).astype(np.uint8)
        arrays[f"{split}_labels"] = rng.randint(0, 2, (n, 1)).astype(np.uint8)
    path = tmp_path / "pneumoniamnist.npz"
    np.savez(path, **arrays)
    return path, arrays


@pytest.mark.parametrize("split", ["train", "val", "test"])
def test_reads_each_split_from_a_file_or_folder(fake_npz, split):
    path, arrays = fake_npz
    for where in (path, path.parent, str(path)):
        X, y = load_pneumoniamnist(split, path=where)
        np.testing.assert_array_equal(X, arrays[f"{split}_images"])
        np.testing.assert_array_equal(y, arrays[f"{split}_labels"][:, 0])
        assert y.ndim == 1


def test_environment_variable_then_home(fake_npz, tmp_path, monkeypatch):
    path, arrays = fake_npz
    monkeypatch.setenv("GANSAMPLER_DATA", str(path.parent))
    np.testing.assert_array_equal(load_pneumoniamnist()[0], arrays["train_images"])

    home = tmp_path / "home"
    (home / ".medmnist").mkdir(parents=True)
    path.rename(home / ".medmnist" / path.name)
    monkeypatch.setenv("HOME", str(home))
    np.testing.assert_array_equal(load_pneumoniamnist()[0], arrays["train_images"])


def test_missing_file_names_the_places_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("GANSAMPLER_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with pytest.raises(FileNotFoundError) as info:
        load_pneumoniamnist()
    message = str(info.value)
    assert str(tmp_path / "data" / "pneumoniamnist.npz") in message
    assert str(tmp_path / "home" / ".medmnist" / "pneumoniamnist.npz") in message
    assert "GANSAMPLER_DATA" in message


def test_bad_split_is_a_clear_error(fake_npz):
    with pytest.raises(
        ValueError, match=r"split must be one of .* got split='training'"
    ):
        load_medmnist("pneumoniamnist.npz", split="training", path=fake_npz[0])


def test_real_file(pneumonia_path):
    X, y = load_pneumoniamnist("test", path=pneumonia_path)
    assert X.shape == (624, 28, 28) and X.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y), [234, 390])
