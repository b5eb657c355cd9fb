"""Generator and discriminator networks shared by the GAN samplers.

Both adapt to the image size instead of being fixed to one: the generator
starts from a small grid of 4 to 7 pixels a side, doubles it until it covers
the image and crops the centre; the discriminator halves the image the same
number of times. Images with a side under ``MIN_GAN_CONV_SIDE`` (and plain
tabular rows, which the input contract reads as ``1 x D`` strips) get
multilayer perceptrons on the flattened values instead.

Why 16 pixels: on images as small as 8x8 digits, oneDNN's convolutions run
at a few GFLOP/s (their backward passes took about 0.5 to 1.3 ms each for a
few million multiply-adds), so a step of the convolutional networks took
about 12 ms where the perceptrons take about 3. On 100 digit images (10 a
class, 3 seeds) the perceptrons drew their classes as well as the
convolutions had, in a third of the time (docs/benchmarks_archive.md, issue 34).
The encoders of the feature samplers and the augmentation still treat
images from ``MIN_CONV_SIDE`` pixels a side as images.
"""

import math

from torch import nn
from torch.nn.utils import spectral_norm as _spectral_norm

MIN_CONV_SIDE = 8
MIN_GAN_CONV_SIDE = 16
MAX_SIDE = 256


def uses_convolutions(height, width):
    """Whether images of this size are images to a convolutional network
    (an encoder, the augmentation) rather than rows of values."""
    return min(height, width) >= MIN_CONV_SIDE


def gan_uses_convolutions(height, width):
    """Whether a GAN's generator and discriminator are convolutional for
    images of this size (see the module's docstring)."""
    return min(height, width) >= MIN_GAN_CONV_SIDE


def check_image_size(height, width, estimator_name):
    if max(height, width) > MAX_SIDE and uses_convolutions(height, width):
        raise ValueError(
            f"{estimator_name} supports images with sides of at most {MAX_SIDE} "
            f"pixels; got {height}x{width} images. Downscale them first (224x224 "
            "is the largest size the networks are designed for)."
        )


def _plan(height, width):
    """Number of 2x upsamplings and the starting grid of the generator."""
    n_up = max(0, int(math.floor(math.log2(min(height, width) / 4))))
    return n_up, math.ceil(height / 2**n_up), math.ceil(width / 2**n_up)


def _widths(n_up, n_filters):
    """Channels per resolution level, coarsest first, at most 8 * n_filters."""
    return [min(8 * n_filters, n_filters * 2 ** (n_up - i)) for i in range(n_up + 1)]


class ConvGenerator(nn.Module):
    """Noise, one-hot label and codes -> an image in [-1, 1]."""

    def __init__(self, n_inputs, channels, height, width, n_filters):
        super().__init__()
        n_up, h0, w0 = _plan(height, width)
        widths = _widths(n_up, n_filters)
        self.height, self.width = height, width
        self.start = (widths[0], h0, w0)
        self.project = nn.Linear(n_inputs, widths[0] * h0 * w0, bias=False)
        self.start_norm = nn.Sequential(nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers = []
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            # A 4x4 transposed convolution of stride 2 doubles the size at
            # under half the cost of upsampling and a 3x3 convolution.
            layers += [
                nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
            ]
        layers += [nn.Conv2d(widths[-1], channels, 3, padding=1), nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z):
        x = self.start_norm(self.project(z).view(-1, *self.start))
        x = self.body(x)
        top = (x.shape[2] - self.height) // 2
        left = (x.shape[3] - self.width) // 2
        return x[:, :, top : top + self.height, left : left + self.width]


class ConvDiscriminator(nn.Module):
    """Image (and label) -> adversarial score, class logits and code outputs.

    The label enters through a projection (the inner product of a class
    embedding with the image features), so that one network judges every
    class; ``n_outputs`` extra outputs serve auxiliary heads (InfoGAN codes).
    """

    def __init__(self, channels, height, width, n_filters, n_classes, n_outputs, sn):
        super().__init__()
        n_up, _, _ = _plan(height, width)
        widths = _widths(n_up, n_filters)[::-1]
        wrap = _spectral_norm if sn else (lambda m: m)
        layers = [wrap(nn.Conv2d(channels, widths[0], 3, padding=1)), nn.LeakyReLU(0.2)]
        for c_in, c_out in zip(widths[:-1], widths[1:], strict=True):
            layers.append(wrap(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1)))
            if not sn:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2))
        self.body = nn.Sequential(*layers)
        _init_heads(self, widths[-1], n_classes, n_outputs, wrap)

    def forward(self, x, labels):
        features = self.body(x).mean(dim=(2, 3))
        return _heads(self, features, labels)


class MLPGenerator(nn.Module):
    """Generator for tiny images and tabular rows, on the flattened values."""

    def __init__(self, n_inputs, channels, height, width, n_filters):
        super().__init__()
        hidden = 4 * n_filters
        self.shape = (channels, height, width)
        self.body = nn.Sequential(
            nn.Linear(n_inputs, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden, bias=False),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, channels * height * width),
            nn.Tanh(),
        )

    def forward(self, z):
        return self.body(z).view(-1, *self.shape)


class MLPDiscriminator(nn.Module):
    """Discriminator for tiny images and tabular rows."""

    def __init__(self, channels, height, width, n_filters, n_classes, n_outputs, sn):
        super().__init__()
        hidden = 4 * n_filters
        wrap = _spectral_norm if sn else (lambda m: m)
        self.body = nn.Sequential(
            nn.Flatten(),
            wrap(nn.Linear(channels * height * width, hidden)),
            nn.LeakyReLU(0.2),
            wrap(nn.Linear(hidden, hidden)),
            nn.LeakyReLU(0.2),
        )
        _init_heads(self, hidden, n_classes, n_outputs, wrap)

    def forward(self, x, labels):
        return _heads(self, self.body(x), labels)


def _init_heads(module, n_features, n_classes, n_outputs, wrap):
    module.score = wrap(nn.Linear(n_features, 1))
    module.embed_class = wrap(nn.Embedding(n_classes, n_features))
    module.extra = nn.Linear(n_features, n_outputs) if n_outputs else None


def _heads(module, features, labels):
    score = module.score(features).squeeze(1)
    score = score + (module.embed_class(labels) * features).sum(dim=1)
    extra = module.extra(features) if module.extra is not None else None
    return score, extra


def build_networks(layout, n_inputs, n_classes, n_outputs, n_filters, sn):
    """The generator and discriminator for images of ``layout``."""
    shape = (layout.channels, layout.height, layout.width)
    if gan_uses_convolutions(layout.height, layout.width):
        generator = ConvGenerator(n_inputs, *shape, n_filters)
        discriminator = ConvDiscriminator(*shape, n_filters, n_classes, n_outputs, sn)
    else:
        generator = MLPGenerator(n_inputs, *shape, n_filters)
        discriminator = MLPDiscriminator(*shape, n_filters, n_classes, n_outputs, sn)
    return generator, discriminator
