"""The built-in CNN architectures of :class:`CNNClassifier`.

Every built-in network is a :class:`ImageNetwork`: input standardisation, a
convolutional ``features`` stack ending in a flat vector (the penultimate
feature space) and a linear ``head``. All of them adapt to the image size:
inputs with a side above 64 pixels are average-pooled down first, and pooling
uses ``ceil_mode`` so that small images (down to 1 x 1 for ``light``, ``vgg``
and ``resnet``) still pass.
"""

import torch
from torch import nn

# Images with a side above this are average-pooled to at most this first.
MAX_WORKING_SIDE = 64


class Standardize(nn.Module):
    """Per-channel standardisation with statistics taken from training data."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(std).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class ImageNetwork(nn.Module):
    """Standardisation, then ``features`` (to a vector), then ``head``."""

    def __init__(self, standardize, features, head):
        super().__init__()
        self.standardize = standardize
        self.features = features
        self.head = head

    def embed(self, x):
        return self.features(self.standardize(x))

    def forward(self, x):
        return self.head(self.embed(x))


def _n_input_pools(height, width):
    n = 0
    while min(height, width) > MAX_WORKING_SIDE:
        height, width, n = (height + 1) // 2, (width + 1) // 2, n + 1
    return n


def _input_pool(height, width):
    n = _n_input_pools(height, width)
    return [nn.AvgPool2d(2, ceil_mode=True) for _ in range(n)]


def _conv_bn(c_in, c_out, stride=1):
    return [
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]


def _pool():
    return nn.MaxPool2d(2, ceil_mode=True)


def light(n_channels, n_classes, height, width):
    """About 0.1M parameters: three double-conv blocks, global pooling."""
    layers = _input_pool(height, width)
    c_in = n_channels
    for c_out in (24, 48, 64):
        layers += _conv_bn(c_in, c_out) + _conv_bn(c_out, c_out) + [_pool()]
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2)]
    return nn.Sequential(*layers), nn.Linear(c_in, n_classes)


def vgg(n_channels, n_classes, height, width):
    """A small VGG-style stack (32-64-128 channels, two convs per stage)."""
    layers = _input_pool(height, width)
    c_in = n_channels
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


def resnet(n_channels, n_classes, height, width):
    """A small residual network: three stages of two basic blocks each."""
    layers = _input_pool(height, width) + _conv_bn(n_channels, 32)
    c_in = 32
    for c_out, stride in ((32, 1), (64, 2), (128, 2)):
        layers += [_BasicBlock(c_in, c_out, stride), _BasicBlock(c_out, c_out, 1)]
        c_in = c_out
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers), nn.Linear(c_in, n_classes)


def lenet5(n_channels, n_classes, height, width):
    """LeNet-5 (LeCun et al., 1998) with ReLU and max pooling."""
    layers = _input_pool(height, width) + [
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


# name -> (builder, smallest image side it accepts)
ARCHITECTURES = {
    "light": (light, 1),
    "lenet5": (lenet5, 12),
    "vgg": (vgg, 1),
    "resnet": (resnet, 1),
}


def _check_output(module, n_channels, n_classes, height, width):
    """Run a user's module once on blank images, so that a network of the
    wrong shape fails here, naming ``architecture``, not deep in training."""
    shape = (2, n_channels, height, width)
    was_training = module.training
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad():
            output = module.eval()(torch.zeros(shape))
    except Exception as error:  # noqa: BLE001 - whatever the user's code raises
        raise ValueError(
            f"The module that architecture(n_channels={n_channels}, "
            f"n_classes={n_classes}) built fails on a batch of images of shape "
            f"{shape} (N, C, H, W): {type(error).__name__}: {error}"
        ) from error
    finally:
        module.train(was_training)
    if not isinstance(output, torch.Tensor) or tuple(output.shape) != (2, n_classes):
        got = tuple(output.shape) if hasattr(output, "shape") else type(output)
        raise ValueError(
            f"The module that architecture(n_channels={n_channels}, "
            f"n_classes={n_classes}) built maps a batch of images of shape "
            f"{shape} to {got}; it must give logits of shape (2, {n_classes})."
        )


def build_network(architecture, n_channels, n_classes, height, width, mean, std):
    """Build the :class:`ImageNetwork` for ``architecture`` (a name or callable)."""
    standardize = Standardize(mean, std)
    if callable(architecture):
        module = architecture(n_channels, n_classes)
        if not isinstance(module, nn.Module):
            raise ValueError(
                "architecture must return a torch.nn.Module when called as "
                f"architecture(n_channels, n_classes); got {type(module).__name__}."
            )
        _check_output(module, n_channels, n_classes, height, width)
        return ImageNetwork(standardize, module, nn.Identity())
    builder, min_side = ARCHITECTURES[architecture]
    if min(height, width) < min_side:
        others = [
            repr(k) for k, v in ARCHITECTURES.items() if v[1] <= min(height, width)
        ]
        raise ValueError(
            f"architecture={architecture!r} needs images of at least "
            f"{min_side}x{min_side} pixels; got {height}x{width} images. Use "
            f"architecture={', '.join(others[:-1])} or {others[-1]}, or "
            "upsample the images."
        )
    features, head = builder(n_channels, n_classes, height, width)
    return ImageNetwork(standardize, features, head)
