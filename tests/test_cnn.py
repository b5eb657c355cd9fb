"""CNNClassifier: layouts, training options, errors and reproducibility."""

import copy
import pickle

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from gansampler import CNNClassifier
from gansampler._augment import random_affine
from gansampler._torch import INFERENCE_CHUNK, minibatches
from gansampler.neural_network._loop import Loop
from gansampler.neural_network._losses import CrossEntropy

FAST = dict(n_epochs=3, batch_size=32, random_state=0, device="cpu")


def fit_proba(X, y, X_eval=None, **params):
    clf = CNNClassifier(**{**FAST, **params}).fit(X, y)
    return clf, clf.predict_proba(X if X_eval is None else X_eval)


def test_learns_digits(digits):
    X, y = digits
    clf = CNNClassifier(n_epochs=10, batch_size=32, random_state=0).fit(X[::2], y[::2])
    assert clf.score(X[1::2], y[1::2]) > 0.9
    assert clf.n_iter_ == 10 and len(clf.history_) == 10
    assert clf.history_[-1]["train_loss"] < clf.history_[0]["train_loss"]
    assert clf.n_features_in_ == 64
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2, 3])


def test_2d_3d_4d_forms_give_the_same_predictions(digits_uint8):
    X, y = digits_uint8
    _, reference = fit_proba(X, y)
    forms = {
        "flat-inferred": dict(X=X.reshape(len(X), -1)),
        "flat-shape": dict(X=X.reshape(len(X), -1), image_shape=(8, 8)),
        "4d": dict(X=X[..., None]),
    }
    for name, kwargs in forms.items():
        _, proba = fit_proba(y=y, **kwargs)
        np.testing.assert_array_equal(proba, reference, err_msg=name)


def test_rgb_flat_and_4d_give_the_same_predictions(digits_uint8):
    X, y = digits_uint8
    rgb = np.stack([X, X[:, ::-1], X.transpose(0, 2, 1)], axis=-1)
    clf, proba = fit_proba(rgb, y)
    _, flat = fit_proba(rgb.reshape(len(X), -1), y, image_shape=(8, 8, 3))
    np.testing.assert_array_equal(flat, proba)
    # A fitted classifier reads flat rows with the geometry it was fitted on.
    np.testing.assert_array_equal(clf.predict_proba(rgb.reshape(len(X), -1)), proba)


def test_string_labels_and_probabilities(digits):
    X, y = digits
    names = np.array(["zero", "one", "two", "three"])[y]
    clf, proba = fit_proba(X, names)
    assert set(clf.predict(X)) <= set(names)
    np.testing.assert_array_equal(clf.classes_, np.sort(np.unique(names)))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


@pytest.mark.parametrize("architecture", ["light", "lenet5", "vgg", "resnet"])
@pytest.mark.parametrize(
    "size, channels", [(8, 1), (12, 3), (224, 3)], ids=["8-gray", "12-rgb", "224-rgb"]
)
def test_architectures_take_8_to_224_pixels(architecture, size, channels):
    if architecture == "lenet5" and size < 12:
        pytest.skip("lenet5 needs 12x12; its error is tested below")
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(6, size, size, channels)).astype(np.uint8)
    y = np.array([0, 1, 2, 0, 1, 2])
    clf = CNNClassifier(architecture=architecture, n_epochs=1, random_state=0).fit(X, y)
    assert clf.predict_proba(X).shape == (6, 3)
    assert clf.embed(X).ndim == 2


def test_light_has_about_a_tenth_of_a_million_parameters(digits):
    X, y = digits
    clf, _ = fit_proba(X, y, n_epochs=1)
    n_params = sum(p.numel() for p in clf.module_.parameters())
    assert 80_000 <= n_params <= 120_000


def test_callable_architecture(digits):
    X, y = digits
    calls = []

    def tiny(n_channels, n_classes):
        calls.append((n_channels, n_classes))
        return torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(64 * n_channels, n_classes)
        )

    clf, proba = fit_proba(X, y, architecture=tiny)
    assert calls == [(1, 4)]
    assert proba.shape == (len(X), 4)
    assert clf.score(X, y) > 0.8


def test_callable_that_returns_no_module_is_an_error(digits):
    X, y = digits
    with pytest.raises(ValueError, match="architecture must return a torch.nn.Module"):
        CNNClassifier(architecture=lambda c, k: "net", **FAST).fit(X, y)


def test_same_random_state_same_result_and_global_state_untouched(digits):
    X, y = digits
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    np_pos = np.random.get_state()[2]
    _, first = fit_proba(X, y, augment=True)
    _, second = fit_proba(X, y, augment=True)
    _, other = fit_proba(X, y, augment=True, random_state=1)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)
    assert torch.equal(torch.get_rng_state(), torch_state)
    CNNClassifier(n_epochs=1, random_state=None).fit(X, y)
    np.testing.assert_array_equal(np.random.get_state()[1], np_state)
    assert np.random.get_state()[2] == np_pos  # no draw from the global state


def test_balanced_class_weight_equals_the_explicit_dict(digits):
    X, y = digits
    keep = (y != 3) | (np.arange(len(y)) % 10 == 0)
    X, y = X[keep], y[keep]
    counts = np.bincount(y)
    explicit = {k: len(y) / (4 * c) for k, c in enumerate(counts)}
    # On the CPU: only there do two fits of the same seed give the same
    # floats (CUDA's convolution gradients sum in no fixed order). The same
    # weights to the bit: a weight one float32 step apart once grew to 1e-3
    # in the probabilities on a 16-core machine.
    _, balanced = fit_proba(X, y, class_weight="balanced", device="cpu")
    _, as_dict = fit_proba(X, y, class_weight=explicit, device="cpu")
    _, unweighted = fit_proba(X, y, device="cpu")
    np.testing.assert_array_equal(balanced, as_dict)
    assert not np.allclose(balanced, unweighted)


def test_heavy_class_weight_wins(digits):
    X, y = digits
    weights = {0: 1000, 1: 1e-4, 2: 1e-4, 3: 1e-4}
    clf, _ = fit_proba(X, y, class_weight=weights, n_epochs=5, learning_rate=1e-2)
    assert np.mean(clf.predict(X) == 0) > 0.9
    unweighted, _ = fit_proba(X, y, n_epochs=5, learning_rate=1e-2)
    assert np.mean(unweighted.predict(X) == 0) < 0.3


def test_class_weight_for_an_unknown_class_is_an_error(digits):
    X, y = digits
    with pytest.raises(ValueError, match="class_weight has a weight for class 7"):
        CNNClassifier(class_weight={7: 2.0}, **FAST).fit(X, y)


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_optimizers_and_cosine_schedule(digits, optimizer):
    X, y = digits
    clf, _ = fit_proba(X, y, optimizer=optimizer, learning_rate=0.05, n_epochs=8)
    rates = [h["learning_rate"] for h in clf.history_]
    assert rates == sorted(rates, reverse=True) and rates[-1] < 0.05 * 0.2
    assert clf.score(X, y) > 0.7
    constant, _ = fit_proba(X, y, optimizer=optimizer, lr_schedule="constant")
    assert {h["learning_rate"] for h in constant.history_} == {1e-3}


def test_random_affine_moves_pixels_but_keeps_shape():
    images = torch.rand(16, 3, 10, 12)
    generator = torch.Generator().manual_seed(0)
    moved = random_affine(images, generator)
    assert moved.shape == images.shape
    assert not torch.allclose(moved, images)
    still = random_affine(images, generator, max_shift=0, max_degrees=0, flip=False)
    torch.testing.assert_close(still, images, atol=1e-5, rtol=0)


@pytest.mark.parametrize("shape", [(16, 64), (64, 16), (40, 40)])
def test_random_affine_rotates_non_square_images_without_shearing(shape):
    # A blob 6 pixels right of the centre stays 6 pixels from it, whatever
    # the angle and the aspect ratio.
    height, width = shape
    images = torch.zeros(32, 1, height, width)
    r, c = height // 2, width // 2
    images[:, :, r - 1 : r + 1, c + 5 : c + 7] = 1.0
    generator = torch.Generator().manual_seed(0)
    moved = random_affine(images, generator, max_shift=0, max_degrees=40, flip=False)
    rows, cols = torch.meshgrid(
        torch.arange(height) + 0.5, torch.arange(width) + 0.5, indexing="ij"
    )
    mass = moved[:, 0].sum((1, 2))
    dy = (moved[:, 0] * rows).sum((1, 2)) / mass - height / 2
    dx = (moved[:, 0] * cols).sum((1, 2)) / mass - width / 2
    torch.testing.assert_close(
        torch.hypot(dx, dy), torch.full((32,), 6.0), atol=0.3, rtol=0
    )
    # A bfloat16 batch is moved as a float32 one is, and stays bfloat16.
    generator = torch.Generator().manual_seed(1)
    half = random_affine(images.bfloat16(), generator)
    generator = torch.Generator().manual_seed(1)
    full = random_affine(images, generator)
    assert half.dtype == torch.bfloat16
    torch.testing.assert_close(half.float(), full, atol=1e-2, rtol=0)


def test_augment_changes_training(digits):
    X, y = digits
    _, plain = fit_proba(X, y)
    _, augmented = fit_proba(X, y, augment=True)
    assert not np.allclose(plain, augmented)


def test_early_stopping_stops_and_records_validation(digits):
    X, y = digits
    # A huge tol makes every epoch after the first count as no improvement.
    clf, _ = fit_proba(
        X, y, n_epochs=30, early_stopping=True, n_iter_no_change=2, tol=1e9
    )
    assert clf.n_iter_ == 3
    assert {"valid_loss", "valid_score"} <= set(clf.history_[-1])
    assert 0.0 <= clf.history_[-1]["valid_score"] <= 1.0


def test_partial_fit_goes_on_from_the_current_weights(digits):
    X, y = digits
    clf = CNNClassifier(**FAST)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1, 2, 3])
    assert clf.n_iter_ == 1
    before = [p.detach().clone() for p in clf.module_.parameters()]
    clf.partial_fit(X[100:], y[100:])
    assert clf.n_iter_ == 2 and len(clf.history_) == 2
    after = list(clf.module_.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    fitted = CNNClassifier(**FAST).fit(X, y)
    fitted.partial_fit(X, y)
    assert fitted.n_iter_ == FAST["n_epochs"] + 1


def test_partial_fit_errors(digits):
    X, y = digits
    clf = CNNClassifier(**FAST).partial_fit(X, y)
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X, y + 10)
    with pytest.raises(ValueError, match="not in classes="):
        CNNClassifier(**FAST).partial_fit(X, y, classes=[0, 1])
    # classes are checked as labels are; later calls keep the first's.
    with pytest.raises(ValueError, match="None"):
        CNNClassifier(**FAST).partial_fit(X, y, classes=[0, 1, 2, 3, None])
    with pytest.raises(ValueError, match="True is not the class 1"):
        CNNClassifier(**FAST).partial_fit(X, y == 1, classes=[0, 1])
    with pytest.raises(ValueError, match="is not classes_"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="True is not the class 1"):
        clf.partial_fit(X, y == 1)
    # With classes given, a first batch may hold one class (a stream's may).
    ones = y == 1
    one = CNNClassifier(**FAST).partial_fit(X[ones], y[ones], classes=[0, 1, 2, 3])
    assert one.classes_.tolist() == [0, 1, 2, 3]
    # The device parameter as it is now, not the one of the first fit.
    clf.device_ = torch.device("cuda")  # as if fitted on a GPU
    clf.set_params(device="cpu").partial_fit(X, y)
    assert clf.device_ == torch.device("cpu")


def test_bad_class_weights_are_named(digits):
    X, y = digits
    for weights, match in [
        ({1: -5.0}, "weights must be finite numbers >= 0"),
        ({1: float("nan")}, "weights must be finite numbers >= 0"),
        ({1: "3"}, "weights must be finite numbers >= 0"),
        ({True: 2.0}, "class_weight's keys holds labels of dtype bool.*True is not"),
        ({0: 0, 1: 0, 2: 0, 3: 0}, "leaves every class of weight 0"),
    ]:
        with pytest.raises(ValueError, match=match):
            CNNClassifier(class_weight=weights, **FAST).fit(X, y)


def test_verbose_shows_a_progress_bar(digits, capsys):
    X, y = digits
    fit_proba(X, y, verbose=1)
    assert "epoch" in capsys.readouterr().err
    fit_proba(X, y)
    assert capsys.readouterr().err == ""


def test_pickle_clone_and_deepcopy_keep_predictions(digits):
    X, y = digits
    clf, proba = fit_proba(X, y)
    assert next(clf.module_.parameters()).device.type == "cpu"
    for other in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        np.testing.assert_array_equal(other.predict_proba(X), proba)


def test_fitted_on_cuda_predicts_on_a_machine_without_it(digits):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    X, y = digits
    clf, proba = fit_proba(X, y)
    # A model fitted on a GPU, pickled: module on the CPU, device_ CUDA.
    clf.device_ = torch.device("cuda")
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), proba)


@pytest.mark.parametrize(
    "X, y, params, match",
    [
        (np.full((4, 8, 8), np.nan), [0, 1, 0, 1], {}, "NaN"),
        (np.full((4, 8, 8), np.inf), [0, 1, 0, 1], {}, "infinity"),
        (np.zeros((4, 2, 8, 8, 1)), [0, 1, 0, 1], {}, "with 5 dimensions"),
        (np.zeros((4, 63)), [0, 1, 0, 1], {"image_shape": (8, 8)}, "needs 64 features"),
        (np.zeros((4, 8, 8)), [1, 1, 1, 1], {}, "at least 2 classes; got 1 class"),
        (np.zeros((4, 8, 8)), [0, 1, 0], {}, "inconsistent numbers of samples"),
        (
            np.zeros((4, 8, 8)),
            [0, 1, 0, 1],
            {"architecture": "lenet5"},
            "at least 12x12",
        ),
        (
            np.zeros((4, 8, 8)),
            [0, 1, 0, 1],
            {"architecture": "alexnet"},
            "'architecture' parameter",
        ),
        (np.zeros((4, 8, 8)), [0, 1, 0, 1], {"n_epochs": 0}, "'n_epochs' parameter"),
        (np.zeros((4, 8, 8)), [0.5, 1.5, 0.2, 1], {}, "Unknown label type"),
    ],
    ids=[
        "nan",
        "inf",
        "5d",
        "image-shape",
        "one-class",
        "y-length",
        "too-small",
        "architecture",
        "n-epochs",
        "continuous-y",
    ],
)
def test_bad_input_is_a_clear_value_error(X, y, params, match):
    with pytest.raises(ValueError, match=match):
        CNNClassifier(**{**FAST, **params}).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_cuda_is_a_clear_error(digits):
    X, y = digits
    with pytest.raises(
        ValueError, match="device='cuda' was requested, but CUDA is not available"
    ):
        CNNClassifier(n_epochs=1, device="cuda").fit(X, y)


def test_predict_on_other_images_is_an_error(digits):
    X, y = digits
    clf, _ = fit_proba(X, y)
    with pytest.raises(ValueError, match=r"fitted on images of shape \(8, 8, 1\)"):
        clf.predict(np.zeros((2, 9, 9)))
    with pytest.raises(
        ValueError, match="X has 10 features, but CNNClassifier is expecting 64"
    ):
        clf.predict(np.zeros((2, 10)))


def test_unfitted_raises_not_fitted_error(digits):
    X, _ = digits
    for method in ("predict", "predict_proba", "embed"):
        with pytest.raises(NotFittedError):
            getattr(CNNClassifier(), method)(X)


class FailingNetwork(torch.nn.Module):
    """Trains normally for ``n_ok`` forward calls, then raises."""

    def __init__(self, n_channels, n_classes, n_ok):
        super().__init__()
        self.linear = torch.nn.Linear(64 * n_channels, n_classes)
        self.calls = 0
        self.n_ok = n_ok

    def forward(self, x):
        self.calls += 1
        if self.calls > self.n_ok:
            raise RuntimeError("simulated failure midway through training")
        return self.linear(x.flatten(1))


def test_a_fit_that_fails_midway_leaves_the_estimator_unfitted(digits):
    X, y = digits
    clf = CNNClassifier(**FAST).fit(X, y)
    clf.set_params(architecture=lambda c, k: FailingNetwork(c, k, n_ok=5))
    with pytest.raises(RuntimeError, match="simulated failure"):
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)
    assert not hasattr(clf, "classes_") and not hasattr(clf, "history_")


def test_a_partial_fit_that_fails_leaves_the_estimator_as_it_was(digits):
    X, y = digits
    clf = CNNClassifier(
        architecture=lambda c, k: FailingNetwork(c, k, n_ok=4),
        **{k: v for k, v in FAST.items()},
    )
    # The check of a user's architecture on blank images, then 2 batches of
    # 32: 3 forward calls.
    clf.partial_fit(X[:60], y[:60])
    proba = clf.predict_proba(X[:INFERENCE_CHUNK])  # one chunk: 4 calls in all
    with pytest.raises(RuntimeError, match="simulated failure"):
        clf.partial_fit(X, y)
    assert clf.n_iter_ == 1 and len(clf.history_) == 1
    clf.module_.features.n_ok = 10**6
    np.testing.assert_array_equal(clf.predict_proba(X[:INFERENCE_CHUNK]), proba)


# ------------------------------------------------------------ sample_weight


def test_sample_weight_scale_does_not_matter(digits):
    X, y = digits
    weights = np.where(y == 3, 4.0, 1.0)
    a = CNNClassifier(**FAST).fit(X, y, sample_weight=weights).predict_proba(X)
    b = CNNClassifier(**FAST).fit(X, y, sample_weight=weights * 10).predict_proba(X)
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_sample_weight_zero_removes_images_with_class_weights(digits):
    X, y = digits
    keep = np.arange(len(y)) % 3 != 0
    params = dict(FAST, class_weight="balanced")
    weighted = CNNClassifier(**params).fit(X, y, sample_weight=keep.astype(float))
    removed = CNNClassifier(**params).fit(X[keep], y[keep])
    np.testing.assert_array_equal(weighted.predict_proba(X), removed.predict_proba(X))


def test_sample_weight_pulls_towards_heavy_images(digits):
    X, y = digits
    light = CNNClassifier(**FAST).fit(X, y)
    heavy = CNNClassifier(**FAST).fit(X, y, sample_weight=np.where(y == 3, 20.0, 1.0))
    column = list(light.classes_).index(3)
    pull = [c.predict_proba(X)[:, column].mean() for c in (light, heavy)]
    assert pull[1] > pull[0]


def test_sample_weight_in_partial_fit_and_bad_weights(digits):
    X, y = digits
    clf = CNNClassifier(**FAST)
    clf.partial_fit(X, y, sample_weight=np.ones(len(y)))
    clf.partial_fit(X, y, sample_weight=np.where(y == 3, 2.0, 1.0))
    assert clf.n_iter_ == 2
    with pytest.raises(ValueError, match="Negative values"):
        CNNClassifier(**FAST).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="sample_weight.shape"):
        CNNClassifier(**FAST).fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="sample_weight holds booleans"):
        CNNClassifier(**FAST).fit(X, y, sample_weight=y > 0)
    with pytest.raises(ValueError, match="beyond float32's range"):
        CNNClassifier(**FAST).fit(X, y, sample_weight=np.full(len(y), 1e300))
    # Weight 0 leaves an image out: one class left with weight is refused
    # as one class in y is.
    one_class = (y == y[0]).astype(float)
    with pytest.raises(ValueError, match="2 classes with sample_weight > 0; got 1"):
        CNNClassifier(**FAST).fit(X, y, sample_weight=one_class)


# ------------------------------------------------------------ the loop's seam


class RecordedLoss:
    """A loss object as a new loss would be one: records each call."""

    def __init__(self, scale=1.0):
        self.scale, self.calls = scale, []

    def __call__(self, logits, targets, weights):
        self.calls.append((targets, weights))
        return self.scale * CrossEntropy()(logits, targets, weights)


class LateWeights:
    """A plan as deferred re-weighting would be one: weights after epoch 0.
    Each image's weight is its index, so that a batch's weights name it."""

    def batches(self, epoch, generator):
        return minibatches(8, 4, generator)

    def weights(self, epoch):
        return None if epoch == 0 else torch.arange(8.0)


@pytest.mark.parametrize("scale", [1.0, 0.0], ids=["cross-entropy", "zero"])
def test_the_loop_steps_on_the_loss_and_weights_it_is_given(scale):
    images = torch.linspace(0, 1, 32).reshape(8, 4)
    targets = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    module = torch.nn.Linear(4, 3)
    start = copy.deepcopy(module.state_dict())
    loss = RecordedLoss(scale)
    history = []
    trained = Loop(
        module,
        torch.optim.SGD(module.parameters(), lr=0.5),
        loss,
        images,
        targets,
        device=torch.device("cpu"),
        generator=torch.Generator().manual_seed(0),
    ).run(LateWeights(), 2, history, first_epoch=3, advice="")
    assert trained == 2 and [r["epoch"] for r in history] == [4, 5]
    # Two batches an epoch; the plan's weights from the second epoch on,
    # cut to each batch: the weights name the images whose targets came.
    assert [w is None for _, w in loss.calls] == [True, True, False, False]
    late = [(t, w.long()) for t, w in loss.calls[2:]]
    assert all(torch.equal(t, targets[rows]) for t, rows in late)
    assert torch.equal(torch.cat([rows for _, rows in late]).sort()[0], torch.arange(8))
    # The step descends the loss it is given: a zero loss moves nothing.
    moved = any(not torch.equal(v, start[k]) for k, v in module.state_dict().items())
    assert moved == (scale != 0) and (history[-1]["train_loss"] == 0) == (scale == 0)
