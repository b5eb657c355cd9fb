"""The one registry of methods: every name that ``gansampler study`` runs,
``gansampler resample --sampler`` offers and ``benchmarks/bench_study.py``
runs, and what sets each apart.

A method is one :class:`Method` in :data:`METHODS`. The study, the command
line and the benchmarks read an entry's fields, never its name, so a new
method is one new entry.
"""

from dataclasses import dataclass, field

import numpy as np
from imblearn import FunctionSampler
from imblearn.over_sampling import SMOTE, RandomOverSampler

from .over_sampling import (
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    M2mSampler,
    SuperpixelSampler,
    VarianceTransferSampler,
)


@dataclass(frozen=True)
class Method:
    """One method: the sampler it builds and how its classifier trains.

    Attributes
    ----------
    name : str
        The base of the study's method names
        (``base[@strategy][+filter<p>][+weighted<s>][+cw][+threshold]``).
    sampler : type or None, default=None
        The sampler's class; None for a method that makes no new images.
    params : dict, default={}
        The sampler's settings besides ``random_state`` and
        ``sampling_strategy``.
    classifier : dict, default={}
        The CNNClassifier settings that make the method, such as
        ``{"class_weight": "balanced"}``.
    tunes_threshold : bool, default=False
        The classifier's decision threshold is tuned for balanced accuracy
        (two classes only), as ``+threshold`` tunes it on any method.
    flat_rows : bool, default=False
        An imbalanced-learn sampler: it takes images as flat rows and has no
        ``filter_threshold``.
    blends_pixels : bool, default=False
        Its new pixels lie between two images' pixels: it is given integer
        images as floats, in which their differences do not wrap around (and
        so it cannot run inside ResampledClassifier, which gives it images
        as they are).
    neighbours : bool, default=False
        It draws between ``k_neighbors`` neighbours of a class, which must
        have more images than that.
    gan : bool, default=False
        It trains a GAN and takes the GAN settings that a study is given.
    command : bool, default=False
        ``gansampler resample --sampler`` offers it.
    """

    name: str
    sampler: type | None = None
    params: dict = field(default_factory=dict)
    classifier: dict = field(default_factory=dict)
    tunes_threshold: bool = False
    flat_rows: bool = False
    blends_pixels: bool = False
    neighbours: bool = False
    gan: bool = False
    command: bool = False

    def build(
        self,
        seed,
        strategy="auto",
        *,
        min_count=None,
        filter_threshold=None,
        gan_params=None,
    ):
        """The method's sampler, or None where it makes no images.

        Parameters
        ----------
        seed : int
            The sampler's ``random_state``.
        strategy : str, float or dict, default="auto"
            Its ``sampling_strategy``.
        min_count : int or None, default=None
            The smallest class's count: a sampler that draws between
            neighbours gets ``k_neighbors`` (its default, or the entry's
            ``params``) lowered to fit it. None keeps the sampler's default.
        filter_threshold : float or None, default=None
            Its ``filter_threshold``, where given.
        gan_params : dict or None, default=None
            Settings for a GAN sampler (``n_epochs``, ...); others ignore
            them.
        """
        if self.sampler is None:
            return None
        params = {"random_state": seed, "sampling_strategy": strategy, **self.params}
        if filter_threshold is not None:
            params["filter_threshold"] = filter_threshold
        if self.neighbours and min_count is not None:
            # Their default, 5 (or the entry's own), or one fewer than the
            # smallest class has.
            wanted = self.params.get("k_neighbors", 5)
            params["k_neighbors"] = min(wanted, min_count - 1)
        gan_params = (gan_params or {}) if self.gan else {}
        return self.sampler(**params, **gan_params)

    def resample(self, sampler, X, y):
        """``sampler.fit_resample`` on images ``X``, in the form the method's
        sampler takes them; the images come back in ``X``'s shape."""
        if self.flat_rows:
            return imblearn_resample(sampler, X, y, blends=self.blends_pixels)
        return sampler.fit_resample(X, y)

    def step(self, sampler):
        """``sampler`` as a step of imbalanced-learn's Pipeline, which
        resamples images as :meth:`resample` does and gives them back in
        their shape."""
        kw_args = {"method": self, "sampler": sampler}
        return FunctionSampler(func=_resample, kw_args=kw_args, validate=False)


def _resample(X, y, method, sampler):
    # FunctionSampler's func, at the top of the module so that it pickles.
    return method.resample(sampler, X, y)


def imblearn_resample(sampler, X, y, blends=True):
    """An imbalanced-learn ``sampler`` on images: flat rows in, images out.

    A sampler that ``blends`` pixels (SMOTE) is given integer images as
    floats, rounded back afterwards: in unsigned integers (uint8, or a
    16-bit folder's uint16) its differences between neighbours wrap around.
    One that copies rows (``blends=False``) is given them as they are.
    """
    rows = X.reshape(len(X), -1)
    if blends and X.dtype.kind in "ui":
        # float32 holds every 8- and 16-bit value exactly.
        wide = np.float32 if X.dtype.itemsize <= 2 else np.float64
        X_res, y_res = sampler.fit_resample(rows.astype(wide), y)
        info = np.iinfo(X.dtype)
        X_res = np.clip(np.rint(X_res), info.min, info.max).astype(X.dtype)
    else:
        X_res, y_res = sampler.fit_resample(rows, y)
    return X_res.reshape((len(X_res),) + X.shape[1:]), y_res


# The methods by name, in the order that the study's errors list them. The
# command line offers each sampler once: ros_augment adds the classifier's
# augmentation to ros, and superpixel_both is superpixel; smote is the
# study's alone.
METHODS = {
    method.name: method
    for method in (
        Method("none"),
        Method("class_weight", classifier={"class_weight": "balanced"}),
        Method("threshold", tunes_threshold=True),
        # The classifier's losses for imbalanced classes and its deferred
        # re-balancing (DRW, DRS, cRT), and the pairing of the LDAM paper.
        Method("focal", classifier={"loss": "focal"}),
        Method("logit_adjusted", classifier={"loss": "logit_adjusted"}),
        Method("ldam", classifier={"loss": "ldam"}),
        Method("drw", classifier={"rebalance": "reweight"}),
        Method("drs", classifier={"rebalance": "resample"}),
        Method("crt", classifier={"rebalance": "retrain_head"}),
        Method("ldam_drw", classifier={"loss": "ldam", "rebalance": "reweight"}),
        Method("ros", RandomOverSampler, flat_rows=True, command=True),
        Method(
            "ros_augment",
            RandomOverSampler,
            classifier={"augment": True},
            flat_rows=True,
        ),
        Method("smote", SMOTE, flat_rows=True, blends_pixels=True, neighbours=True),
        Method("superpixel", SuperpixelSampler, command=True),
        Method(
            "superpixel_geometric",
            SuperpixelSampler,
            {"mode": "geometric"},
            command=True,
        ),
        Method(
            "superpixel_superpixel",
            SuperpixelSampler,
            {"mode": "superpixel"},
            command=True,
        ),
        Method("superpixel_both", SuperpixelSampler, {"mode": "both"}),
        Method("dcgan", DCGANSampler, gan=True, command=True),
        Method("infogan", InfoGANSampler, gan=True, command=True),
        Method("featuregan", FeatureGANSampler, gan=True, command=True),
        Method("featuresmote", FeatureSMOTESampler, neighbours=True, command=True),
        # Samplers that borrow from the larger classes.
        Method("m2m", M2mSampler, command=True),
        Method("variance_transfer", VarianceTransferSampler, command=True),
    )
}
