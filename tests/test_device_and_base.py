"""The ``device`` parameter, and failed fits that must leave samplers unfitted."""

import numpy as np
import pytest
import torch

from gansampler import SuperpixelSampler
from gansampler._torch import DEVICE_CONSTRAINTS, resolve_device
from gansampler.base import BaseImageSampler

# --------------------------------------------------------------------- device


@pytest.fixture
def two_gpus(monkeypatch):
    """Pretend this machine has two CUDA GPUs, so that indices can be checked."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)


def test_device_constraints_accept_strings_and_torch_devices():
    from sklearn.utils._param_validation import make_constraint

    constraints = [make_constraint(c) for c in DEVICE_CONSTRAINTS]
    for value in ["cuda:1", torch.device("cpu")]:
        assert any(c.is_satisfied_by(value) for c in constraints)


@pytest.mark.parametrize("device", ["cpu", torch.device("cpu")])
def test_resolve_device_cpu(device):
    assert resolve_device(device) == torch.device("cpu")


def test_resolve_device_auto(two_gpus, monkeypatch):
    assert resolve_device("auto") == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == torch.device("cpu")


@pytest.mark.parametrize(
    "device, expected",
    [
        ("cuda", torch.device("cuda")),
        ("cuda:0", torch.device("cuda", 0)),
        ("cuda:1", torch.device("cuda", 1)),
        (torch.device("cuda"), torch.device("cuda")),
        (torch.device("cuda", 1), torch.device("cuda", 1)),
    ],
)
def test_resolve_device_cuda_index(two_gpus, device, expected):
    resolved = resolve_device(device)
    assert isinstance(resolved, torch.device)
    assert resolved == expected


@pytest.mark.parametrize("device", ["cuda:2", torch.device("cuda", 5)])
def test_resolve_device_refuses_missing_gpu(two_gpus, device):
    with pytest.raises(ValueError, match=r"does not exist.*2 CUDA GPUs") as info:
        resolve_device(device)
    assert f"device={device!r}" in str(info.value)


@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda", 0)])
def test_resolve_device_refuses_cuda_without_cuda(no_gpu, device):
    with pytest.raises(ValueError, match="CUDA is not available on this machine"):
        resolve_device(device)


@pytest.mark.parametrize("device", ["gpu", "cuda:x", "cuda:", "cuda:-1", "CPU", 0])
def test_resolve_device_refuses_unknown_values(two_gpus, device):
    expected = (
        "device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device; "
        f"got device={device!r}."
    )
    with pytest.raises(ValueError) as info:
        resolve_device(device)
    assert str(info.value) == expected


def test_resolve_device_refuses_other_torch_device_types(two_gpus):
    with pytest.raises(ValueError, match=r"type 'cpu' or 'cuda'.*type='meta'"):
        resolve_device(torch.device("meta"))


# ------------------------------------------------------------ failed fits


class FailingSampler(BaseImageSampler):
    def _generate(self, X_class, n_samples, rng):
        raise RuntimeError("generation failed")


class MirrorSampler(BaseImageSampler):
    """The user-guide example: mirrored copies of real images."""

    def _generate(self, X_class, n_samples, rng):
        picks = rng.randint(len(X_class), size=n_samples)
        return X_class[torch.from_numpy(picks)].flip(-1)


RNG = np.random.RandomState(0)
X = RNG.randint(0, 256, size=(12, 8, 8)).astype(np.uint8)
Y = np.array([0] * 8 + [1] * 4)


def assert_unfitted(sampler):
    assert not hasattr(sampler, "n_features_in_")
    assert not hasattr(sampler, "sampling_strategy_")
    assert not hasattr(sampler, "_layout")


# p_replace passes parameter validation (a tuple) and fails its range check
# in _fit_generator, after the images and sampling strategy have been set.
FAILING = {
    "superpixel": (
        lambda: SuperpixelSampler(p_replace=(0.0, 2.0), random_state=0),
        ValueError,
        "p_replace must be",
    ),
    "generate-raises": (
        lambda: FailingSampler(random_state=0),
        RuntimeError,
        "generation failed",
    ),
}


@pytest.mark.parametrize("name", list(FAILING))
def test_failed_fit_resample_leaves_sampler_unfitted(name):
    make, error, message = FAILING[name]
    sampler = make()
    with pytest.raises(error, match=message):
        sampler.fit_resample(X, Y)
    assert_unfitted(sampler)


def test_failed_refit_forgets_the_previous_fit():
    sampler = SuperpixelSampler(random_state=0)
    sampler.fit_resample(X[:, :6, :6], Y)
    assert sampler.n_features_in_ == 36 and hasattr(sampler, "_generator")
    sampler.set_params(p_replace=(0.0, 2.0))
    with pytest.raises(ValueError, match="p_replace must be"):
        sampler.fit_resample(X, Y)
    assert_unfitted(sampler)
    # Nor does it keep the generator (its ranges checked) of the earlier fit.
    assert not hasattr(sampler, "_generator")


def test_failed_parameter_validation_forgets_the_previous_fit():
    sampler = MirrorSampler(random_state=0).fit(X, Y)
    assert sampler.n_features_in_ == 64
    sampler.set_params(sampling_strategy="bogus")
    with pytest.raises(ValueError):
        sampler.fit_resample(X, Y)
    assert_unfitted(sampler)


def test_failed_fit_leaves_sampler_unfitted():
    # fit sets n_features_in_ and _layout before the sampling strategy fails.
    sampler = MirrorSampler(sampling_strategy={0: 2})
    with pytest.raises(ValueError):
        sampler.fit(X, Y)
    assert_unfitted(sampler)


def test_successful_fit_and_fit_resample_still_fit():
    sampler = MirrorSampler(random_state=0)
    assert sampler.fit(X, Y) is sampler
    assert sampler.sampling_strategy_ == {1: 4} and sampler.n_features_in_ == 64
    X_res, y_res = sampler.fit_resample(X, Y)
    np.testing.assert_array_equal(np.bincount(y_res), [8, 8])
    assert sampler._layout is not None
