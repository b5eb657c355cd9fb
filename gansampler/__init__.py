"""gansampler: fix class imbalance in image classification.

Oversamplers with imbalanced-learn's ``fit_resample`` API and a PyTorch CNN
with scikit-learn's ``fit``/``predict`` API.
"""

from .neural_network import CNNClassifier

__version__ = "0.1.0.dev0"

__all__ = ["CNNClassifier", "__version__"]
