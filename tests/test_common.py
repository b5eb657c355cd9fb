"""scikit-learn's and imbalanced-learn's estimator checks on every estimator."""

import pytest
import torch
from imblearn.utils.estimator_checks import (
    check_samplers_fit_resample,
    parametrize_with_checks,
)
from sklearn.utils.estimator_checks import (
    parametrize_with_checks as parametrize_with_sklearn_checks,
)

from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    M2mSampler,
    SuperpixelSampler,
    VarianceTransferSampler,
)
from gansampler._training import Budget
from gansampler.base import BaseImageSampler
from gansampler.neural_network import _train


class MirrorSampler(BaseImageSampler):
    """The smallest useful subclass: mirrored copies of real images."""

    def _generate(self, X_class, n_samples, rng):
        picks = rng.randint(len(X_class), size=n_samples)
        return X_class[torch.from_numpy(picks)].flip(-1)


GANS = (DCGANSampler, InfoGANSampler, FeatureGANSampler)

# The budget of the checks of the API contract (validation, dtypes, pickles,
# sample weights, clones, determinism): n_epochs="auto" with a floor of 50
# optimizer steps rather than 500. These checks test the contract, not how
# well the defaults learn, and at the 500-step floor the four classifiers'
# checks took about 15 of the suite's 28 single-core minutes. The checks that
# score what was learned (check_classifiers_train, check_classifiers_classes)
# still pass with a margin at 50 steps: accuracy 0.92 or more against the
# checks' 0.83, and every class predicted, over seeds 0 to 5 and all four
# losses.
CONTRACT_BUDGET = Budget(min_epochs=1, min_steps=50)

# The checks of the API contract that score nothing learned (validation,
# dtypes, pickles, clones, sample weights' shapes, determinism, invariance
# to order and subsets): a floor of 8 steps. They compare a fit with
# another fit, or with itself after a round trip, or only look at shapes and
# errors, and pass the same after 8 steps as after 50; at 50 they took
# about three quarters of a CNNClassifier's contract checks' time (27 of
# 37 s, 7 s at 8 steps). The checks that score what was learned
# (LEARNING_CHECKS) keep CONTRACT_BUDGET.
API_BUDGET = Budget(min_epochs=1, min_steps=8)
LEARNING_CHECKS = {
    "check_classifiers_train",
    "check_classifiers_classes",
    "check_classifiers_with_encoded_labels",
}


def _contract_budget(check):
    """CONTRACT_BUDGET for a check that scores what was learned (each of its
    variants included), API_BUDGET for the others."""
    name = getattr(check, "func", check).__name__
    return CONTRACT_BUDGET if name in LEARNING_CHECKS else API_BUDGET


# The estimators as a user constructs them, with nothing set but
# random_state (the GAN samplers and M2mSampler's classifier excepted, and
# CNNClassifier trained at CONTRACT_BUDGET, as said below): the checks fit on
# blobs of a few dozen rows of 2 to 20 columns (read as 1 x D strips).
ESTIMATORS = [
    CNNClassifier(random_state=0),
    # The checks feed tabular rows, read as 1-pixel strips, which the
    # geometric transforms of the default mode="both" refuse (they would
    # leave constant rows); the pixel transforms take them.
    SuperpixelSampler(mode="superpixel", random_state=0),
    MirrorSampler(random_state=0),
    # The checks' rows are tabular: the GAN samplers train MLPs on them
    # (FeatureGANSampler's GAN works on the columns themselves). For speed,
    # n_filters and latent_dim shrink the networks and n_epochs=3 cuts the
    # training: these checks test the API contract (counts, dtypes, lists,
    # pandas, clones), not how well a GAN learns, and at the defaults'
    # 2,000-step floor they took about 5 of the suite's 14 minutes (at
    # n_epochs=20, 40 s of 28 single-core minutes; at 3, 12 s).
    # test_gan_defaults_pass_a_check below runs the default budgets.
    *[GAN(n_filters=4, latent_dim=8, n_epochs=3, random_state=0) for GAN in GANS],
    # Tabular rows have no encoder: SMOTE on the columns, defaults as they are.
    FeatureSMOTESampler(random_state=0),
    # The same for the transfer: deviations added to the columns.
    VarianceTransferSampler(random_state=0),
    # Its classifier shrunk to 2 epochs: these checks test the API contract
    # (counts, dtypes, lists, pandas), not how well the translations work,
    # and the default CNNClassifier() trained at every one of them took about
    # 7 minutes of the suite (28 s at 10 epochs, 12 s at 2).
    # test_m2m_defaults_pass_a_check below keeps the defaults.
    M2mSampler(classifier=CNNClassifier(n_epochs=2, random_state=0), random_state=0),
]

# check name -> reason, per estimator.
_SPARSE = "Images are dense: sparse input is refused with a TypeError."
EXPECTED_FAILED_CHECKS = {
    "CNNClassifier": {
        "check_sample_weight_equivalence_on_dense_data": (
            "Minibatch training: repeating an image changes the batches, so an "
            "integer weight cannot equal repetition (scikit-learn expects the "
            "same of its SGD estimators). A weight of 0 equals removal."
        ),
    },
    "SuperpixelSampler": {"check_samplers_pandas_sparse": _SPARSE},
    "MirrorSampler": {"check_samplers_pandas_sparse": _SPARSE},
    **{
        name: {"check_samplers_pandas_sparse": _SPARSE}
        for name in (
            "DCGANSampler",
            "InfoGANSampler",
            "FeatureGANSampler",
            "FeatureSMOTESampler",
            "VarianceTransferSampler",
            "M2mSampler",
        )
    },
}


def _expected_failed_checks(estimator):
    return EXPECTED_FAILED_CHECKS[type(estimator).__name__]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_estimator_checks(estimator, check, monkeypatch):
    # CNNClassifier's two checks here (labels encoded, one label) test the
    # API contract: it trains at the contract budgets above, those of
    # scikit-learn's checks; its default budget is tested there.
    monkeypatch.setattr(_train, "BUDGET", _contract_budget(check))
    check(estimator)


# imbalanced-learn's checks of a classifier are only its own two; these are
# scikit-learn's, on CNNClassifier() as a user constructs it, and with each
# loss for imbalanced classes.
CNN_CONFIGURATIONS = [
    CNNClassifier(random_state=0),
    *(
        CNNClassifier(loss=loss, random_state=0)
        for loss in ("focal", "logit_adjusted", "ldam")
    ),
]

# The checks that run at the default budget, as a user gets it: these test
# that the defaults learn. check_class_weight_classifiers fails at shorter
# budgets (at 50 steps, 20 epochs or 60 epochs for some losses): it is run
# at the default budget for every loss.
DEFAULT_BUDGET_CHECKS = {
    "cross_entropy": {"check_classifiers_train", "check_class_weight_classifiers"},
    "focal": {"check_class_weight_classifiers"},
    "logit_adjusted": {"check_class_weight_classifiers"},
    "ldam": {"check_class_weight_classifiers"},
}


def _check_name(check):
    # The checks come as functools.partial(check, name); a variant such as
    # check_classifiers_train(readonly_memmap=True) carries keywords too, and
    # only the plain check counts as the one named.
    return None if check.keywords else check.func.__name__


@parametrize_with_sklearn_checks(
    CNN_CONFIGURATIONS, expected_failed_checks=_expected_failed_checks
)
def test_sklearn_checks(estimator, check, monkeypatch):
    if _check_name(check) not in DEFAULT_BUDGET_CHECKS[estimator.loss]:
        monkeypatch.setattr(_train, "BUDGET", _contract_budget(check))
    check(estimator)


# The GAN samplers' default budgets on the checks' small tabular data: one
# check each, so that a default that cannot train there still fails here.
@pytest.mark.parametrize("GAN", GANS, ids=lambda cls: cls.__name__)
def test_gan_defaults_pass_a_check(GAN):
    sampler = GAN(n_filters=4, latent_dim=8, random_state=0)
    assert sampler.n_epochs == "auto"
    check_samplers_fit_resample(GAN.__name__, sampler)


def test_m2m_defaults_pass_a_check():
    # M2mSampler() as a user constructs it, its default classifier included.
    check_samplers_fit_resample("M2mSampler", M2mSampler(random_state=0))
