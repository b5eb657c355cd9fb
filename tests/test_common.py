"""scikit-learn's and imbalanced-learn's estimator checks on every estimator."""

import torch
from imblearn.utils.estimator_checks import parametrize_with_checks

from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    InfoGANSampler,
    SuperpixelSampler,
)
from gansampler.base import BaseImageSampler


class MirrorSampler(BaseImageSampler):
    """The smallest useful subclass: mirrored copies of real images."""

    def _generate(self, X_class, n_samples, rng):
        picks = rng.randint(len(X_class), size=n_samples)
        return X_class[torch.from_numpy(picks)].flip(-1)


# Tiny settings: the checks fit on blobs of a few dozen rows of 2 to 20
# columns, which the estimators read as 1 x D strips. The larger learning rate
# lets CNNClassifier converge on them in 20 epochs.
ESTIMATORS = [
    CNNClassifier(
        n_epochs=20, batch_size=16, learning_rate=1e-2, random_state=0, device="cpu"
    ),
    SuperpixelSampler(random_state=0),
    MirrorSampler(random_state=0),
    # The checks' rows are tabular: the GAN samplers train MLPs on them
    # (FeatureGANSampler's GAN works on the columns themselves).
    *[
        cls(
            n_epochs=1,
            batch_size=32,
            n_filters=4,
            latent_dim=8,
            random_state=0,
            device="cpu",
        )
        for cls in (DCGANSampler, InfoGANSampler, FeatureGANSampler)
    ],
]

# check name -> reason, per estimator.
_SPARSE = "Images are dense: sparse input is refused with a TypeError."
EXPECTED_FAILED_CHECKS = {
    "CNNClassifier": {},
    "SuperpixelSampler": {"check_samplers_pandas_sparse": _SPARSE},
    "MirrorSampler": {"check_samplers_pandas_sparse": _SPARSE},
    **{
        name: {"check_samplers_pandas_sparse": _SPARSE}
        for name in ("DCGANSampler", "InfoGANSampler", "FeatureGANSampler")
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS[type(estimator).__name__]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_estimator_checks(estimator, check):
    check(estimator)
