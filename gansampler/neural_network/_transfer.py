"""Transfer learning: backbones with weights, a user's module, frozen stages.

A backbone (``"resnet18"`` ...) or a user's :class:`torch.nn.Module` becomes
the ``features`` of an :class:`ImageNetwork`: its classification head is
taken off (it would map to another task's classes) and a new linear
``head`` maps its penultimate features to the estimator's classes.
"""

import copy
import os
import re

import torch
from torch import nn

from ._backbones import BACKBONES, WEIGHTS_ENUMS, rename_old_keys

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# The attributes that hold the head in torchvision's classifiers, in the
# order they are looked for.
HEAD_NAMES = ("fc", "classifier", "head", "heads")
# A torchvision weights name ("IMAGENET1K_V1", "DEFAULT"), not a path.
_WEIGHTS_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")


def imagenet_stats(n_channels):
    """ImageNet's channel statistics; their averages for other channel counts."""
    if n_channels == 3:
        return torch.tensor(IMAGENET_MEAN), torch.tensor(IMAGENET_STD)
    mean = torch.full((n_channels,), sum(IMAGENET_MEAN) / 3)
    return mean, torch.full((n_channels,), sum(IMAGENET_STD) / 3)


def build_backbone(name, n_channels, weights):
    """The backbone ``name`` without its head, with ``weights`` loaded.

    Returns the module (which maps images to flat features) and the width
    of its features.
    """
    model = BACKBONES[name](in_channels=n_channels)
    width = detach_head(model)
    if weights is not None:
        state = read_weights(weights, name)
        load_weights(model, state, n_channels, f"architecture={name!r}", weights)
    return model, width


def read_weights(weights, name):
    """The state dict of a weights file, or of a torchvision weights name."""
    path = os.path.expanduser(os.fspath(weights))
    if _WEIGHTS_NAME.match(path) and not os.path.exists(path):
        # torchvision's DenseNet files keep the old "norm.1" names too.
        return rename_old_keys(_torchvision_weights(path, name))
    if not os.path.isfile(path):
        raise ValueError(
            f"weights={weights!r} is not a file. Give the path of a state dict "
            "saved with torch.save (for example a torchvision .pth file from "
            "~/.cache/torch/hub/checkpoints/), or a torchvision weights name "
            "such as 'IMAGENET1K_V1' where torchvision is installed."
        )
    with open(path, "rb") as f:
        start = f.read(4)
    # torch.save writes a zip archive; before torch 1.6, a pickle.
    if not start.startswith((b"PK\x03\x04", b"\x80")):
        found = f"starts with {start!r}" if start else "is empty"
        raise ValueError(
            f"weights={weights!r} could not be read as a state dict saved with "
            f"torch.save: the file {found}, neither the zip archive nor the "
            "pickle that torch.save writes. Give the path of a .pth or .pt "
            "file of the backbone's weights."
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - any unreadable file
        # from None: the unpickler's own chain (IndexError, KeyError) says
        # nothing the message does not.
        raise ValueError(
            f"weights={weights!r} could not be read as a state dict saved with "
            f"torch.save: {type(error).__name__}: {error}"
        ) from None
    # Training checkpoints often wrap the state dict.
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    if not isinstance(state, dict) or not all(
        isinstance(v, torch.Tensor) for v in state.values()
    ):
        raise ValueError(
            f"weights={weights!r} holds a {type(state).__name__}, not a state "
            "dict (a mapping of parameter names to tensors)."
        )
    # Saved from nn.DataParallel: every name starts with "module.".
    if state and all(k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}
    return rename_old_keys(state)


def _torchvision_weights(weights_name, name):
    try:
        from torchvision.models import get_weight
    except Exception as error:  # noqa: BLE001 - ImportError, or its missing ops
        raise ValueError(
            f"weights={weights_name!r} is a torchvision weights name, and "
            f"torchvision does not import here ({type(error).__name__}: "
            f"{error}). Pass the path of the weights file instead: torchvision "
            "keeps downloaded files in ~/.cache/torch/hub/checkpoints/."
        ) from error
    try:
        enum = get_weight(f"{WEIGHTS_ENUMS[name]}.{weights_name}")
    except (KeyError, ValueError) as error:
        raise ValueError(
            f"weights={weights_name!r} is not one of torchvision's "
            f"{WEIGHTS_ENUMS[name]} names: {error}"
        ) from error
    try:
        return enum.get_state_dict(progress=False)
    except (OSError, RuntimeError) as error:  # no network, or a broken download
        raise OSError(
            f"weights={weights_name!r}: torchvision could not fetch the "
            f"{WEIGHTS_ENUMS[name]}.{weights_name} file ({type(error).__name__}: "
            f"{error}). Download it where the network is reachable and pass "
            "its path instead."
        ) from error


def load_weights(model, state, n_channels, what, weights):
    """Load ``state`` into ``model`` (headless), the stem adapted to its channels."""
    state = {k: v for k, v in state.items() if k.split(".")[0] not in HEAD_NAMES}
    stem = _first_conv_name(model)
    key = f"{stem}.weight"
    if key in state and state[key].ndim == 4 and state[key].shape[1] != n_channels:
        state[key] = spread_channels(state[key], n_channels)
    expected = model.state_dict()
    # torchvision's ImageNet files predate BatchNorm's num_batches_tracked;
    # load_state_dict fills it in, and nothing here reads it.
    missing = sorted(
        k for k in set(expected) - set(state) if not k.endswith(".num_batches_tracked")
    )
    unexpected = sorted(set(state) - set(expected))
    wrong = sorted(
        k for k in set(expected) & set(state) if expected[k].shape != state[k].shape
    )
    if missing or unexpected or wrong:
        raise ValueError(
            f"weights={weights!r} does not fit {what}: "
            f"{_some('missing', missing)}{_some('unexpected', unexpected)}"
            f"{_some('of another shape', wrong)}Is it a file for another "
            "architecture?"
        )
    model.load_state_dict(state)


def _some(kind, keys):
    if not keys:
        return ""
    return f"{len(keys)} parameter(s) {kind} (for example {keys[0]!r}); "


def spread_channels(weight, n_channels):
    """A stem's weights for ``n_channels`` inputs from weights for others.

    Each new input channel gets the sum of the old channels' weights divided
    by ``n_channels``: a grey image (one channel) gets the summed RGB
    weights, so it produces what the same grey image would as RGB.
    """
    summed = weight.sum(dim=1, keepdim=True) / n_channels
    return summed.repeat(1, n_channels, 1, 1).contiguous()


def _first_conv_name(model):
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            return name
    return None


def detach_head(model):
    """Replace ``model``'s head by the identity; return its input width.

    The head is the first of ``fc``, ``classifier``, ``head`` or ``heads``
    (torchvision's names); a linear layer, or a sequence whose last linear
    layer is replaced.
    """
    for name in HEAD_NAMES:
        head = getattr(model, name, None)
        if isinstance(head, nn.Linear):
            setattr(model, name, nn.Identity())
            return head.in_features
        if isinstance(head, nn.Sequential):
            linear = [i for i, m in enumerate(head) if isinstance(m, nn.Linear)]
            if linear:
                width = head[linear[-1]].in_features
                head[linear[-1]] = nn.Identity()
                return width
    raise ValueError(
        f"architecture is a {type(model).__name__} without a linear head named "
        f"{' or '.join(HEAD_NAMES)} (torchvision's names), so its classes "
        "cannot be replaced. Pass a callable architecture(n_channels, "
        "n_classes) that builds the whole network instead."
    )


def user_module(module, n_channels):
    """A copy of a user's module, headless, its stem fitted to ``n_channels``."""
    model = copy.deepcopy(module)
    width = detach_head(model)
    stem = _first_conv_name(model)
    if stem is not None:
        conv = model.get_submodule(stem)
        if conv.in_channels != n_channels and conv.groups == 1:
            new = nn.Conv2d(
                n_channels,
                conv.out_channels,
                conv.kernel_size,
                conv.stride,
                conv.padding,
                conv.dilation,
                bias=conv.bias is not None,
                padding_mode=conv.padding_mode,
            )
            with torch.no_grad():
                new.weight.copy_(spread_channels(conv.weight, n_channels))
                if conv.bias is not None:
                    new.bias.copy_(conv.bias)
            parent, _, attr = stem.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, attr, new)
    return model, width


def stages(model):
    """The backbone's stages from input to output, as lists of modules.

    ResNet-like (``layer1`` to ``layer4``): the stem, then each layer.
    DenseNet-like (``features.denseblockN``): the stem, then each dense
    block with the transition or final norm after it. Any other module:
    its top-level children that hold parameters, in order.
    """
    if all(hasattr(model, f"layer{i}") for i in range(1, 5)):
        layers = [getattr(model, f"layer{i}") for i in range(1, 5)]
        stem = [
            child
            for name, child in model.named_children()
            if not name.startswith("layer") and _has_parameters(child)
        ]
        return [stem] + [[layer] for layer in layers]
    features = getattr(model, "features", None)
    if isinstance(features, nn.Sequential) and hasattr(features, "denseblock1"):
        groups, current = [], []
        for name, child in features.named_children():
            if name.startswith("denseblock") and current:
                groups.append(current)
                current = []
            current.append(child)
        return groups + [current]
    return [[child] for child in model.children() if _has_parameters(child)]


def _has_parameters(module):
    return any(True for _ in module.parameters())


def freeze_stages(model, trainable_stages, own_head=False):
    """Freeze all stages but the last ``trainable_stages`` ("all": none).

    ``own_head``: the model's last stage is its head (a callable's network,
    which ends in its classes), which trains as the added head does.
    Returns the frozen modules.
    """
    if trainable_stages == "all":
        return []
    groups = stages(model)
    if own_head:
        groups = groups[:-1]
    if trainable_stages > len(groups):
        where = " before its head" if own_head else ""
        raise ValueError(
            f"trainable_stages={trainable_stages} is more than the "
            f"{len(groups)} stages this network has{where}; use at most "
            f"{len(groups)}, or 'all'."
        )
    frozen = [m for group in groups[: len(groups) - trainable_stages] for m in group]
    for module in frozen:
        module.requires_grad_(False)
    return frozen
