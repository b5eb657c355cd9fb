"""What issue 34 changed for speed: budgets that fit the image size on a CPU,
training in channels-last memory, and the expected time said at the start.

Timings themselves are benchmarks (benchmarks/bench_speed.py), never tests.
"""

import re
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from gansampler import CNNClassifier, DCGANSampler
from gansampler._torch import channels_last
from gansampler._training import Budget
from gansampler.over_sampling._gan import generator
from gansampler.over_sampling._gan.generator import GAN_BUDGET, automatic_budget


class Layout:
    def __init__(self, side, channels=3):
        self.height = self.width = side
        self.channels = channels


@pytest.mark.parametrize(
    "side, device, steps",
    [
        (28, "cpu", 2000),  # at most 32x32: the floor the defaults were tuned at
        (32, "cpu", 2000),
        (64, "cpu", 500),  # a quarter of the floor for four times the pixels
        (128, "cpu", 125),
        (128, "cuda", 2000),  # a GPU keeps the whole floor at every size
    ],
)
def test_gan_budget_on_a_cpu_follows_the_pixel_count(side, device, steps):
    budget = automatic_budget(GAN_BUDGET, Layout(side), torch.device(device))
    assert budget.min_steps == steps
    assert budget.min_epochs == GAN_BUDGET.min_epochs


def test_a_scaled_budget_warns_and_points_to_a_gpu(monkeypatch):
    # A floor of 16 steps instead of 2,000, for speed: the rule is the same.
    # At 64x64 it scales the floor to 4 steps, so 2 epochs of 3 batches.
    monkeypatch.setattr(generator, "GAN_BUDGET", Budget(min_epochs=1, min_steps=16))
    rng = np.random.RandomState(0)
    X = rng.randint(0, 256, size=(9, 64, 64, 3)).astype(np.uint8)
    y = np.array([0] * 6 + [1] * 3)
    # n_filters=2: a small network for speed; the budget does not depend on it.
    sampler = DCGANSampler(n_filters=2, batch_size=4, random_state=0)
    with pytest.warns(UserWarning, match="trains 6 steps on these 64x64") as caught:
        sampler.fit(X, y)
    message = str(caught[0].message)
    assert "device='cuda'" in message and "n_epochs" in message
    assert len(sampler.history_) == 2
    # An explicit n_epochs is what the user asked for: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        DCGANSampler(n_filters=2, batch_size=4, n_epochs=1, random_state=0).fit(X, y)


def test_channels_last_during_training_and_plain_after():
    seen = []
    module = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU())
    module.register_forward_pre_hook(
        lambda m, inputs: seen.append(
            m[0].weight.is_contiguous(memory_format=torch.channels_last)
        )
    )
    images = torch.rand(2, 3, 8, 8)
    with channels_last([module], images) as laid_out:
        assert laid_out.is_contiguous(memory_format=torch.channels_last)
        assert torch.equal(laid_out, images)  # the same values
        module(laid_out)
    assert seen == [True]
    assert module[0].weight.is_contiguous()
    # Restored on error too, and rows that are not images are left alone.
    with pytest.raises(RuntimeError), channels_last([module], images):
        raise RuntimeError
    assert module[0].weight.is_contiguous()
    rows = torch.rand(4, 5)
    with channels_last([module], rows) as same:
        assert same is rows and module[0].weight.is_contiguous()


@pytest.mark.parametrize("estimator", ["cnn", "gan"])
def test_fits_train_channels_last_and_keep_plain_networks(estimator):
    rng = np.random.RandomState(0)
    # 16x16: the smallest images the GANs' networks are convolutional for.
    X = rng.rand(16, 16, 16, 3).astype(np.float32)
    y = np.array([0] * 12 + [1] * 4)
    formats = []

    def record(module, inputs):
        if module.training:
            formats.append(
                module.weight.is_contiguous(memory_format=torch.channels_last)
            )

    # Two epochs and a small network, for speed: what is checked is the
    # layout the convolutions train in, not what they learn.
    if estimator == "cnn":
        model = CNNClassifier(n_epochs=2, random_state=0)
        model.fit(X, y)  # builds module_; the second fit trains it again
        networks = [model.module_]
    else:
        model = DCGANSampler(n_filters=2, n_epochs=2, random_state=0)
        model.fit(X, y)
        networks = [model.generator_, model.discriminator_]
    convolutions = [
        m for net in networks for m in net.modules() if isinstance(m, nn.Conv2d)
    ]
    assert convolutions
    for layer in convolutions:
        assert layer.weight.is_contiguous()  # plain once fitted
    if estimator == "cnn":
        hooks = [layer.register_forward_pre_hook(record) for layer in convolutions]
        model.partial_fit(X, y)
        for hook in hooks:
            hook.remove()
        assert formats and all(formats)
        assert all(layer.weight.is_contiguous() for layer in convolutions)


def test_verbose_says_how_long_training_should_take(capsys):
    X = np.random.RandomState(0).rand(16, 8, 8).astype(np.float32)
    y = np.array([0] * 12 + [1] * 4)
    # Three epochs, for speed: the estimate is said after the first.
    CNNClassifier(n_epochs=3, verbose=1, random_state=0).fit(X, y)
    DCGANSampler(n_filters=2, n_epochs=3, verbose=1, random_state=0).fit(X, y)
    said = capsys.readouterr()
    text = said.out + said.err
    pattern = r"(CNNClassifier|DCGANSampler): the first of 3 epochs took [0-9.]+ s"
    assert {m.group(1) for m in re.finditer(pattern, text)} == {
        "CNNClassifier",
        "DCGANSampler",
    }
    assert "training should take about" in text


def test_gan_networks_are_perceptrons_under_16_pixels():
    rng = np.random.RandomState(0)
    y = np.array([0] * 12 + [1] * 4)
    kinds = {}
    for side in (8, 15, 16):
        X = rng.rand(16, side, side).astype(np.float32)
        # One epoch and a small network, for speed: only the kind is checked.
        sampler = DCGANSampler(n_filters=2, n_epochs=1, random_state=0).fit(X, y)
        kinds[side] = any(
            isinstance(m, nn.Conv2d) for m in sampler.discriminator_.modules()
        )
    assert kinds == {8: False, 15: False, 16: True}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_training_steps_never_wait_for_the_gpu(monkeypatch):
    # torch's synchronisation debug mode raises on any call that makes the
    # host wait for the GPU; a step must queue its work and go on (the
    # losses are read once an epoch, outside the steps). Small networks and
    # two epochs, for speed: only the waiting is checked.
    from gansampler.neural_network import _loop
    from gansampler.over_sampling._gan import trainer

    def strict(call):
        def wrapped(*args, **kwargs):
            torch.cuda.set_sync_debug_mode("error")
            try:
                return call(*args, **kwargs)
            finally:
                torch.cuda.set_sync_debug_mode("default")

        return wrapped

    monkeypatch.setattr(_loop, "batch_step", strict(_loop.batch_step))
    original_fit = trainer.Trainer.fit

    def fit(self, *args, **kwargs):
        self.step = strict(self.step)
        return original_fit(self, *args, **kwargs)

    monkeypatch.setattr(trainer.Trainer, "fit", fit)
    rng = np.random.RandomState(0)
    X = rng.rand(32, 16, 16, 3).astype(np.float32)
    y = np.array([0] * 24 + [1] * 8)
    CNNClassifier(n_epochs=2, device="cuda", random_state=0).fit(X, y)
    DCGANSampler(n_filters=4, n_epochs=2, device="cuda", random_state=0).fit(X, y)
