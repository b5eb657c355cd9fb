"""The built-in CNN architectures of :class:`CNNClassifier`.

Every network is an :class:`ImageNetwork`: input standardisation, optional
average pooling of large images (``max_side``), a ``features`` stack ending
in a flat vector (the penultimate feature space) and a linear ``head``. The
small built-in networks pool with ``ceil_mode``, so that small images (down
to 1 x 1 for ``light``, ``vgg`` and ``resnet``) still pass.
"""

import torch
import torch.nn.functional as F
from torch import nn

from ._backbones import BACKBONES
from ._transfer import build_backbone, freeze_stages, imagenet_stats, user_module

_BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)


class Standardize(nn.Module):
    """Per-channel standardisation with statistics taken from training data."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(std).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class ImageNetwork(nn.Module):
    """Standardisation, pooling, ``features`` (to a vector), then ``head``."""

    def __init__(self, standardize, resize, features, head, frozen=()):
        super().__init__()
        self.standardize = standardize
        self.resize = resize
        self.features = features
        self.head = head
        # Names, not modules: they survive copies and pickling as they are.
        self.frozen = tuple(
            name for name, m in self.named_modules() if any(m is f for f in frozen)
        )

    def embed(self, x):
        return self.features(self.resize(self.standardize(x)))

    def forward(self, x):
        return self.head(self.embed(x))

    def train(self, mode=True):
        super().train(mode)
        # Frozen stages compute what they came with: their batch norm (with
        # or without affine weights) keeps its statistics, as does any batch
        # norm whose weights a user froze.
        for name in self.frozen:
            self.get_submodule(name).eval()
        for module in self.modules():
            if isinstance(module, _BATCH_NORMS) and module.weight is not None:
                if not module.weight.requires_grad:
                    module.eval()
        return self


class CosineHead(nn.Module):
    """Logits ``scale * cos(features, w_k)``: features and class weights
    normalised, no bias (Cao et al.'s normed linear head, for LDAM).

    The logits do not change when the features are scaled, and lie in
    ``[-scale, scale]``, so that a margin on the cosine is ``scale`` times
    as wide in logits.
    """

    def __init__(self, in_features, out_features, scale):
        super().__init__()
        self.scale = float(scale)
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.reset_parameters()

    def reset_parameters(self):
        # A direction per class: the scale of the weights is normalised away.
        nn.init.kaiming_uniform_(self.weight, a=5**0.5)

    def forward(self, x):
        cosine = F.linear(F.normalize(x, dim=1), F.normalize(self.weight, dim=1))
        return self.scale * cosine

    def extra_repr(self):
        n_out, n_in = self.weight.shape
        return f"in_features={n_in}, out_features={n_out}, scale={self.scale}"


def working_size(height, width, max_side):
    """The image size after halving (ceil) until the shorter side is at most
    ``max_side``; the number of halvings."""
    n = 0
    while max_side is not None and min(height, width) > max_side:
        height, width, n = (height + 1) // 2, (width + 1) // 2, n + 1
    return height, width, n


def _resize(n_pools):
    if n_pools == 0:
        return nn.Identity()
    return nn.Sequential(*[nn.AvgPool2d(2, ceil_mode=True) for _ in range(n_pools)])


def _conv_bn(c_in, c_out, stride=1):
    return [
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


def _pool():
    return nn.MaxPool2d(2, ceil_mode=True)


def light(n_channels, n_classes):
    """About 0.1M parameters: three double-conv blocks, global pooling."""
    layers, c_in = [], n_channels
    for c_out in (24, 48, 64):
        layers += _conv_bn(c_in, c_out) + _conv_bn(c_out, c_out) + [_pool()]
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2)]
    return nn.Sequential(*layers), nn.Linear(c_in, n_classes)


def vgg(n_channels, n_classes):
    """A small VGG-style stack (32-64-128 channels, two convs per stage)."""
    layers, c_in = [], n_channels
    for c_out in (32, 64, 128):
        layers += _conv_bn(c_in, c_out) + _conv_bn(c_out, c_out) + [_pool()]
        c_in = c_out
    layers += [
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(c_in, 128),
        nn.ReLU(inplace=True),
        nn.Dropout(0.3),
    ]
    return nn.Sequential(*layers), nn.Linear(128, n_classes)


class _BasicBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.body = nn.Sequential(
            *_conv_bn(c_in, c_out, stride)[:2],
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
        )
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False),
                nn.BatchNorm2d(c_out),
            )

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


def resnet(n_channels, n_classes):
    """A small residual network: three stages of two basic blocks each."""
    layers = _conv_bn(n_channels, 32)
    c_in = 32
    for c_out, stride in ((32, 1), (64, 2), (128, 2)):
        layers += [_BasicBlock(c_in, c_out, stride), _BasicBlock(c_out, c_out, 1)]
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), nn.Linear(c_in, n_classes)


def lenet5(n_channels, n_classes):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling."""
    layers = [
        nn.Conv2d(n_channels, 6, 5, padding=2),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
        # Adaptive pooling makes the 16 x 5 x 5 input of the dense layers
        # independent of the image size.
        nn.AdaptiveAvgPool2d(5),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(inplace=True),
        nn.Linear(120, 84),
        nn.ReLU(inplace=True),
    ]
    return nn.Sequential(*layers), nn.Linear(84, n_classes)


# name -> (builder, smallest image side it accepts, after max_side's pooling)
ARCHITECTURES = {
    "light": (light, 1),
    "lenet5": (lenet5, 12),
    "vgg": (vgg, 1),
    "resnet": (resnet, 1),
}
# The backbones' smallest side: DenseNet's transitions halve 32 pixels to 1.
BACKBONE_MIN_SIDE = {"resnet18": 1, "resnet34": 1, "resnet50": 1, "densenet121": 32}


def _check_output(module, shape, width, built, kind="logits"):
    """Run a user's module once on blank images, so that a network of the
    wrong shape fails here, naming ``architecture``, not deep in training."""
    was_training = module.training
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            output = module.eval()(torch.zeros(shape))
    except Exception as error:  # noqa: BLE001 - whatever the user's code raises
        raise ValueError(
            f"The module that {built} fails on a batch of images of shape "
            f"{shape} (N, C, H, W): {type(error).__name__}: {error}"
        ) from error
    finally:
        module.train(was_training)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != (2, width):
        got = tuple(output.shape) if hasattr(output, "shape") else type(output)
        raise ValueError(
            f"The module that {built} maps a batch of images of shape {shape} "
            f"to {got}; it must give {kind} of shape (2, {width})."
        )


def build_network(architecture, *args, cosine_scale=None, **kwargs):
    """Build the :class:`ImageNetwork` for ``architecture``; ``args`` and
    ``kwargs`` are :func:`_build`'s.

    ``architecture`` is a built-in name, a backbone name, a callable
    ``architecture(n_channels, n_classes)`` or a :class:`torch.nn.Module`.
    ``mean`` and ``std`` are the training images' channel statistics, used
    unless ``normalization`` (or, for ``"auto"``, pretrained weights or a
    user's module) asks for ImageNet's. With ``cosine_scale``, the head is
    a :class:`CosineHead` of that scale rather than a linear one.
    """
    network = _build(architecture, *args, **kwargs)
    if cosine_scale is None:
        return network
    if not isinstance(network.head, nn.Linear):
        raise ValueError(
            f"loss='ldam' trains a cosine head on the network's features; "
            f"architecture is {_describe(architecture)} that ends in its own "
            "classes, which leaves no head to replace. Pass a torch.nn.Module "
            "(its head is replaced) or a built-in architecture, or another loss."
        )
    linear = network.head
    network.head = CosineHead(linear.in_features, linear.out_features, cosine_scale)
    return network


def _build(
    architecture,
    n_channels,
    n_classes,
    height,
    width,
    mean,
    std,
    *,
    weights=None,
    trainable_stages="all",
    max_side=64,
    normalization="auto",
):
    pretrained = weights is not None or isinstance(architecture, nn.Module)
    if normalization == "imagenet" or (normalization == "auto" and pretrained):
        mean, std = imagenet_stats(n_channels)
    standardize = Standardize(mean, std)
    h, w, n_pools = working_size(height, width, max_side)
    resize = _resize(n_pools)
    shape = (2, n_channels, h, w)
    is_named = isinstance(architecture, str)
    if weights is not None and not (is_named and architecture in BACKBONES):
        raise ValueError(
            f"weights={weights!r} applies to the backbones {sorted(BACKBONES)}; "
            f"architecture is {_describe(architecture)}. Load a module's own "
            "weights before passing it as architecture."
        )
    if trainable_stages != "all" and (is_named and architecture in ARCHITECTURES):
        raise ValueError(
            f"trainable_stages={trainable_stages!r} applies to the backbones "
            f"{sorted(BACKBONES)} and to a torch.nn.Module; architecture="
            f"{architecture!r} trains whole. Use trainable_stages='all'."
        )
    if isinstance(architecture, nn.Module):
        features, n_features = user_module(architecture, n_channels)
        built = f"architecture={type(architecture).__name__}(...) became"
        _check_output(
            features, shape, n_features, built + " without its head", "features"
        )
        frozen = freeze_stages(features, trainable_stages)
        head = nn.Linear(n_features, n_classes)
        return ImageNetwork(standardize, resize, features, head, frozen)
    if callable(architecture):
        module = architecture(n_channels, n_classes)
        if not isinstance(module, nn.Module):
            raise ValueError(
                "architecture must return a torch.nn.Module when called as "
                f"architecture(n_channels, n_classes); got {type(module).__name__}."
            )
        built = f"architecture(n_channels={n_channels}, n_classes={n_classes}) built"
        _check_output(module, shape, n_classes, built)
        frozen = freeze_stages(module, trainable_stages, own_head=True)
        return ImageNetwork(standardize, resize, module, nn.Identity(), frozen)
    min_side = BACKBONE_MIN_SIDE.get(architecture) or ARCHITECTURES[architecture][1]
    if min(h, w) < min_side:
        raise ValueError(
            f"architecture={architecture!r} needs images of at least "
            f"{min_side}x{min_side} pixels; got {height}x{width} images"
            + (f", {h}x{w} after max_side={max_side}" if n_pools else "")
            + f". Use an architecture that takes {min(h, w)} pixels (such as "
            "'light'), raise max_side, or upsample the images."
        )
    if architecture in BACKBONES:
        features, n_features = build_backbone(architecture, n_channels, weights)
        frozen = freeze_stages(features, trainable_stages)
        head = nn.Linear(n_features, n_classes)
        return ImageNetwork(standardize, resize, features, head, frozen)
    features, head = ARCHITECTURES[architecture][0](n_channels, n_classes)
    return ImageNetwork(standardize, resize, features, head)


def _describe(architecture):
    if isinstance(architecture, str):
        return repr(architecture)
    return f"a {type(architecture).__name__}"
