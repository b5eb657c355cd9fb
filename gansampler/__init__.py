"""gansampler: fix class imbalance in image classification.

Oversamplers with imbalanced-learn's ``fit_resample`` API and a PyTorch CNN
with scikit-learn's ``fit``/``predict`` API.
"""

from .base import BaseImageSampler
from .compose import ResampledClassifier
from .neural_network import CNNClassifier
from .over_sampling import (
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    M2mSampler,
    SuperpixelSampler,
    VarianceTransferSampler,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "BaseImageSampler",
    "CNNClassifier",
    "DCGANSampler",
    "FeatureGANSampler",
    "FeatureSMOTESampler",
    "InfoGANSampler",
    "M2mSampler",
    "ResampledClassifier",
    "SuperpixelSampler",
    "VarianceTransferSampler",
    "__version__",
]
