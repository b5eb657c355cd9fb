"""Image transforms for SuperpixelSampler, on one (H, W, C) float image in [0, 1].

Each transform takes the image and a :class:`numpy.random.RandomState` and
returns a new image; strengths are ``(low, high)`` ranges drawn per image.
Written on numpy, scipy and scikit-image (imgaug does not import with
NumPy 2).
"""

import numpy as np
from scipy import ndimage
from skimage.segmentation import slic

# Images with a side below this get no superpixels: SLIC has nothing to group.
MIN_SUPERPIXEL_SIDE = 8
# n_segments is given for images of this many pixels (64 x 64) or more and
# scaled down in proportion for smaller ones, so that a segment covers about
# the same share of the image.
SEGMENTS_REFERENCE_PIXELS = 64 * 64


def _per_channel(image, function):
    return np.stack([function(image[..., c]) for c in range(image.shape[-1])], axis=-1)


def geometric(image, rs, *, flip, rotation, shear, crop):
    """Flip left-right, rotate, shear, and zoom in (crop) or out (pad)."""
    if rs.rand() < flip:
        image = image[:, ::-1]
    angle = np.deg2rad(rs.uniform(-rotation, rotation))
    skew = np.deg2rad(rs.uniform(-shear, shear))
    zoom = 1.0 + rs.uniform(-crop, crop)
    cos, sin = np.cos(angle), np.sin(angle)
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array(
        [[1.0, np.tan(skew)], [0.0, 1.0]]
    )
    forward = forward * zoom
    # affine_transform maps output coordinates to input ones: the inverse.
    inverse = np.linalg.inv(forward)
    center = (np.array(image.shape[:2]) - 1) / 2.0
    offset = center - inverse @ center
    # "grid-constant" fills only what lies outside the image. "constant"
    # also blackens every output pixel whose source point falls a hair
    # outside it: a 1-degree turn zeroed the border ring (a quarter of an
    # 8x8 image), a mark of synthetic images that real ones never carry.
    return _per_channel(
        image,
        lambda plane: ndimage.affine_transform(
            plane, inverse, offset=offset, order=1, mode="grid-constant", cval=0.0
        ),
    )


def superpixels(image, rs, *, n_segments, p_replace):
    """Replace a random fraction of SLIC superpixels by their mean intensity."""
    height, width, channels = image.shape
    if min(height, width) < MIN_SUPERPIXEL_SIDE:
        return image
    scale = min(1.0, height * width / SEGMENTS_REFERENCE_PIXELS)
    wanted = max(2, int(round(rs.uniform(*n_segments) * scale)))
    segments = slic(
        image if channels > 1 else image[..., 0],
        n_segments=wanted,
        compactness=0.1,
        start_label=0,
        channel_axis=-1 if channels > 1 else None,
        # Colour in the image's own [0, 1] units, as grey is: in Lab (about
        # 100 units) the same compactness would leave almost no spatial term
        # and RGB images would get half as many, ragged segments.
        convert2lab=False,
    )
    n_found = segments.max() + 1
    replace = rs.rand(n_found) < rs.uniform(*p_replace)
    if not replace.any():
        return image
    flat = segments.ravel()
    counts = np.bincount(flat, minlength=n_found)
    out = image.copy()
    chosen = replace[segments]
    for c in range(channels):
        means = (
            np.bincount(flat, weights=image[..., c].ravel(), minlength=n_found) / counts
        )
        out[..., c][chosen] = means[segments][chosen]
    return out


def _odd(k):
    return k if k % 2 else k + 1


def gaussian_blur(image, rs, *, blur_sigma, **_):
    sigma = rs.uniform(*blur_sigma)
    return ndimage.gaussian_filter(image, sigma=(sigma, sigma, 0))


def average_blur(image, rs, *, blur_kernel, **_):
    k = rs.randint(blur_kernel[0], blur_kernel[1] + 1)
    return ndimage.uniform_filter(image, size=(k, k, 1))


def median_blur(image, rs, *, blur_kernel, **_):
    k = _odd(rs.randint(blur_kernel[0], blur_kernel[1] + 1))
    return ndimage.median_filter(image, size=(k, k, 1))


def motion_blur(image, rs, *, blur_kernel, **_):
    k = _odd(max(3, rs.randint(blur_kernel[0], blur_kernel[1] + 1)))
    angle = rs.uniform(0, np.pi)
    kernel = np.zeros((k, k))
    t = np.linspace(-(k - 1) / 2, (k - 1) / 2, 2 * k)
    rows = np.rint((k - 1) / 2 + t * np.sin(angle)).astype(int)
    cols = np.rint((k - 1) / 2 + t * np.cos(angle)).astype(int)
    kernel[rows, cols] = 1.0
    kernel /= kernel.sum()
    return _per_channel(image, lambda p: ndimage.convolve(p, kernel, mode="nearest"))


def _blend_kernel(image, kernel, alpha):
    filtered = _per_channel(
        image, lambda p: ndimage.convolve(p, kernel, mode="nearest")
    )
    return (1 - alpha) * image + alpha * filtered


def sharpen(image, rs, *, sharpen_alpha, **_):
    lightness = rs.uniform(0.75, 1.5)
    kernel = np.array([[-1, -1, -1], [-1, 8 + lightness, -1], [-1, -1, -1]], float)
    return _blend_kernel(image, kernel, rs.uniform(*sharpen_alpha))


def emboss(image, rs, *, emboss_alpha, **_):
    s = rs.uniform(0.0, 2.0)
    kernel = np.array([[-1 - s, -s, 0], [-s, 1, s], [0, s, 1 + s]], float)
    return _blend_kernel(image, kernel, rs.uniform(*emboss_alpha))


def edge_detect(image, rs, *, edge_alpha, **_):
    kernel = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], float)
    return _blend_kernel(image, kernel, rs.uniform(*edge_alpha))


def black_pixels(image, rs, *, black_pixels, **_):
    mask = rs.rand(*image.shape[:2]) < rs.uniform(*black_pixels)
    return np.where(mask[..., None], 0.0, image)


def black_blocks(image, rs, *, black_blocks, **_):
    height, width = image.shape[:2]
    # Blocks of 2% to 5% of the image side, at least a pixel.
    block = max(1, int(round(rs.uniform(0.02, 0.05) * max(height, width))))
    small = rs.rand(-(-height // block), -(-width // block)) < rs.uniform(*black_blocks)
    mask = np.kron(small, np.ones((block, block), bool))[:height, :width]
    return np.where(mask[..., None], 0.0, image)


def brightness(image, rs, *, brightness, **_):
    return image * rs.uniform(*brightness)


def quantize(image, rs, *, quantize_levels, **_):
    levels = rs.randint(quantize_levels[0], quantize_levels[1] + 1)
    return np.round(np.clip(image, 0, 1) * (levels - 1)) / (levels - 1)


PIXEL_TRANSFORMS = (
    gaussian_blur,
    average_blur,
    median_blur,
    motion_blur,
    sharpen,
    emboss,
    edge_detect,
    black_pixels,
    black_blocks,
    brightness,
    quantize,
)


def augment_one(image, seed, mode, params):
    """Augment one image with its own seed, so results do not depend on n_jobs."""
    rs = np.random.RandomState(seed)
    geo = dict((k, params[k]) for k in ("flip", "rotation", "shear", "crop"))

    def superpixel_step(img):
        img = superpixels(
            img, rs, n_segments=params["n_segments"], p_replace=params["p_replace"]
        )
        # At least one pixel transform, so that no new image is a mere copy.
        n_ops = rs.randint(min(1, params["max_pixel_ops"]), params["max_pixel_ops"] + 1)
        for index in rs.permutation(len(PIXEL_TRANSFORMS))[:n_ops]:
            img = PIXEL_TRANSFORMS[index](img, rs, **params)
        return img

    steps = {
        "geometric": [lambda img: geometric(img, rs, **geo)],
        "superpixel": [superpixel_step],
        "both": [lambda img: geometric(img, rs, **geo), superpixel_step],
    }[mode]
    if mode == "both" and rs.rand() < 0.5:
        steps = steps[::-1]
    for step in steps:
        image = step(image)
    return np.clip(image, 0.0, 1.0)


def augment_many(images, seeds, mode, params):
    return np.stack(
        [
            augment_one(img, seed, mode, params)
            for img, seed in zip(images, seeds, strict=True)
        ]
    )
