"""Oversamplers that make new minority-class images."""

from ._dcgan import DCGANSampler
from ._feature_gan import FeatureGANSampler
from ._infogan import InfoGANSampler
from ._superpixel import SuperpixelSampler

__all__ = ["DCGANSampler", "FeatureGANSampler", "InfoGANSampler", "SuperpixelSampler"]
