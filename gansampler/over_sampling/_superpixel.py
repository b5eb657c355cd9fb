"""SuperpixelSampler: oversample by augmenting real minority images."""

from numbers import Integral, Real

import numpy as np
import torch
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.utils._param_validation import Interval, StrOptions

from .._docstrings import fill_doc
from .._filtering import FILTER_TEXT
from .._generator import Generator
from .._torch import MAX_SEED
from .._warnings import warn
from ..base import BaseImageSampler
from ._transforms import PIXEL_TRANSFORMS, augment_many

# (low, high) ranges: name -> (smallest low, largest high, integer?)
_RANGES = {
    # Upper bounds keep a slip (inf, 1e9) from failing inside numpy or
    # asking for exabytes; they lie far beyond any useful value.
    "n_segments": (1, 100_000, True),
    "p_replace": (0.0, 1.0, False),
    "blur_sigma": (0.0, 100.0, False),
    "blur_kernel": (1, 255, True),
    "sharpen_alpha": (0.0, 1.0, False),
    "emboss_alpha": (0.0, 1.0, False),
    "edge_alpha": (0.0, 1.0, False),
    "black_pixels": (0.0, 1.0, False),
    "black_blocks": (0.0, 1.0, False),
    "brightness": (0.0, 10.0, False),
    "quantize_levels": (2, 256, True),
}


def _check_range(name, value, low, high, integer):
    kind = "integers" if integer else "numbers"
    bounds = f">= {low}" + ("" if high is None else f" and <= {high}")
    number = Integral if integer else Real
    ok = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, number) and not isinstance(v, bool) for v in value)
        and value[0] <= value[1]
        and value[0] >= low
        and (high is None or value[1] <= high)
    )
    if not ok:
        raise ValueError(
            f"{name} must be a (low, high) pair of {kind} with low <= high, "
            f"{bounds}; got {name}={value!r}."
        )
    return tuple(value)


@fill_doc(FILTER_TEXT)
class SuperpixelSampler(BaseImageSampler):
    """Oversample minority classes with augmented copies of real images.

    Each new image is a randomly picked real image of its class, transformed
    by geometric changes, superpixel replacement with pixel-level changes, or
    both, after the study of superpixel augmentation for chest X-rays and
    skin lesions. Every strength is a ``(low, high)`` range from which each
    image draws its own value.

    Read more in the :ref:`User Guide <superpixel_sampler>`.

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images each class should have after resampling, exactly as in
        imbalanced-learn (``"auto"`` balances every class to the majority). A
        dict asks for a count per class: ``{c: 4 * count_c}`` gives three
        augmented copies of every image of class ``c`` on average, plain
        augmentation without balancing.

    mode : {"geometric", "superpixel", "both"}, default="both"
        ``"geometric"``: flips, rotation, shear, crop or pad.
        ``"superpixel"``: SLIC superpixels, a random fraction replaced by
        their mean, then up to ``max_pixel_ops`` pixel-level transforms
        (gaussian, average, median or motion blur; sharpen; emboss; edge
        detection; black pixels and black blocks; brightness; quantization) in
        random order. ``"both"``: the two, in random order.

    flip : float, default=0.5
        Probability of a left-right flip.

    rotation : float, default=45.0
        Largest rotation, in degrees either way.

    shear : float, default=16.0
        Largest shear, in degrees either way.

    crop : float, default=0.1
        Largest zoom in (crop) or out (pad), as a fraction of the image.

    n_segments : (int, int), default=(100, 200)
        Range of the number of SLIC superpixels, for images of 64x64 pixels
        or more; smaller images get proportionally fewer (a 28x28 image 19 to
        38), and images with a side under 8 pixels get no superpixels.

    p_replace : (float, float), default=(0.0, 0.5)
        Range of the fraction of superpixels replaced by their mean.

    max_pixel_ops : int, default=3
        Pixel-level transforms per image, drawn uniformly from 1 to
        ``max_pixel_ops`` (at least one, so that no new image is a mere copy;
        0 turns them off), in ``"superpixel"`` and ``"both"`` modes; at most
        11, the number of pixel transforms.

    blur_sigma : (float, float), default=(0.0, 3.0)
        Gaussian blur sigma, in pixels.

    blur_kernel : (int, int), default=(2, 7)
        Kernel size of the average, median (rounded up to odd) and motion
        blurs.

    sharpen_alpha, emboss_alpha : (float, float), default=(0.0, 1.0)
        Blend factor of the sharpened or embossed image.

    edge_alpha : (float, float), default=(0.0, 0.7)
        Blend factor of the edge-detected image.

    black_pixels : (float, float), default=(0.01, 0.1)
        Fraction of pixels set to black.

    black_blocks : (float, float), default=(0.03, 0.15)
        Fraction of blocks (2% to 5% of the image side) set to black.

    brightness : (float, float), default=(0.75, 1.25)
        Intensity multiplier.

    quantize_levels : (int, int), default=(8, 32)
        Number of intensity levels kept by quantization.

    random_state : int, RandomState instance or None, default=None
        Seeds the choice of source images and every transform. Each new image
        gets its own seed, so the output does not depend on ``n_jobs``.

    n_jobs : int or None, default=None
        Processes that augment images in parallel (joblib); -1 for all cores.

    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input.

    {filter_threshold, filter_classifier}

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of new images made for each class.

    {filter_rejection_rate_, filter_classifier_}

    n_features_in_ : int
        Pixel values per image.

    See Also
    --------
    BaseImageSampler : write your own sampler.
    imblearn.over_sampling.RandomOverSampler : exact copies.

    Notes
    -----
    Each class's images are scaled to [0, 1] by the class's own minimum and
    maximum before augmenting and back afterwards, so float images of any
    range work and results stay within the range of the input. Black (the
    class minimum) fills the areas that rotations, shears and pads uncover.
    A class to oversample needs at least 2 images: copies of a single image
    teach a classifier that one image.

    It has no ``sample``, unlike the samplers that learn what they draw
    from: it learns nothing from the data, and its draw transforms the real
    images of a class, so a fitted sampler would hold nothing but a copy of
    the training images. Its ``fit`` checks the images and the parameters,
    as imbalanced-learn's samplers do; :meth:`fit_resample` makes the
    images, with no training to repeat.

    References
    ----------
    .. [1] R. Achanta et al., "SLIC superpixels compared to state-of-the-art
       superpixel methods", IEEE TPAMI 34(11), 2274-2282 (2012).

    Examples
    --------
    >>> import numpy as np
    >>> from gansampler import SuperpixelSampler
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randint(0, 256, size=(30, 28, 28)).astype(np.uint8)
    >>> y = np.array([0] * 25 + [1] * 5)
    >>> X_res, y_res = SuperpixelSampler(random_state=0).fit_resample(X, y)
    >>> X_res.shape, X_res.dtype, np.bincount(y_res)
    ((50, 28, 28), dtype('uint8'), array([25, 25]))
    """

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        "mode": [StrOptions({"geometric", "superpixel", "both"})],
        "flip": [Interval(Real, 0, 1, closed="both")],
        "rotation": [Interval(Real, 0, 180, closed="both")],
        "shear": [Interval(Real, 0, 60, closed="both")],
        "crop": [Interval(Real, 0, 0.5, closed="both")],
        # As many as there are pixel transforms: more would be a silent cap.
        "max_pixel_ops": [Interval(Integral, 0, len(PIXEL_TRANSFORMS), closed="both")],
        **{name: [tuple, list] for name in _RANGES},
        "n_jobs": [
            Interval(Integral, None, -1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
            None,
        ],
    }

    _min_class_size = 2

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        mode="both",
        flip=0.5,
        rotation=45.0,
        shear=16.0,
        crop=0.1,
        n_segments=(100, 200),
        p_replace=(0.0, 0.5),
        max_pixel_ops=3,
        blur_sigma=(0.0, 3.0),
        blur_kernel=(2, 7),
        sharpen_alpha=(0.0, 1.0),
        emboss_alpha=(0.0, 1.0),
        edge_alpha=(0.0, 0.7),
        black_pixels=(0.01, 0.1),
        black_blocks=(0.03, 0.15),
        brightness=(0.75, 1.25),
        quantize_levels=(8, 32),
        random_state=None,
        n_jobs=None,
        image_shape=None,
        filter_threshold=None,
        filter_classifier=None,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            image_shape=image_shape,
            filter_threshold=filter_threshold,
            filter_classifier=filter_classifier,
        )
        self.mode = mode
        self.flip = flip
        self.rotation = rotation
        self.shear = shear
        self.crop = crop
        self.n_segments = n_segments
        self.p_replace = p_replace
        self.max_pixel_ops = max_pixel_ops
        self.blur_sigma = blur_sigma
        self.blur_kernel = blur_kernel
        self.sharpen_alpha = sharpen_alpha
        self.emboss_alpha = emboss_alpha
        self.edge_alpha = edge_alpha
        self.black_pixels = black_pixels
        self.black_blocks = black_blocks
        self.brightness = brightness
        self.quantize_levels = quantize_levels
        self.n_jobs = n_jobs

    def _make_generator(self):
        return Augmenter({name: getattr(self, name) for name in _SETTINGS}, self.n_jobs)


# What the augmenter reads of the sampler's parameters.
_SETTINGS = (*_RANGES, "mode", "flip", "rotation", "shear", "crop", "max_pixel_ops")


class Augmenter(Generator):
    """Draws new images as transformed copies of random real ones.

    ``settings`` are SuperpixelSampler's parameters by name, checked in
    :meth:`fit`; ``n_jobs`` processes augment in parallel.
    """

    def __init__(self, settings, n_jobs=None):
        self.settings = settings
        self.n_jobs = n_jobs

    def fit(self, training):
        layout, mode = training.layout, self.settings["mode"]
        self.layout = layout
        if mode in ("geometric", "both") and min(layout.height, layout.width) < 2:
            # A flip, rotation or crop of a 1-pixel strip leaves a constant row.
            raise ValueError(
                f"mode={mode!r} flips, rotates, shears and crops 2-D images, "
                f"but X holds {layout.height}x{layout.width} images (flat rows "
                "without a square number of values are read as 1-pixel strips). "
                "Pass image_shape=(H, W) or (H, W, C) for flat images, or use "
                "mode='superpixel' for data that are not images."
            )
        # Checked before any image is made, so a bad range fails at once.
        self.params = {
            **self.settings,
            **{
                name: _check_range(name, self.settings[name], *bounds)
                for name, bounds in _RANGES.items()
            },
        }
        del self.params["mode"]

    def draw(self, class_index, rng, real=None):
        n_samples, mode = len(class_index), self.settings["mode"]
        picks = rng.randint(len(real), size=n_samples)
        seeds = rng.randint(MAX_SEED, size=n_samples)
        low, high = float(real.min()), float(real.max())
        span = high - low if high > low else 1.0
        sources = ((real[torch.from_numpy(picks)] - low) / span).permute(0, 2, 3, 1)
        sources = sources.numpy().astype(np.float64)
        n_chunks = max(1, min(n_samples, 4 * effective_n_jobs(self.n_jobs)))
        chunks = np.array_split(np.arange(n_samples), n_chunks)
        parts = Parallel(n_jobs=self.n_jobs)(
            delayed(augment_many)(sources[c], seeds[c], mode, self.params)
            for c in chunks
        )
        made = torch.from_numpy(np.concatenate(parts).astype(np.float32))
        made = made.permute(0, 3, 1, 2) * span + low
        if self.layout.dtype == bool:
            sources = real[torch.from_numpy(picks)]
            made = _keep_strokes(made, sources)
            erased = int(
                ((made.flatten(1).sum(1) == 0) & (sources.flatten(1).sum(1) > 0)).sum()
            )
            if erased:
                warn(
                    f"SuperpixelSampler erased every pixel of {erased} of "
                    f"{n_samples} new bool images whose source image has some: "
                    "a pixel transform (a median blur, for one) removes "
                    "strokes thinner than its kernel. Pass mode='geometric' "
                    "to keep every stroke."
                )
        return made


def _keep_strokes(made, sources):
    """Binary images from augmented ``made`` (0 to 1), one per source image.

    Rounding at one half erased thin strokes (digits, masks): blurring or
    averaging a superpixel dims a line one pixel wide below one half. A pixel
    is on where it is at least one half, or among the brightest pixels as
    many as its source had on (ties included), so a faded stroke stays; a
    pixel at 0 never turns on.
    """
    flat = made.flatten(1)
    n_on = sources.flatten(1).sum(1).long()
    ranked = flat.sort(dim=1, descending=True).values
    level = ranked.gather(1, (n_on - 1).clamp(min=0)[:, None])[:, 0]
    level = torch.where(n_on > 0, level, torch.ones_like(level))
    cut = level.clamp(max=0.5)
    on = (flat >= cut[:, None]) & (flat > 0)
    return on.to(made.dtype).view_as(made)
