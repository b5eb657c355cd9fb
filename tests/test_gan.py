"""DCGANSampler and InfoGANSampler on the shared adversarial training engine."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError

from gansampler import (
    DCGANSampler,
    FeatureGANSampler,
    InfoGANSampler,
    SuperpixelSampler,
)
from gansampler.over_sampling._features import space as feature_space
from gansampler.over_sampling._gan import steps, trainer

RNG = np.random.RandomState(0)
Y = np.array([0] * 12 + [1] * 4)
GRAY = RNG.randint(0, 256, size=(16, 28, 28)).astype(np.uint8)
RGB = RNG.randint(0, 256, size=(16, 32, 32, 3)).astype(np.uint8)
TABLE = RNG.normal(size=(16, 10)) * 5 + 2

LAYOUTS = {
    "3d-gray-28": (GRAY, {}),
    "4d-rgb-32": (RGB, {}),
    "flat-28": (GRAY.reshape(16, -1), {"image_shape": (28, 28)}),
    "tabular-10-columns": (TABLE, {}),
}
SAMPLERS = {
    "dcgan": DCGANSampler,
    "infogan": InfoGANSampler,
    "featuregan": FeatureGANSampler,
}


def tiny(cls, **params):
    """A sampler that trains in well under a second."""
    settings = dict(n_epochs=2, batch_size=8, n_filters=4, latent_dim=8, random_state=0)
    if cls is FeatureGANSampler:
        # encoder_epochs=2 cuts its first stage (the autoencoder, at least 200
        # steps by default) as n_epochs cuts the GAN: these tests check
        # layouts, seeds, checkpoints and errors, not the feature space, which
        # test_feature_gan.py trains at its defaults.
        settings["encoder_epochs"] = 2
    settings.update(params)
    return cls(device="cpu", **settings)


@pytest.mark.parametrize("name", list(SAMPLERS))
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_layout_dtype_range_counts_and_originals(name, layout):
    X, params = LAYOUTS[layout]
    if name == "featuregan":
        # Eight distinct images need the encoder's default budget: at
        # encoder_epochs=2 the decoder repeats images.
        params = {**params, "encoder_epochs": "auto"}
    sampler = tiny(SAMPLERS[name], **params)
    X_res, y_res = sampler.fit_resample(X, Y)
    assert X_res.dtype == X.dtype and X_res.shape == (24,) + X.shape[1:]
    np.testing.assert_array_equal(X_res[:16], X)
    np.testing.assert_array_equal(y_res[:16], Y)
    assert sampler.sampling_strategy_ == {1: 8}
    np.testing.assert_array_equal(np.bincount(y_res), [12, 12])
    made = X_res[16:]
    # Generated values stay within the range of the training data (per
    # channel for images, per column for tables).
    axis = 0 if layout.startswith("tabular") else None
    assert np.all(made.min(axis=axis) >= X.min(axis=axis))
    assert np.all(made.max(axis=axis) <= X.max(axis=axis))
    assert len(np.unique(made.reshape(8, -1), axis=0)) == 8


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_same_random_state_is_bit_identical(name):
    runs = [
        tiny(SAMPLERS[name], random_state=s).fit_resample(GRAY, Y)[0] for s in (3, 3, 4)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0][16:], runs[2][16:])


def test_global_random_state_untouched():
    np_state, torch_state = np.random.get_state(), torch.get_rng_state()
    sampler = tiny(InfoGANSampler).fit(GRAY, Y)
    sampler.sample(5, 1)
    sampler.sample(5, 1, random_state=0)
    # random_state=None draws fresh entropy, not numpy's global state.
    tiny(DCGANSampler, random_state=None).fit_resample(GRAY, Y)
    SuperpixelSampler(random_state=None).fit_resample(GRAY, Y)
    after = np.random.get_state()
    # The key and the position in it: a draw moves the position.
    assert np.array_equal(after[1], np_state[1]) and after[2] == np_state[2]
    assert torch.equal(torch.get_rng_state(), torch_state)
    with pytest.raises(ValueError, match="random_state=True"):
        sampler.sample(5, 1, random_state=True)


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_fitted_attributes_rest_on_cpu(name):
    sampler = tiny(SAMPLERS[name], n_epochs=3).fit(GRAY, Y)
    assert [h["epoch"] for h in sampler.history_] == [1, 2, 3]
    assert sampler.n_iter_ == 3
    extra = {"infogan": {"code_loss"}, "featuregan": {"classifier_loss"}}
    keys = {"d_loss", "g_loss", "duration"} | extra.get(name, set())
    assert set(sampler.history_[0]) == {"epoch"} | keys
    assert all(np.isfinite(h["d_loss"]) for h in sampler.history_)
    np.testing.assert_array_equal(sampler.classes_, [0, 1])
    assert sampler.device_ == torch.device("cpu")
    for net in (sampler.generator_, sampler.discriminator_):
        assert all(p.device.type == "cpu" for p in net.parameters())
        assert not net.training


def test_sample_draws_more_images_without_refitting():
    sampler = tiny(DCGANSampler).fit(GRAY, Y)
    X = sampler.sample(5, y=1, random_state=0)
    assert X.shape == (5, 28, 28) and X.dtype == np.uint8
    np.testing.assert_array_equal(X, sampler.sample(5, y=1, random_state=0))
    assert not np.array_equal(X, sampler.sample(5, y=1, random_state=1))
    mixed = sampler.sample(4, y=[0, 1, 1, 0], random_state=0)
    assert mixed.shape == (4, 28, 28)
    # The label is an input of the generator: same noise, other class, other image.
    zero = sampler.sample(5, y=0, random_state=0)
    assert not np.array_equal(zero, X)


def test_sample_with_string_labels_and_flat_output():
    labels = np.where(Y == 1, "pneumonia", "normal")
    sampler = tiny(DCGANSampler, image_shape=(28, 28)).fit(GRAY.reshape(16, -1), labels)
    np.testing.assert_array_equal(sampler.classes_, ["normal", "pneumonia"])
    assert sampler.sample(3, "pneumonia").shape == (3, 784)
    with pytest.raises(ValueError, match=r"labels \['flu'\].*classes_"):
        sampler.sample(3, "flu")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_samples": 0, "y": 1}, "n_samples must be a positive integer"),
        ({"n_samples": 2.5, "y": 1}, "n_samples must be a positive integer"),
        ({"n_samples": 3, "y": [0, 1]}, r"y must be one label or 3 labels"),
        ({"n_samples": 2, "y": 7}, r"labels \[7\]"),
    ],
    ids=["zero", "float", "wrong-length", "unknown-label"],
)
def test_sample_bad_arguments(kwargs, match):
    sampler = tiny(DCGANSampler).fit(GRAY, Y)
    with pytest.raises(ValueError, match=match):
        sampler.sample(**kwargs)


def test_sample_before_fit_is_not_fitted_error():
    with pytest.raises(NotFittedError):
        DCGANSampler().sample(3, 1)
    with pytest.raises(NotFittedError):
        InfoGANSampler().sample(3, 1, categorical=[0])


def test_infogan_codes_steer_the_images():
    sampler = tiny(InfoGANSampler, categorical_codes=(3, 2), continuous_codes=1).fit(
        GRAY, Y
    )
    a = sampler.sample(4, 1, categorical=[0, 1], continuous=[0.5], random_state=0)
    again = sampler.sample(4, 1, categorical=[0, 1], continuous=[0.5], random_state=0)
    other_cat = sampler.sample(
        4, 1, categorical=[2, 1], continuous=[0.5], random_state=0
    )
    other_cont = sampler.sample(
        4, 1, categorical=[0, 1], continuous=[-0.5], random_state=0
    )
    np.testing.assert_array_equal(a, again)
    assert not np.array_equal(a, other_cat)
    assert not np.array_equal(a, other_cont)
    per_image = sampler.sample(
        2, 1, categorical=[[0, 0], [2, 1]], continuous=[[0.1], [0.2]], random_state=0
    )
    assert per_image.shape == (2, 28, 28)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"categorical": [0]}, r"categorical must have shape \(2,\) or \(4, 2\)"),
        ({"categorical": [[0, 1]] * 3}, r"categorical must have shape"),
        ({"categorical": [3, 0]}, r"categorical must hold integers"),
        ({"categorical": [0.5, 1]}, r"categorical must hold integers"),
        ({"continuous": [0.1, 0.2]}, r"continuous must have shape \(1,\) or \(4, 1\)"),
        ({"continuous": [np.nan]}, "continuous must hold finite numbers"),
    ],
    ids=[
        "too-few-codes",
        "too-few-rows",
        "category-out-of-range",
        "float-category",
        "too-many-continuous",
        "nan-continuous",
    ],
)
def test_infogan_codes_of_the_wrong_size_or_value(kwargs, match):
    sampler = tiny(InfoGANSampler, categorical_codes=(3, 2), continuous_codes=1).fit(
        GRAY, Y
    )
    with pytest.raises(ValueError, match=match):
        sampler.sample(4, 1, **kwargs)


def test_infogan_checks_n_samples_before_the_codes():
    sampler = tiny(InfoGANSampler).fit(GRAY, Y)
    with pytest.raises(
        ValueError, match="n_samples must be a positive integer; got n_samples=0"
    ):
        sampler.sample(0, 1, categorical=[0])


@pytest.mark.parametrize(
    "codes", [(1,), (3, "a"), (2.0,)], ids=["one-category", "str", "float"]
)
def test_infogan_bad_categorical_codes_parameter(codes):
    with pytest.raises(
        ValueError, match="categorical_codes must be a tuple of integers >= 2"
    ):
        tiny(InfoGANSampler, categorical_codes=codes).fit(GRAY, Y)


def test_infogan_without_codes_is_a_conditional_gan():
    sampler = tiny(InfoGANSampler, categorical_codes=(), continuous_codes=0)
    X_res, _ = sampler.fit_resample(GRAY, Y)
    assert X_res.shape == (24, 28, 28)


def test_conditioning_learns_which_class_is_which():
    """Class 0 is bright on the left, class 1 on the right; so are its images."""
    rng = np.random.RandomState(0)
    X = rng.uniform(0, 0.2, size=(96, 8, 8)).astype(np.float32)
    y = np.repeat([0, 1], [64, 32])
    X[y == 0, :, :4] += 0.8
    X[y == 1, :, 4:] += 0.8
    sampler = DCGANSampler(
        n_epochs=100,
        batch_size=32,
        n_filters=8,
        latent_dim=8,
        learning_rate=1e-3,
        diff_augment=False,
        random_state=0,
        device="cpu",
    ).fit(X, y)
    for label, bright in ((0, slice(None, 4)), (1, slice(4, None))):
        made = sampler.sample(50, label, random_state=0)
        dark = slice(4, None) if label == 0 else slice(None, 4)
        assert made[:, :, bright].mean() > made[:, :, dark].mean() + 0.3


def _interrupt_after_first_checkpoint(monkeypatch):
    """Interrupt the fit after the GAN stage's first checkpoint."""
    saved = []
    original = trainer.save_atomic

    def save_then_stop(path, payload):
        original(path, payload)
        if "-gan-" not in path.name:
            return  # FeatureGANSampler's first stage
        saved.append(payload["epoch"])
        if len(saved) == 1:
            raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "save_atomic", save_then_stop)
    return saved


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_interrupted_fit_resumes_from_its_checkpoint(name, tmp_path, monkeypatch):
    params = dict(n_epochs=4, checkpoint_every=2)
    if name != "featuregan":
        # Augmentation has random state of its own, saved in the checkpoint.
        params["diff_augment"] = True
    reference = tiny(SAMPLERS[name], **params).fit_resample(GRAY, Y)[0]

    saved = _interrupt_after_first_checkpoint(monkeypatch)
    sampler = tiny(SAMPLERS[name], checkpoint_dir=tmp_path, **params)
    with pytest.raises(KeyboardInterrupt):
        sampler.fit_resample(GRAY, Y)
    assert saved == [2]
    assert not hasattr(sampler, "generator_") and not hasattr(sampler, "n_features_in_")
    # One GAN checkpoint; FeatureGANSampler also keeps its first stage.
    files = sorted(p.name for p in tmp_path.glob("*.pt"))
    assert len(files) == (2 if name == "featuregan" else 1)

    X_res, _ = sampler.fit_resample(GRAY, Y)
    assert saved == [2, 4]  # resumed at epoch 2: only the final checkpoint is new
    assert [h["epoch"] for h in sampler.history_] == [1, 2, 3, 4]
    # Resuming gives exactly the uninterrupted run.
    np.testing.assert_array_equal(X_res, reference)
    # A finished run's checkpoint serves a later fit with the same
    # parameters and data, even for another sampling_strategy: nothing is
    # trained (the history, durations included, is the saved one).
    again = tiny(
        SAMPLERS[name], checkpoint_dir=tmp_path, sampling_strategy={1: 20}, **params
    )
    made = again.fit_resample(GRAY, Y)[0]
    assert saved == [2, 4] and made.shape == (32, 28, 28)
    assert again.history_ == sampler.history_


def test_other_data_or_parameters_do_not_resume(tmp_path):
    first = tiny(DCGANSampler, checkpoint_dir=tmp_path).fit(GRAY, Y)
    tiny(DCGANSampler, checkpoint_dir=tmp_path, learning_rate=1e-3).fit(GRAY, Y)
    tiny(DCGANSampler, checkpoint_dir=tmp_path).fit(GRAY[::-1], Y[::-1])
    # The same bytes as images of another shape are other data.
    tiny(DCGANSampler, checkpoint_dir=tmp_path).fit(GRAY.reshape(-1, 14, 56), Y)
    assert len(list(tmp_path.glob("*.pt"))) == 4
    assert first.history_[0]["epoch"] == 1


def test_fewer_epochs_than_a_checkpoint_leave_it_as_it_is(tmp_path):
    longer = tiny(DCGANSampler, checkpoint_dir=tmp_path, n_epochs=3).fit(GRAY, Y)
    (path,) = tmp_path.glob("*.pt")
    before = path.read_bytes()
    shorter = tiny(DCGANSampler, checkpoint_dir=tmp_path, n_epochs=1).fit(GRAY, Y)
    assert len(shorter.history_) == 1  # trained afresh, not cut from the file
    assert path.read_bytes() == before  # and the longer run is still there
    again = tiny(DCGANSampler, checkpoint_dir=tmp_path, n_epochs=3).fit(GRAY, Y)
    assert again.history_ == longer.history_  # served from the file


@pytest.mark.parametrize(
    "name, stage",
    [
        ("dcgan", steps.ConditionalGANStep),
        ("infogan", steps.ConditionalGANStep),
        ("featuregan", steps.FeatureGANStep),
        ("featuregan", feature_space.AutoencoderStep),
    ],
    ids=["dcgan", "infogan", "featuregan-gan", "featuregan-features"],
)
def test_failed_fit_leaves_the_sampler_unfitted(monkeypatch, name, stage):
    cls = SAMPLERS[name]
    sampler = tiny(cls).fit(GRAY, Y)
    fitted_state = set(vars(sampler)) - set(vars(tiny(cls)))

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(stage, "__call__", broken)
    for method in (sampler.fit, sampler.fit_resample):
        with pytest.raises(RuntimeError, match="boom"):
            method(GRAY, Y)
        # Neither fitted attributes nor private fitted state survive.
        assert not set(vars(sampler)) & fitted_state


def test_unseeded_fits_do_not_share_a_checkpoint(tmp_path):
    tiny(DCGANSampler, checkpoint_dir=tmp_path, random_state=None).fit(GRAY, Y)
    tiny(DCGANSampler, checkpoint_dir=tmp_path, random_state=None).fit(GRAY, Y)
    # One RandomState used twice: the second fit draws other seeds.
    rng = np.random.RandomState(0)
    for _ in range(2):
        tiny(DCGANSampler, checkpoint_dir=tmp_path, random_state=rng).fit(GRAY, Y)
    assert len(list(tmp_path.glob("*.pt"))) == 4
    # A fresh RandomState(0) draws the first fit's seeds again and resumes.
    again = tiny(
        DCGANSampler, checkpoint_dir=tmp_path, random_state=np.random.RandomState(0)
    )
    again.fit(GRAY, Y)
    assert len(list(tmp_path.glob("*.pt"))) == 4


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_cuda_random_state_untouched(device):
    states = [torch.cuda.get_rng_state(i) for i in range(torch.cuda.device_count())]
    DCGANSampler(n_epochs=1, n_filters=4, random_state=0, device=device).fit(GRAY, Y)
    for i, state in enumerate(states):
        assert torch.equal(torch.cuda.get_rng_state(i), state)


def test_pickle_round_trip_samples_the_same():
    sampler = tiny(InfoGANSampler).fit(RGB, Y)
    restored = pickle.loads(pickle.dumps(sampler))
    np.testing.assert_array_equal(
        restored.sample(6, 1, random_state=0), sampler.sample(6, 1, random_state=0)
    )


def test_verbose_shows_a_progress_bar_with_losses(capsys):
    tiny(DCGANSampler, verbose=1).fit(GRAY, Y)
    err = capsys.readouterr().err
    assert "DCGANSampler" in err and "d_loss" in err


@pytest.mark.parametrize("name", list(SAMPLERS))
@pytest.mark.parametrize(
    "X, y, params, match",
    [
        (GRAY[:13], Y[:13], {}, r"Class 1 has 1 image\(s\).*at least 3"),
        (GRAY[:14], Y[:14], {}, r"Class 1 has 2 image\(s\).*at least 3"),
        (
            np.zeros((6, 300, 300)),
            [0, 0, 0, 1, 1, 1],
            {},
            "at most 256 pixels; got 300x300",
        ),
        (GRAY, Y, {"device": "cuda"}, "CUDA is not available"),
        (np.where(GRAY > 250, np.nan, GRAY), Y, {}, "NaN"),
        (GRAY.reshape(16, -1), Y, {"image_shape": (27, 27)}, "image_shape"),
        (GRAY, Y[:-1], {}, "inconsistent numbers of samples"),
        (GRAY, np.zeros(16), {}, "1 class"),
        (GRAY, Y, {"adversarial_loss": "wasserstein"}, "'adversarial_loss' parameter"),
    ],
    ids=[
        "one-image",
        "two-images",
        "too-large",
        "cuda",
        "nan",
        "image-shape",
        "length",
        "one-class",
        "unknown-loss",
    ],
)
def test_bad_input_is_a_clear_error(name, X, y, params, match):
    if params.get("device") == "cuda" and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    settings = {"device": "cpu", **params}
    sampler = SAMPLERS[name](n_epochs=1, n_filters=4, **settings)
    with pytest.raises(ValueError, match=match):
        sampler.fit_resample(X, y)
    assert not hasattr(sampler, "n_features_in_")


def test_images_too_small_for_convolutions_use_mlps():
    X = RNG.randint(0, 256, size=(16, 4, 4)).astype(np.uint8)
    sampler = tiny(DCGANSampler).fit(X, Y)
    assert not any(isinstance(m, torch.nn.Conv2d) for m in sampler.generator_.modules())
    assert sampler.sample(2, 1).shape == (2, 4, 4)


@pytest.mark.parametrize("shape", [(8, 8), (12, 20), (28, 28), (64, 64), (224, 224)])
def test_networks_adapt_to_the_image_size(shape):
    from gansampler._images import ImageLayout
    from gansampler.over_sampling._gan.networks import build_networks

    layout = ImageLayout(3, *shape, 3, np.dtype(np.uint8))
    generator, discriminator = build_networks(layout, 10, 2, 3, n_filters=4, sn=True)
    with torch.no_grad():
        images = generator(torch.randn(2, 10))
        score, extra = discriminator(images, torch.tensor([0, 1]))
    assert images.shape == (2, 3) + shape
    assert score.shape == (2,) and extra.shape == (2, 3)


def test_fitted_on_cuda_samples_on_a_machine_without_it():
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    sampler = tiny(DCGANSampler).fit(GRAY, Y)
    expected = sampler.sample(3, 1, random_state=0)
    # What a sampler fitted on a GPU looks like after pickling: networks on
    # the CPU, device_ still CUDA.
    sampler.device_ = torch.device("cuda")
    restored = pickle.loads(pickle.dumps(sampler))
    np.testing.assert_array_equal(restored.sample(3, 1, random_state=0), expected)
