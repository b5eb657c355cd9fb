"""Oversamplers that make new minority-class images."""

from ._dcgan import DCGANSampler
from ._feature_gan import FeatureGANSampler
from ._feature_smote import FeatureSMOTESampler
from ._infogan import InfoGANSampler
from ._m2m import M2mSampler
from ._superpixel import SuperpixelSampler
from ._variance_transfer import VarianceTransferSampler

__all__ = [
    "DCGANSampler",
    "FeatureGANSampler",
    "FeatureSMOTESampler",
    "InfoGANSampler",
    "M2mSampler",
    "SuperpixelSampler",
    "VarianceTransferSampler",
]
