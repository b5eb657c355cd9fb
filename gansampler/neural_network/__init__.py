"""Neural-network classifiers for images."""

from ._cnn import CNNClassifier

__all__ = ["CNNClassifier"]
