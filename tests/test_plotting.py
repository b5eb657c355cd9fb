"""plot_samples: grid shape, layouts, class rows, determinism and errors."""

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gansampler.plotting import plot_samples  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def image_axes(fig):
    return [ax for ax in fig.axes if ax.images]


def texts(fig):
    return {t.get_text() for t in fig.findobj(matplotlib.text.Text)}


def labelled(n_per_label, shape=(6, 6), offset=0.0):
    """Images filled with their label (plus ``offset``), labels 0, 1, ..."""
    y = np.repeat(np.arange(len(n_per_label)), n_per_label)
    X = np.broadcast_to(y.astype(float)[:, None, None] + offset, (len(y), *shape))
    return np.array(X), y


def test_grid_has_a_row_per_class_and_both_halves(digits):
    X, y = digits
    fig = plot_samples(X, y, X[::-1], y[::-1], n_per_class=5, random_state=0)
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == 4 * 2 * 5
    assert len(image_axes(fig)) == 4 * 2 * 5
    assert {"real", "generated"} <= texts(fig)
    row_labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert row_labels == ["0", "1", "2", "3"]
    for ax in image_axes(fig):
        image = ax.images[0]
        assert image.get_array().shape == (8, 8)
        assert image.get_cmap().name == "gray"
        assert 0 <= image.get_array().min() and image.get_array().max() <= 1


def test_rows_hold_their_own_class_on_both_sides():
    X_real, y_real = labelled([5, 5, 5])
    X_fake, y_fake = labelled([4, 4, 4], offset=10.0)
    fig = plot_samples(X_real, y_real, X_fake, y_fake, n_per_class=3, random_state=0)
    axes = np.array(fig.axes).reshape(2, 3, 3)  # (side, row, column)
    for side in range(2):
        for row in range(3):
            for ax in axes[side, row]:
                # Min-max scaling over each set maps the row's value to row / 2.
                np.testing.assert_allclose(ax.images[0].get_array(), row / 2)


def test_classes_with_fewer_images_show_all_they_have():
    X_real, y_real = labelled([6, 2, 6])
    X_fake, y_fake = labelled([1, 6, 0])
    fig = plot_samples(X_real, y_real, X_fake, y_fake, n_per_class=4, random_state=0)
    assert len(fig.axes) == 3 * 2 * 4
    assert len(image_axes(fig)) == (4 + 2 + 4) + (1 + 4 + 0)


def test_columns_shrink_to_the_largest_class():
    X, y = labelled([3, 2])
    fig = plot_samples(X, y, X, y, n_per_class=8, random_state=0)
    assert len(fig.axes) == 2 * 2 * 3
    assert len(image_axes(fig)) == 2 * (3 + 2)


def test_classes_choose_and_order_the_rows():
    X, y = labelled([3, 3, 3])
    fig = plot_samples(X, y, X, y, classes=[2, 0], n_per_class=2, random_state=0)
    assert [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()] == ["2", "0"]
    assert len(image_axes(fig)) == 2 * 2 * 2


def test_default_classes_include_labels_only_in_y_fake():
    X_real, y_real = labelled([3, 3])
    X_fake, y_fake = labelled([0, 0, 3])
    fig = plot_samples(X_real, y_real, X_fake, y_fake, n_per_class=2, random_state=0)
    assert [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()] == ["0", "1", "2"]


def test_string_labels(digits):
    X, y = digits
    names = np.array(["zero", "one", "two", "three"])[y]
    fig = plot_samples(X, names, X, names, n_per_class=2, random_state=0)
    labels = [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()]
    assert labels == ["one", "three", "two", "zero"]


def test_4d_rgb_uint8():
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(12, 5, 7, 3)).astype(np.uint8)
    y = np.repeat([0, 1], 6)
    fig = plot_samples(X, y, X, y, n_per_class=3, random_state=0)
    shown = image_axes(fig)
    assert len(shown) == 2 * 2 * 3
    arrays = [ax.images[0].get_array() for ax in shown]
    assert all(a.shape == (5, 7, 3) for a in arrays)
    # uint8 is divided by 255: every shown image is one of the inputs / 255.
    inputs = X.astype(float) / 255
    for array in arrays:
        assert any(np.allclose(array, image) for image in inputs)


def test_4d_single_channel_is_grayscale(digits):
    X, y = digits
    fig = plot_samples(X[..., None], y, X[..., None], y, n_per_class=2, random_state=0)
    for ax in image_axes(fig):
        assert ax.images[0].get_array().shape == (8, 8)
        assert ax.images[0].get_cmap().name == "gray"


@pytest.mark.parametrize(
    "image_shape, shape",
    [((5, 7, 3), (5, 7, 3)), ((5, 7), (5, 7)), (None, (6, 6))],
    ids=["rgb", "gray", "square-inferred"],
)
def test_flat_input_with_image_shape(image_shape, shape):
    rng = np.random.RandomState(0)
    n_features = int(np.prod(shape))
    X = rng.uniform(size=(8, n_features))
    y = np.repeat([0, 1], 4)
    fig = plot_samples(
        X, y, X, y, n_per_class=2, image_shape=image_shape, random_state=0
    )
    shown = image_axes(fig)
    assert len(shown) == 2 * 2 * 2
    assert all(ax.images[0].get_array().shape == shape for ax in shown)


def test_same_random_state_draws_the_same_images(digits):
    X, y = digits

    def drawn(random_state):
        fig = plot_samples(
            X, y, X[::-1], y[::-1], n_per_class=4, random_state=random_state
        )
        return [np.asarray(ax.images[0].get_array()) for ax in image_axes(fig)]

    first, again, other = drawn(0), drawn(0), drawn(1)
    assert len(first) == len(again)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_global_random_state_is_untouched(digits):
    X, y = digits
    state = np.random.get_state()
    plot_samples(X, y, X, y, n_per_class=2, random_state=0)
    after = np.random.get_state()
    assert state[1].tolist() == after[1].tolist() and state[2] == after[2]


def test_figsize_is_used(digits):
    X, y = digits
    fig = plot_samples(X, y, X, y, n_per_class=2, random_state=0, figsize=(6, 4))
    np.testing.assert_allclose(fig.get_size_inches(), (6, 4))


@pytest.mark.parametrize("n_per_class", [0, -1, 2.5, True], ids=str)
def test_bad_n_per_class(digits, n_per_class):
    X, y = digits
    with pytest.raises(ValueError, match=rf"n_per_class=.*{n_per_class}"):
        plot_samples(X, y, X, y, n_per_class=n_per_class)


@pytest.mark.parametrize(
    "which, match",
    [
        ("real", r"X_real has 10 images but y_real has 9 labels"),
        ("fake", r"X_fake has 10 images but y_fake has 9 labels"),
    ],
    ids=["real", "fake"],
)
def test_lengths_of_X_and_y_must_match(which, match):
    X, y = labelled([5, 5])
    args = [X, y, X, y]
    args[1 if which == "real" else 3] = y[:9]
    with pytest.raises(ValueError, match=match):
        plot_samples(*args)


@pytest.mark.parametrize(
    "X, image_shape, match",
    [
        (np.zeros((4, 10)), None, r"10 features, which is not a square number"),
        (np.zeros((4, 10)), (3, 3), r"image_shape=\(3, 3\) needs 9 features"),
        (np.zeros((4, 6, 6, 2)), None, r"2 channels"),
        (np.zeros((4, 6, 6)), (5, 5), r"image_shape=\(5, 5\) does not match"),
        (np.zeros(4), None, r"got X_real with 1 dimensions"),
    ],
    ids=["not-square", "wrong-shape", "two-channels", "mismatch-3d", "1d"],
)
def test_bad_images(X, image_shape, match):
    y = np.zeros(len(X), dtype=int)
    with pytest.raises(ValueError, match=match):
        plot_samples(X, y, X, y, image_shape=image_shape)


def test_unknown_class_is_an_error():
    X, y = labelled([3, 3])
    with pytest.raises(ValueError, match="classes holds 7"):
        plot_samples(X, y, X, y, classes=[0, 7])


def test_missing_matplotlib_names_the_extra(monkeypatch):
    X, y = labelled([3, 3])
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "gansampler\[plot\]"'):
        plot_samples(X, y, X, y)
