"""Oversamplers that make new minority-class images."""

from ._superpixel import SuperpixelSampler

__all__ = ["SuperpixelSampler"]
