"""Random geometric augmentation of image batches, on their own device."""

import math

import torch
import torch.nn.functional as F


def random_affine(images, generator, max_shift=0.1, max_degrees=10.0, flip=True):
    """Randomly flip, shift and rotate each image of an NCHW batch.

    Parameters
    ----------
    images : torch.Tensor of shape (N, C, H, W)
        The batch, on any device.
    generator : torch.Generator
        CPU generator for the draws, so that results do not depend on the
        device's random state.
    max_shift : float, default=0.1
        Largest shift, as a fraction of the image side.
    max_degrees : float, default=10.0
        Largest rotation angle.
    flip : bool, default=True
        Whether to mirror half of the images left to right.

    Returns
    -------
    torch.Tensor of shape (N, C, H, W)
        Empty areas are filled with zeros.
    """
    n = images.shape[0]
    draws = torch.rand(n, 4, generator=generator) * 2 - 1
    angle = draws[:, 0] * math.radians(max_degrees)
    # affine_grid works in [-1, 1] coordinates: a shift of s sides is 2 * s.
    shift = draws[:, 1:3] * 2 * max_shift
    mirror = torch.where(draws[:, 3] < 0, -1.0, 1.0) if flip else torch.ones(n)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # A rotation in pixels, written in affine_grid's coordinates, which
    # stretch x by 2 / W and y by 2 / H: without the aspect ratio a
    # non-square image would be sheared, not rotated.
    height, width = images.shape[2], images.shape[3]
    theta = torch.stack(
        [
            torch.stack([cos * mirror, -sin * height / width, shift[:, 0]], dim=1),
            torch.stack([sin * width / height * mirror, cos, shift[:, 1]], dim=1),
        ],
        dim=1,
    ).to(images.device, torch.float32)
    # In float32 whatever the batch's dtype: a bfloat16 grid (autocast on
    # CUDA) misplaces samples by a fifth of a pixel at 64 pixels, and real
    # and generated images would be moved differently.
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    moved = F.grid_sample(
        images.float(), grid, padding_mode="zeros", align_corners=False
    )
    return moved.to(images.dtype)
