"""Bad and edge inputs: each gets a clear error naming the parameter, the
value or the file, or works exactly like the plain input it stands for.

The cases are those of the hardening issue (13) and the kinds of input that
already got a clear error before it. The networks are shrunk and trained for
one epoch, for speed: the tests are about what is refused, not what is
learned.
"""

import os
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

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
from gansampler.datasets import load_medmnist
from gansampler.metrics import frechet_distance

RNG = np.random.RandomState(0)
X = RNG.randint(0, 256, size=(24, 8, 8)).astype(np.uint8)
Y = np.r_[np.zeros(16, int), np.ones(8, int)]
# One epoch and small networks, for speed (see the module docstring).
TINY_GAN = dict(n_epochs=1, n_filters=4, latent_dim=4)


def make_estimators():
    return [
        CNNClassifier(n_epochs=1, random_state=0),
        SuperpixelSampler(random_state=0),
        DCGANSampler(**TINY_GAN, random_state=0),
        InfoGANSampler(**TINY_GAN, random_state=0),
        FeatureGANSampler(**TINY_GAN, encoder_epochs=1, random_state=0),
        FeatureSMOTESampler(n_filters=4, encoder_epochs=1, random_state=0),
        VarianceTransferSampler(n_filters=4, encoder_epochs=1, random_state=0),
        M2mSampler(
            classifier=CNNClassifier(n_epochs=1, random_state=0), random_state=0
        ),
    ]


ESTIMATORS = make_estimators()
IDS = [type(e).__name__ for e in ESTIMATORS]
GANS = ESTIMATORS[2:5]
GAN_IDS = [type(e).__name__ for e in GANS]
SAMPLERS = ESTIMATORS[1:]
SAMPLER_IDS = IDS[1:]


def fit(estimator, X, y):
    """Fit a classifier, or fit and resample with a sampler."""
    if hasattr(estimator, "predict"):
        return estimator.fit(X, y)
    return estimator.fit_resample(X, y)


def result(estimator, X, y):
    """What a fit gives: probabilities, or the resampled data."""
    if hasattr(estimator, "predict"):
        return estimator.fit(X, y).predict_proba(X)
    return estimator.fit_resample(X, y)


@pytest.fixture(autouse=True)
def quiet():
    # One-epoch fits warn that they have not converged; not the point here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=Warning, module="gansampler")
        yield


# ----------------------------------------------- refused, for every estimator

NAN = np.where(X > 250, np.nan, X.astype(float))
INF = np.where(X > 250, np.inf, X.astype(float))
REFUSED = {
    "nan": (NAN, Y, ValueError, "NaN"),
    "inf": (INF, Y, ValueError, "infinity"),
    "empty": (X[:0], Y[:0], ValueError, "0 sample"),
    "1-d X": (X[0].ravel(), Y[:1], ValueError, "got 1D array.*reshape"),
    "5-d X": (X[..., None, None], Y, ValueError, "5 dimensions"),
    "complex": (X.astype(complex), Y, ValueError, "Complex data"),
    "strings": (X.astype(str), Y, ValueError, "strings"),
    "sparse": (sp.csr_matrix(X.reshape(24, -1).astype(float)), Y, TypeError, "dense"),
    "one class": (X, np.zeros(24, int), ValueError, "1 class"),
    "y length": (X, Y[:5], ValueError, r"\[24, 5\]"),
    "None label": (X, np.r_[["a"] * 20, [None] * 4].astype(object), ValueError, "None"),
    "beyond float32": (X * 1e37, Y, ValueError, "float32.*rescale X"),
    "channels > 4": (np.zeros((24, 3, 8, 8)), Y, ValueError, "transpose"),
}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_input(estimator, case):
    X_bad, y_bad, error, match = REFUSED[case]
    with pytest.raises(error, match=match):
        fit(estimator, X_bad, y_bad)
    assert not hasattr(estimator, "n_features_in_")


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_wrong_image_shape(estimator):
    with pytest.raises(ValueError, match=r"image_shape=\(4, 4\) needs 16"):
        fit(estimator.set_params(image_shape=(4, 4)), X.reshape(24, -1), Y)
    estimator.set_params(image_shape=None)


# A numeric parameter of each estimator (n_epochs where there is one).
NUMERIC = {
    SuperpixelSampler: "max_pixel_ops",
    FeatureSMOTESampler: "k_neighbors",
    VarianceTransferSampler: "encoder_epochs",
    M2mSampler: "n_steps",
}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_bool_for_a_number(estimator):
    # Case 10: bool is an int in Python, so n_epochs=True passed as 1.
    name = NUMERIC.get(type(estimator), "n_epochs")
    bad = estimator.__class__(**{**estimator.get_params(deep=False), name: True})
    with pytest.raises(InvalidParameterError, match=f"{name}.*not a bool"):
        fit(bad, X, Y)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_out_of_range_parameter(estimator):
    name = NUMERIC.get(type(estimator), "n_epochs")
    bad = estimator.__class__(**{**estimator.get_params(deep=False), name: -1})
    with pytest.raises(InvalidParameterError, match=name):
        fit(bad, X, Y)


def test_verbose_true_is_still_allowed():
    # The bool check leaves parameters that take bools on purpose alone.
    CNNClassifier(n_epochs=1, verbose=False, augment=True).fit(X, Y)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_channels_first_warns(estimator):
    # Case 9: (n, 3, 4, 4) reads as 3x4 images with 4 channels.
    X_first = RNG.rand(24, 3, 4, 4)
    with pytest.warns(UserWarning, match=r"channels-first.*transpose\(0, 2, 3, 1\)"):
        fit(estimator, X_first, Y)


def test_channels_last_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        SuperpixelSampler(random_state=0).fit_resample(RNG.rand(24, 8, 8, 3), Y)


# ---------------------------------------------------- silently wrong, fixed


def test_pixel_scale_follows_the_fit():
    # Case 1: uint8 pixels at fit, the same pixels as float64 at predict.
    clf = CNNClassifier(n_epochs=1, random_state=0).fit(X, Y)
    np.testing.assert_allclose(
        clf.predict_proba(X.astype(np.float64)), clf.predict_proba(X), atol=1e-6
    )
    np.testing.assert_allclose(clf.embed(X.astype(np.float32)), clf.embed(X), atol=1e-5)
    with pytest.warns(UserWarning, match=r"X \* 255"):
        clf.predict(X / 255.0)
    with pytest.raises(ValueError, match="fitted on uint8.*0 to 255"):
        clf.predict(X.astype(float) * 2)
    # The other way round the values are read as they are, with a warning.
    on_floats = CNNClassifier(n_epochs=1, random_state=0).fit(X.astype(float), Y)
    with pytest.warns(UserWarning, match="read as they are"):
        on_uint8 = on_floats.predict_proba(X)
    np.testing.assert_allclose(on_uint8, on_floats.predict_proba(X.astype(float)))


def test_frechet_distance_follows_the_fit():
    clf = CNNClassifier(n_epochs=1, random_state=0).fit(X, Y)
    same = frechet_distance(X[:12], X[12:].astype(np.float64), clf)
    assert same == pytest.approx(frechet_distance(X[:12], X[12:], clf), rel=1e-6)


def test_feature_sampler_encode_follows_the_fit():
    sampler = FeatureGANSampler(**TINY_GAN, encoder_epochs=1, random_state=0)
    sampler.fit(X, Y)
    np.testing.assert_allclose(
        sampler.encode(X.astype(np.float64)), sampler.encode(X), atol=1e-5
    )


def test_bool_images_are_thresholded():
    # Case 2: a float output cast with astype(bool) made nearly every pixel
    # True. Bool pixels are 0 and 1, and new ones are thresholded at 0.5.
    X_bool = RNG.rand(24, 8, 8) < 0.3
    made, _ = DCGANSampler(**TINY_GAN, random_state=0).fit_resample(X_bool, Y)
    as_float, _ = DCGANSampler(**TINY_GAN, random_state=0).fit_resample(
        X_bool.astype(np.float32), Y
    )
    assert made.dtype == bool
    np.testing.assert_array_equal(made[24:], as_float[24:] >= 0.5)
    flipped, _ = SuperpixelSampler(mode="geometric", random_state=0).fit_resample(
        X_bool, Y
    )
    # Flips, shifts and rotations keep roughly the share of True pixels.
    assert abs(flipped[24:].mean() - X_bool[16:].mean()) < 0.15


@pytest.mark.parametrize("mode", ["geometric", "both"])
def test_superpixel_refuses_strips(mode):
    # Case 3: 12 values a row read as 1x12 strips; every new row was constant.
    with pytest.raises(ValueError, match=f"mode='{mode}'.*1x12.*image_shape"):
        SuperpixelSampler(mode=mode, random_state=0).fit_resample(RNG.rand(24, 12), Y)
    shaped = SuperpixelSampler(mode=mode, image_shape=(3, 4), random_state=0)
    X_res = shaped.fit_resample(RNG.rand(24, 12), Y)[0]
    assert X_res[24:].std(axis=1).min() > 0


@pytest.mark.parametrize("name", ["../outside/secret.npz", "/etc/secret.npz", ".."])
def test_load_medmnist_stays_in_the_folder(tmp_path, name):
    # Case 4: names with folders in them could reach any file.
    (tmp_path / "outside").mkdir()
    np.savez(tmp_path / "outside" / "secret.npz", train_images=X, train_labels=Y)
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(ValueError, match="bare file name"):
        load_medmnist(name, path=folder)


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "case, match",
    [
        ("lengths", "32 train images but 5 train labels"),  # case 5
        ("not a zip", "not a .npz archive of plain arrays"),  # case 13
        ("truncated", "cannot be read"),
        ("missing keys", r"holds \['images'\]"),
        ("one array", "single array"),
        ("object arrays", "not a .npz archive of plain arrays"),
    ],
)
def test_load_medmnist_bad_files(tmp_path, case, match):
    path = tmp_path / "data.npz"
    if case == "lengths":
        _npz(path, train_images=RNG.rand(32, 4, 4), train_labels=np.zeros(5))
    elif case == "not a zip":
        path.write_text("not an archive")
    elif case == "truncated":
        _npz(tmp_path / "whole.npz", train_images=X, train_labels=Y)
        path.write_bytes((tmp_path / "whole.npz").read_bytes()[:200])
    elif case == "missing keys":
        _npz(path, images=X)
    elif case == "one array":
        with open(path, "wb") as f:
            np.save(f, X)
    else:
        _npz(path, train_images=np.array([None, 1], object), train_labels=Y[:2])
    with pytest.raises(ValueError, match=match) as info:
        load_medmnist("data.npz", path=tmp_path)
    assert str(path) in str(info.value)
    assert "unsafe" not in str(info.value) and "pickle" not in str(info.value)


# FeatureGANSampler is not among them: its generator ends in tanh and its
# discriminator learns at its own rate, so its losses stay bounded.
EXPLODING = ESTIMATORS[:1] + GANS[:2]


@pytest.mark.parametrize(
    "estimator", EXPLODING, ids=[type(e).__name__ for e in EXPLODING]
)
def test_exploding_loss_is_divergence(estimator):
    # Case 6: the loss reached 1e20 within the first epoch and the fit
    # "succeeded".
    name = "learning_rate"
    bad = estimator.__class__(
        **{**estimator.get_params(deep=False), name: 1e10, "n_epochs": 3}
    )
    with pytest.raises(FloatingPointError, match="diverged.*learning_rate"):
        fit(bad, X, Y)
    assert not hasattr(bad, "n_features_in_")


def test_collapsed_generator_warns():
    # Case 6 for FeatureGANSampler: its losses stay bounded at
    # learning_rate=1e10, but every draw becomes the same sample.
    bad = FeatureGANSampler(**{**TINY_GAN, "n_epochs": 3}, encoder_epochs=1)
    with pytest.warns(ConvergenceWarning, match="collapsed.*learning_rate") as record:
        bad.set_params(learning_rate=1e10, random_state=0).fit(X, Y)
    # The warning points at the user's call, from fit_resample too (a fixed
    # stacklevel pointed one frame short there).
    collapsed = [w for w in record if "collapsed" in str(w.message)]
    assert collapsed[0].filename == __file__
    with pytest.warns(ConvergenceWarning, match="collapsed") as record:
        bad.fit_resample(X, Y)
    collapsed = [w for w in record if "collapsed" in str(w.message)]
    assert collapsed[0].filename == __file__
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*collapsed")
        FeatureGANSampler(**TINY_GAN, encoder_epochs=1, random_state=0).fit(X, Y)
        # Images that are all the same: one output is right, not a collapse
        # to blame on the learning rate.
        DCGANSampler(**TINY_GAN, random_state=0).fit(np.full_like(X, 7), Y)


def test_plot_samples_refuses_labels_of_two_kinds():
    # Case 7: 1 never equals "1", so each class drew only one side.
    pytest.importorskip("matplotlib")
    from gansampler.plotting import plot_samples

    with pytest.raises(ValueError, match="y_real holds numbers.*y_fake holds strings"):
        plot_samples(X[:4], [0, 0, 1, 1], X[4:8], ["0", "0", "1", "1"])


@pytest.mark.parametrize("estimator", GANS, ids=GAN_IDS)
def test_checkpoint_dir_refused(estimator, tmp_path):
    # Cases 8 and 17: "" meant the current folder; a file or an impossible
    # place failed with a bare OSError.
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    cases = [
        ("", ValueError, "checkpoint_dir='' is not a folder"),
        (a_file, ValueError, "is a file, not a folder"),
        (a_file / "below", OSError, "checkpoint_dir=.*cannot be created"),
    ]
    for folder, error, match in cases:
        bad = estimator.__class__(
            **{**estimator.get_params(deep=False), "checkpoint_dir": folder}
        )
        with pytest.raises(error, match=match):
            bad.fit(X, Y)
        assert not hasattr(bad, "generator_")
    assert not any(p.suffix == ".pt" for p in tmp_path.iterdir())


@pytest.mark.parametrize("estimator", SAMPLERS, ids=SAMPLER_IDS)
def test_one_hot_binary_target(estimator):
    # Case 11: a one-hot (n, 2) y came back as (n, 1).
    one_hot = np.eye(2, dtype=int)[Y]
    X_res, y_res = estimator.fit_resample(X, one_hot)
    X_ref, y_ref = estimator.fit_resample(X, Y)
    assert y_res.shape == (len(y_ref), 2)
    np.testing.assert_array_equal(y_res.argmax(axis=1), y_ref)
    np.testing.assert_array_equal(X_res, X_ref)
    frame = pd.DataFrame(one_hot, columns=["normal", "disease"])
    y_frame = estimator.fit_resample(X, frame)[1]
    assert list(y_frame.columns) == ["normal", "disease"]


@pytest.mark.parametrize("estimator", GANS, ids=GAN_IDS)
def test_corrupt_checkpoint_is_set_aside(estimator, tmp_path):
    # Case 12: an unreadable checkpoint blocked every later fit with torch's
    # advice to unpickle it unsafely.
    params = {**estimator.get_params(deep=False), "checkpoint_dir": tmp_path}
    expected = estimator.__class__(**params).fit_resample(X, Y)[0]
    for path in tmp_path.glob("*.pt"):
        path.write_bytes(b"not a checkpoint")
    with pytest.warns(UserWarning, match=r"could not be read.*moved to .*\.corrupt"):
        X_res = estimator.__class__(**params).fit_resample(X, Y)[0]
    np.testing.assert_array_equal(X_res, expected)
    assert list(tmp_path.glob("*.corrupt"))


def test_huge_counts_name_the_parameter():
    # Case 15: numpy's allocator failed with a message naming neither.
    sampler = DCGANSampler(**TINY_GAN, random_state=0).fit(X, Y)
    with pytest.raises(MemoryError, match="n_samples=1000000000000"):
        sampler.sample(10**12, y=1)
    huge = SuperpixelSampler(sampling_strategy={1: 10**12}, random_state=0)
    with pytest.raises(MemoryError, match="sampling_strategy=.*ask for fewer"):
        huge.fit_resample(X, Y)
    # Features too, refused before training; a failed call leaves a sampler
    # fitted before unfitted.
    features = FeatureSMOTESampler(n_filters=4, encoder_epochs=1, random_state=0)
    features.fit(X, Y)
    with pytest.raises(MemoryError, match="sampling_strategy=.*ask for fewer"):
        features.set_params(sampling_strategy={1: 10**12}).fit_resample_features(X, Y)
    assert not hasattr(features, "n_features_out_")
    features.set_params(sampling_strategy="auto").fit(X, Y)
    with pytest.raises(ValueError, match="filter_threshold judges new images"):
        features.set_params(filter_threshold=0.9).fit_resample_features(X, Y)
    assert not hasattr(features, "n_features_out_")


@pytest.mark.parametrize("estimator", SAMPLERS, ids=SAMPLER_IDS)
@pytest.mark.parametrize(
    "strategy",
    [{1: 12.0}, lambda y: {1: 12.5}],
    ids=["float", "callable"],
)
def test_counts_that_are_not_whole_numbers(estimator, strategy):
    # imbalanced-learn passes these through; they failed after training,
    # inside numpy, naming nothing.
    sampler = estimator.set_params(sampling_strategy=strategy)
    with pytest.raises(ValueError, match="must be whole numbers"):
        sampler.fit_resample(X, Y)
    assert not hasattr(sampler, "sampling_strategy_")
    sampler.set_params(sampling_strategy="auto")


def test_validation_split_too_small():
    # Case 18: the error spoke of test_size.
    clf = CNNClassifier(n_epochs=1, early_stopping=True, validation_fraction=0.99)
    with pytest.raises(ValueError, match="validation_fraction=0.99 .*early_stopping"):
        clf.fit(X, Y)


def test_architecture_of_the_wrong_shape():
    # Case 18: "mat1 and mat2 shapes cannot be multiplied".
    def wrong(n_channels, n_classes):
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(10, n_classes))

    def too_many(n_channels, n_classes):
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(64, 5))

    with pytest.raises(ValueError, match="architecture.*fails on a batch"):
        CNNClassifier(architecture=wrong, n_epochs=1).fit(X, Y)
    with pytest.raises(ValueError, match=r"architecture.*must give logits of shape"):
        CNNClassifier(architecture=too_many, n_epochs=1).fit(X, Y)


# --------------------------------------------------- accepted, same result


def _read_only(X):
    X = X.copy()
    X.flags.writeable = False
    return X


def _memmap(X, folder):
    path = os.path.join(folder, "X.dat")
    mapped = np.memmap(path, dtype=X.dtype, mode="w+", shape=X.shape)
    mapped[:] = X
    mapped.flush()
    return np.memmap(path, dtype=X.dtype, mode="r", shape=X.shape)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_other_containers_same_result(estimator, tmp_path):
    expected = result(estimator, X, Y)
    wide = np.zeros((24, 8, 16), np.uint8)
    wide[:, :, ::2] = X
    variants = {
        "strided": (wide[:, :, ::2], Y),
        "read-only": (_read_only(X), Y),
        "memmap": (_memmap(X, tmp_path), Y),
        "DataFrame": (pd.DataFrame(X.reshape(24, -1)), Y),
    }
    for name, (X_v, y_v) in variants.items():
        got = result(estimator, X_v, y_v)
        if name == "DataFrame":  # flat rows in, flat rows out
            got = (
                (np.asarray(got[0]).reshape(-1, 8, 8), got[1])
                if isinstance(got, tuple)
                else got
            )
        if isinstance(got, tuple):
            np.testing.assert_array_equal(np.asarray(got[0]), expected[0], err_msg=name)
            np.testing.assert_array_equal(got[1], expected[1], err_msg=name)
        else:
            np.testing.assert_allclose(got, expected, err_msg=name)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=IDS)
def test_string_labels_same_result(estimator):
    expected = result(estimator, X, Y)
    names = np.array(["normal", "pneumonia"])[Y]
    got = result(estimator, X, names)
    if isinstance(got, tuple):
        np.testing.assert_array_equal(got[0], expected[0])
        np.testing.assert_array_equal(
            got[1], np.array(["normal", "pneumonia"])[expected[1]]
        )
    else:
        np.testing.assert_allclose(got, expected)


# ------------------------------------------- issue 24: inputs still mishandled


@pytest.mark.parametrize("label", [None, [None, 1, 1]], ids=["one", "per image"])
def test_sample_with_no_label(label):
    # Case 10: numpy's "'<' not supported between NoneType" instead.
    sampler = DCGANSampler(**TINY_GAN, random_state=0).fit(X, Y)
    with pytest.raises(ValueError, match=r"y holds labels \[None\], which are not"):
        sampler.sample(3, label)


def test_superpixel_keeps_thin_strokes_of_bool_images(digits):
    # Case 11: rounding at one half after a blur or a superpixel average
    # erased thin strokes: 54 of 160 new digits came out blank, silently.
    X, y = digits
    keep = (y == 0) | ((y == 1) & (np.arange(len(y)) % 10 == 0))
    strokes, labels = X[keep] > 8, y[keep]
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        made = SuperpixelSampler(mode="superpixel", random_state=0).fit_resample(
            strokes, labels
        )[0][len(strokes) :]
    blank = int((made.reshape(len(made), -1).sum(1) == 0).sum())
    assert blank <= len(made) // 10
    # The few that a median blur erases are named, at the user's line.
    erased = [w for w in got if "erased every pixel" in str(w.message)]
    assert (blank > 0) == bool(erased)
    assert all(f"of {blank} of {len(made)} new" in str(w.message) for w in erased)
    assert all(w.filename == __file__ for w in erased)
    # Geometric changes alone keep every stroke and say nothing.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        made = SuperpixelSampler(mode="geometric", random_state=0).fit_resample(
            strokes, labels
        )[0][len(strokes) :]
    assert made.reshape(len(made), -1).sum(1).min() > 0
