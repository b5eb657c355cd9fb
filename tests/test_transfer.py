"""Backbones with torchvision's names, weights files, frozen stages, a user's
module, and the resolution cap (``max_side``). No network access: weights
files are state dicts that the tests save themselves.

The fits here train one or two epochs on a few dozen small images: these
tests are about wiring (what loads, what trains, what stays), not accuracy.
"""

import json
import pickle
import sys
import types
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError
from torch import nn

from gansampler import CNNClassifier
from gansampler.inspection import grad_cam
from gansampler.neural_network._backbones import BACKBONES, resnet18, resnet34
from gansampler.neural_network._transfer import (
    IMAGENET_MEAN,
    build_backbone,
    read_weights,
)

REFERENCE = json.loads(
    (Path(__file__).parent / "data" / "torchvision_state_dicts.json").read_text()
)
RNG = np.random.RandomState(0)
Y = np.array([0, 1] * 12)
GRAY = RNG.randint(0, 256, size=(24, 16, 16)).astype(np.uint8)
RGB = RNG.randint(0, 256, size=(24, 16, 16, 3)).astype(np.uint8)
FROZEN = ("conv1.", "bn1.", "layer1.", "layer2.", "layer3.")


def short(**params):
    return CNNClassifier(
        **{"n_epochs": 2, "batch_size": 8, "random_state": 0, "device": "cpu"} | params
    )


@pytest.fixture(scope="module")
def resnet18_file(tmp_path_factory):
    """A resnet18 state dict as torchvision saves one (with its 1000-way fc)."""
    path = tmp_path_factory.mktemp("weights") / "resnet18.pth"
    with torch.random.fork_rng():
        torch.manual_seed(1)
        torch.save(resnet18().state_dict(), path)
    return path


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_names_and_shapes_match_torchvision(name):
    ours = [[k, list(v.shape)] for k, v in BACKBONES[name]().state_dict().items()]
    assert ours == REFERENCE[name]


def test_a_saved_backbone_loads_and_frozen_stages_stay(resnet18_file):
    saved = torch.load(resnet18_file, weights_only=True)
    clf = short(architecture="resnet18", weights=resnet18_file, trainable_stages=1).fit(
        RGB, Y
    )
    after = clf.module_.features.state_dict()
    assert "fc.weight" not in after  # the file's head is left out
    head_less = [k for k in saved if not k.startswith("fc.")]
    assert sorted(after) == sorted(head_less)
    for key in head_less:
        if key.startswith(FROZEN):  # weights and batch-norm statistics
            assert torch.equal(after[key], saved[key]), key
    moved = [
        k
        for k in after
        if k.startswith("layer4.") and not torch.equal(after[k], saved[k])
    ]
    assert moved  # the trainable stage did train
    frozen = [
        p for n, p in clf.module_.features.named_parameters() if n.startswith(FROZEN)
    ]
    assert not any(p.requires_grad for p in frozen)
    # With pretrained weights the images are standardised as for ImageNet.
    mean = clf.module_.standardize.mean.flatten().tolist()
    np.testing.assert_allclose(mean, IMAGENET_MEAN, rtol=1e-6)


def test_grayscale_gets_the_summed_stem_and_the_estimator_pickles(resnet18_file):
    saved = torch.load(resnet18_file, weights_only=True)
    clf = short(architecture="resnet18", weights=resnet18_file, trainable_stages=0)
    clf.fit(GRAY, Y)
    stem = clf.module_.features.conv1.weight
    assert stem.shape == (64, 1, 7, 7)
    torch.testing.assert_close(stem, saved["conv1.weight"].sum(1, keepdim=True))
    loaded = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(loaded.predict_proba(GRAY), clf.predict_proba(GRAY))


@pytest.mark.parametrize("X", [GRAY, RGB], ids=["gray", "rgb"])
def test_backbones_from_scratch_on_gray_and_rgb(X):
    clf = short(architecture="resnet18").fit(X, Y)
    assert clf.predict_proba(X).shape == (len(X), 2)
    assert clf.embed(X).shape == (len(X), 512)
    assert all(p.requires_grad for p in clf.module_.parameters())
    # From scratch, the training images' own statistics standardise.
    assert not np.allclose(clf.module_.standardize.mean.flatten()[0], IMAGENET_MEAN[0])
    # DenseNet-121 needs 32 pixels; the error says what to do.
    with pytest.raises(ValueError, match="densenet121.*at least 32x32.*max_side"):
        short(architecture="densenet121").fit(X, Y)


def test_old_densenet_key_names_are_renamed(tmp_path):
    state = BACKBONES["densenet121"]().state_dict()
    old = {
        k.replace("denselayer1.norm1.", "denselayer1.norm.1.").replace(
            "denselayer1.conv2.", "denselayer1.conv.2."
        ): v
        for k, v in state.items()
    }
    assert old.keys() != state.keys()
    torch.save(old, tmp_path / "densenet121-old.pth")
    assert list(read_weights(tmp_path / "densenet121-old.pth", "densenet121")) == list(
        state
    )


def test_torchvision_style_files_without_num_batches_tracked_load(
    tmp_path, resnet18_file, monkeypatch
):
    # torchvision's ImageNet files predate BatchNorm's num_batches_tracked.
    saved = torch.load(resnet18_file, weights_only=True)
    legacy = {k: v for k, v in saved.items() if not k.endswith("num_batches_tracked")}
    assert len(legacy) < len(saved)
    torch.save(legacy, tmp_path / "resnet18-legacy.pth")
    model, _ = build_backbone("resnet18", 3, tmp_path / "resnet18-legacy.pth")
    assert torch.equal(
        model.layer4[1].bn2.running_var, saved["layer4.1.bn2.running_var"]
    )
    # A torchvision weights name gives DenseNet's old key names too: they are
    # renamed as for a file (a stand-in torchvision serves them, no download).
    state = BACKBONES["densenet121"]().state_dict()
    old = {k.replace(".norm1.", ".norm.1."): v for k, v in state.items()}

    class Weights:
        def get_state_dict(self, progress):
            return old

    models = types.ModuleType("torchvision.models")
    models.get_weight = lambda name: Weights()
    monkeypatch.setitem(sys.modules, "torchvision", types.ModuleType("torchvision"))
    monkeypatch.setitem(sys.modules, "torchvision.models", models)
    assert list(read_weights("IMAGENET1K_V1", "densenet121")) == list(state)


def test_clear_errors_for_weights(tmp_path, resnet18_file, monkeypatch):
    # "~" is the home folder, as in a shell.
    monkeypatch.setenv("HOME", str(resnet18_file.parent))
    loaded = short(
        architecture="resnet18", weights="~/resnet18.pth", trainable_stages=0
    )
    stem = loaded.fit(RGB, Y).module_.features.conv1.weight
    assert torch.equal(
        stem, torch.load(resnet18_file, weights_only=True)["conv1.weight"]
    )
    with pytest.raises(ValueError, match=r"weights=.*missing\.pth.* is not a file"):
        short(architecture="resnet18", weights=tmp_path / "missing.pth").fit(RGB, Y)
    torch.save(resnet34().state_dict(), tmp_path / "resnet34.pth")
    with pytest.raises(
        ValueError, match="does not fit architecture='resnet18'.*another"
    ):
        short(architecture="resnet18", weights=tmp_path / "resnet34.pth").fit(RGB, Y)
    (tmp_path / "junk.pth").write_bytes(b"not a state dict")
    with pytest.raises(ValueError, match="could not be read as a state dict"):
        short(architecture="resnet18", weights=tmp_path / "junk.pth").fit(RGB, Y)
    # A torchvision weights name needs torchvision; here it is made
    # unimportable, as beside the CPU build of torch (its wheels need CUDA's).
    monkeypatch.setitem(sys.modules, "torchvision", None)
    with pytest.raises(
        ValueError, match="torchvision weights name.*path of the weights file"
    ):
        short(architecture="resnet18", weights="IMAGENET1K_V1").fit(RGB, Y)
    with pytest.raises(InvalidParameterError, match="architecture"):
        short(architecture="resnet19").fit(RGB, Y)
    with pytest.raises(ValueError, match="weights=.*applies to the backbones"):
        short(architecture="light", weights=resnet18_file).fit(RGB, Y)
    with pytest.raises(ValueError, match="trainable_stages=2 applies to the backbones"):
        short(trainable_stages=2).fit(RGB, Y)
    with pytest.raises(
        ValueError, match="trainable_stages=6 is more than the 5 stages"
    ):
        short(architecture="resnet18", trainable_stages=6).fit(RGB, Y)
    assert not hasattr(short(), "module_")


@pytest.mark.parametrize(
    "content, found",
    [
        (b"These are my notes about the model.\n", "starts with b'Thes'"),
        (b"", "is empty"),
        (b"\x80\x02 cut short", "could not be read"),
    ],
    ids=["text", "empty", "broken-pickle"],
)
def test_a_file_that_is_no_state_dict_is_one_clear_error(tmp_path, content, found):
    # The clear sentence alone: no IndexError or KeyError chain of the
    # unpickler's after it.
    path = tmp_path / "notes.pth"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"weights=.*notes\.pth") as caught:
        read_weights(path, "resnet18")
    assert found in str(caught.value)
    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


class Small(nn.Module):
    """A user's network with a torchvision-style ``classifier`` sequence."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU())
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Sequential(
            nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1000)
        )

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))


def test_a_users_module_gets_a_new_head_and_stays_untouched():
    module = Small()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    clf = short(architecture=module, trainable_stages=1)
    clf.fit(GRAY, Y)  # one channel: the 3-channel stem is adapted
    assert clf.predict_proba(GRAY).shape == (len(GRAY), 2)
    assert clf.embed(GRAY).shape == (len(GRAY), 16)  # the old head's input
    assert clf.module_.features.features[0].in_channels == 1
    # Stages of a plain module: its children with parameters; 1 trains the
    # classifier sequence alone.
    assert not clf.module_.features.features[0].weight.requires_grad
    for key, value in module.state_dict().items():
        assert torch.equal(value, before[key])
    assert isinstance(module.classifier[2], nn.Linear)
    assert clone(clf).architecture is not module
    pickle.loads(pickle.dumps(clf))
    with pytest.raises(
        ValueError, match="without a linear head named fc or classifier"
    ):
        short(architecture=nn.Sequential(nn.Conv2d(1, 2, 3))).fit(GRAY, Y)


def test_a_callables_own_head_trains_and_frozen_norms_keep_their_statistics():
    # A callable's network ends in its classes: trainable_stages=0 trains
    # that head alone. The frozen stage's batch norm has no affine weights,
    # so only the stage's freezing can keep its running statistics.
    def build(n_channels, n_classes):
        return nn.Sequential(
            nn.Sequential(nn.Conv2d(n_channels, 4, 3), nn.BatchNorm2d(4, affine=False)),
            nn.Flatten(),
            nn.Linear(4 * 14 * 14, n_classes),
        )

    clf = short(architecture=build, trainable_stages=0).fit(GRAY, Y)
    network = clf.module_.features
    assert [p.requires_grad for p in network.parameters()] == [
        False,
        False,
        True,
        True,
    ]
    norm = network[0][1]
    assert norm.num_batches_tracked.item() == 0  # never updated while training
    torch.testing.assert_close(norm.running_mean, torch.zeros(4))
    with pytest.raises(
        ValueError, match="more than the 1 stages this network has before its head"
    ):
        short(architecture=build, trainable_stages=2).fit(GRAY, Y)


def test_max_side_pools_large_images_unless_none():
    X = RNG.randint(0, 256, size=(24, 80, 96)).astype(np.uint8)
    pooled = short(n_epochs=1).fit(X, Y)
    assert len(pooled.module_.resize) == 1  # 80x96 -> 40x48
    full = short(n_epochs=1, max_side=None).fit(X, Y)
    assert isinstance(full.module_.resize, nn.Identity)
    assert short(n_epochs=1, max_side=20).fit(X, Y).module_.resize.__len__() == 2
    with pytest.raises(ValueError, match="lenet5.*at least 12x12.*after max_side=8"):
        short(architecture="lenet5", max_side=8).fit(X, Y)


def test_a_torchvision_weights_name_asks_torchvision(monkeypatch, resnet18_file):
    # Where torchvision imports, a weights name goes to its get_weight; a
    # stand-in module records the call and serves the file (no download).
    asked = []

    class Weights:
        def get_state_dict(self, progress):
            return torch.load(resnet18_file, weights_only=True)

    def get_weight(name):
        asked.append(name)
        if not name.endswith(".IMAGENET1K_V1"):
            raise ValueError(f"unknown {name}")
        return Weights()

    models = types.ModuleType("torchvision.models")
    models.get_weight = get_weight
    monkeypatch.setitem(sys.modules, "torchvision", types.ModuleType("torchvision"))
    monkeypatch.setitem(sys.modules, "torchvision.models", models)
    clf = short(architecture="resnet18", weights="IMAGENET1K_V1", trainable_stages=0)
    clf.fit(RGB, Y)
    assert asked == ["ResNet18_Weights.IMAGENET1K_V1"]
    saved = torch.load(resnet18_file, weights_only=True)
    assert torch.equal(
        clf.module_.features.layer1[0].conv1.weight, saved["layer1.0.conv1.weight"]
    )
    with pytest.raises(
        ValueError, match="'IMAGENET1K_V9' is not one of torchvision's ResNet18_Weights"
    ):
        short(architecture="resnet18", weights="IMAGENET1K_V9").fit(RGB, Y)


def test_a_failed_download_of_a_weights_name_says_what_to_do(monkeypatch):
    class Weights:
        def get_state_dict(self, progress):
            raise urllib.error.URLError("no route to host")

    models = types.ModuleType("torchvision.models")
    models.get_weight = lambda name: Weights()
    monkeypatch.setitem(sys.modules, "torchvision", types.ModuleType("torchvision"))
    monkeypatch.setitem(sys.modules, "torchvision.models", models)
    clf = short(architecture="resnet18", weights="IMAGENET1K_V1")
    with pytest.raises(OSError, match="could not fetch.*no route.*pass its path"):
        clf.fit(RGB, Y)
    assert not hasattr(clf, "module_")


def _real_torchvision_models():
    # torchvision's registry wheels need the CUDA build of torch: beside the
    # CPU build (CI) its import fails with a RuntimeError, not an ImportError.
    try:
        import torchvision.models
    except Exception as error:  # noqa: BLE001
        pytest.skip(f"torchvision does not import here: {error}")
    return torchvision.models


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_torchvision_models_load_and_give_the_same_outputs(name):
    models = _real_torchvision_models()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        theirs = getattr(models, name)(weights=None).eval()
        x = torch.randn(2, 3, 64, 64)
    ours = BACKBONES[name]()
    ours.load_state_dict(theirs.state_dict(), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(ours.eval()(x), theirs(x))


def test_a_torchvision_model_as_the_architecture():
    models = _real_torchvision_models()
    with torch.random.fork_rng():
        torch.manual_seed(0)
        module = models.resnet18(num_classes=7)
    # 64x64, so that the last stage still has a spatial map for Grad-CAM.
    X = np.random.RandomState(0).randint(0, 256, size=(24, 64, 64, 3)).astype(np.uint8)
    clf = short(architecture=module).fit(X, Y)
    assert clf.predict_proba(X).shape == (24, 2)
    assert module.fc.out_features == 7  # the user's module is cloned, not changed
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(again.predict_proba(X), clf.predict_proba(X))
    maps = grad_cam(clf, X[:3])
    assert maps.shape == (3, 64, 64) and np.isfinite(maps).all()
