"""Oversamplers that make new minority-class images."""

from ._dcgan import DCGANSampler
from ._feature_gan import FeatureGANSampler
from ._feature_smote import FeatureSMOTESampler
from ._infogan import InfoGANSampler
from ._superpixel import SuperpixelSampler

__all__ = [
    "DCGANSampler",
    "FeatureGANSampler",
    "FeatureSMOTESampler",
    "InfoGANSampler",
    "SuperpixelSampler",
]
