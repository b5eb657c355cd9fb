"""Standard ImageNet backbones whose state dicts match torchvision's.

ResNet-18, -34 and -50 (He et al., 2016) and DenseNet-121 (Huang et al.,
2017), written here because torchvision's wheels need the CUDA build of
torch. Module and parameter names follow torchvision's, so that a weights
file saved from a torchvision model, or one from torch's hub cache, loads
with ``load_state_dict`` as it is. Each network is a plain classifier
(``num_classes`` outputs); :mod:`._transfer` adapts it to a task.
"""

import re
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


def _conv3(c_in, c_out, stride=1):
    return nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)


def _conv1(c_in, c_out, stride=1):
    return nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions and a shortcut (ResNet-18 and -34)."""

    expansion = 1

    def __init__(self, c_in, width, stride=1, downsample=None):
        super().__init__()
        self.conv1 = _conv3(c_in, width, stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3(width, width)
        self.bn2 = nn.BatchNorm2d(width)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + shortcut)


class Bottleneck(nn.Module):
    """1x1 down, 3x3 (with the stride, as torchvision's "v1.5"), 1x1 up."""

    expansion = 4

    def __init__(self, c_in, width, stride=1, downsample=None):
        super().__init__()
        self.conv1 = _conv1(c_in, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = _conv3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = _conv1(width, width * self.expansion)
        self.bn3 = nn.BatchNorm2d(width * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        return self.relu(self.bn3(self.conv3(out)) + shortcut)


class ResNet(nn.Module):
    """A 7x7 stem, four stages ``layer1`` to ``layer4``, pooling and ``fc``."""

    def __init__(self, block, depths, num_classes=1000, in_channels=3):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        c_in, widths = 64, (64, 128, 256, 512)
        for index, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            stride = 1 if index == 0 else 2
            c_out = width * block.expansion
            downsample = None
            if stride != 1 or c_in != c_out:
                downsample = nn.Sequential(
                    _conv1(c_in, c_out, stride), nn.BatchNorm2d(c_out)
                )
            blocks = [block(c_in, width, stride, downsample)]
            blocks += [block(c_out, width) for _ in range(depth - 1)]
            setattr(self, f"layer{index + 1}", nn.Sequential(*blocks))
            c_in = c_out
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c_in, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(
                    module.weight, mode="fan_out", nonlinearity="relu"
                )
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class _DenseLayer(nn.Module):
    def __init__(self, c_in, growth, bottleneck):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(c_in)
        self.relu1 = nn.ReLU(inplace=True)
        self.conv1 = _conv1(c_in, bottleneck * growth)
        self.norm2 = nn.BatchNorm2d(bottleneck * growth)
        self.relu2 = nn.ReLU(inplace=True)
        self.conv2 = _conv3(bottleneck * growth, growth)

    def forward(self, features):
        x = torch.cat(features, 1)
        x = self.conv1(self.relu1(self.norm1(x)))
        return self.conv2(self.relu2(self.norm2(x)))


class _DenseBlock(nn.ModuleDict):
    def __init__(self, n_layers, c_in, growth, bottleneck):
        super().__init__()
        for index in range(n_layers):
            layer = _DenseLayer(c_in + index * growth, growth, bottleneck)
            self[f"denselayer{index + 1}"] = layer

    def forward(self, x):
        features = [x]
        for layer in self.values():
            features.append(layer(features))
        return torch.cat(features, 1)


class _Transition(nn.Sequential):
    def __init__(self, c_in, c_out):
        super().__init__(
            OrderedDict(
                norm=nn.BatchNorm2d(c_in),
                relu=nn.ReLU(inplace=True),
                conv=_conv1(c_in, c_out),
                pool=nn.AvgPool2d(2, stride=2),
            )
        )


class DenseNet(nn.Module):
    """``features`` (stem, dense blocks, transitions, ``norm5``), ``classifier``."""

    def __init__(
        self,
        depths=(6, 12, 24, 16),
        growth=32,
        n_initial=64,
        bottleneck=4,
        num_classes=1000,
        in_channels=3,
    ):
        super().__init__()
        layers = OrderedDict(
            conv0=nn.Conv2d(in_channels, n_initial, 7, stride=2, padding=3, bias=False),
            norm0=nn.BatchNorm2d(n_initial),
            relu0=nn.ReLU(inplace=True),
            pool0=nn.MaxPool2d(3, stride=2, padding=1),
        )
        c_in = n_initial
        for index, depth in enumerate(depths):
            block = _DenseBlock(depth, c_in, growth, bottleneck)
            layers[f"denseblock{index + 1}"] = block
            c_in += depth * growth
            if index < len(depths) - 1:
                layers[f"transition{index + 1}"] = _Transition(c_in, c_in // 2)
                c_in //= 2
        layers["norm5"] = nn.BatchNorm2d(c_in)
        self.features = nn.Sequential(layers)
        self.classifier = nn.Linear(c_in, num_classes)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)

    def forward(self, x):
        x = F.relu(self.features(x))
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# The published DenseNet weights files predate module names without dots:
# they say "denselayer1.norm.1.weight" where the module is "norm1".
_OLD_DENSE_KEY = re.compile(
    r"^(.*denselayer\d+\.(?:norm|relu|conv))\.([12])\."
    r"(weight|bias|running_mean|running_var|num_batches_tracked)$"
)


def rename_old_keys(state_dict):
    """Map the old DenseNet key names (``norm.1``) to the current (``norm1``)."""
    renamed = OrderedDict()
    for key, value in state_dict.items():
        match = _OLD_DENSE_KEY.match(key)
        renamed[f"{match[1]}{match[2]}.{match[3]}" if match else key] = value
    return renamed


def resnet18(**kwargs):
    return ResNet(BasicBlock, (2, 2, 2, 2), **kwargs)


def resnet34(**kwargs):
    return ResNet(BasicBlock, (3, 4, 6, 3), **kwargs)


def resnet50(**kwargs):
    return ResNet(Bottleneck, (3, 4, 6, 3), **kwargs)


def densenet121(**kwargs):
    return DenseNet((6, 12, 24, 16), **kwargs)


BACKBONES = {
    "resnet18": resnet18,
    "resnet34": resnet34,
    "resnet50": resnet50,
    "densenet121": densenet121,
}
# torchvision's weights enum of each, for weights given by name.
WEIGHTS_ENUMS = {
    "resnet18": "ResNet18_Weights",
    "resnet34": "ResNet34_Weights",
    "resnet50": "ResNet50_Weights",
    "densenet121": "DenseNet121_Weights",
}
