"""One meaning per name across the estimators (issue 35).

A parameter name means one thing wherever it appears, in scikit-learn's
sense where scikit-learn has the word. The renames of issue 35 are checked
here: the old names are gone, the new ones are validated by their
constraints and act.
"""

import inspect

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import InvalidParameterError

import gansampler
from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    InfoGANSampler,
    M2mSampler,
    ResampledClassifier,
)
from gansampler.over_sampling._gan.steps import ConditionalGANStep

ESTIMATORS = sorted(
    (
        getattr(gansampler, name)
        for name in gansampler.__all__
        if inspect.isclass(getattr(gansampler, name))
        and issubclass(getattr(gansampler, name), BaseEstimator)
    ),
    key=lambda cls: cls.__name__,
)


def parameters(cls):
    return inspect.signature(cls.__init__).parameters


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda cls: cls.__name__)
def test_each_name_has_one_meaning(cls):
    names = set(parameters(cls))
    # loss and augment are a classifier's training loss and the augmentation
    # of its training images; the GANs' are adversarial_loss and
    # diff_augment.
    if cls is not CNNClassifier:
        assert not names & {"loss", "augment"}
    # penalty names a norm in scikit-learn; no estimator here has one.
    assert "penalty" not in names
    # random_state is the only seed.
    assert not [name for name in names if "seed" in name]
    # class_weight is scikit-learn's, with its default.
    if "class_weight" in names:
        assert parameters(cls)["class_weight"].default is None


@pytest.mark.parametrize(
    "cls, renames",
    [
        (DCGANSampler, {"loss": "adversarial_loss", "augment": "diff_augment"}),
        (InfoGANSampler, {"loss": "adversarial_loss", "augment": "diff_augment"}),
        (FeatureGANSampler, {"loss": "adversarial_loss"}),
        (
            M2mSampler,
            {"penalty": "source_logit_weight", "seed_beta": "source_beta"},
        ),
        (ResampledClassifier, {"class_weight": "real_class_weight"}),
    ],
    ids=lambda x: getattr(x, "__name__", "renames"),
)
def test_renamed_parameters(cls, renames):
    for old, new in renames.items():
        assert new in cls().get_params() and new in cls._parameter_constraints
        with pytest.raises(TypeError, match=old):
            cls(**{old: cls().get_params()[new]})


@pytest.mark.parametrize(
    "estimator, name",
    [
        (DCGANSampler(adversarial_loss="log"), "adversarial_loss"),
        (InfoGANSampler(diff_augment="yes"), "diff_augment"),
        (FeatureGANSampler(adversarial_loss="wasserstein"), "adversarial_loss"),
        (M2mSampler(source_logit_weight=-1.0), "source_logit_weight"),
        (M2mSampler(source_beta=1.0), "source_beta"),
        (ResampledClassifier(real_class_weight="auto"), "real_class_weight"),
    ],
    ids=lambda x: x if isinstance(x, str) else type(x).__name__,
)
def test_new_names_are_validated(estimator, name, digits_imbalanced):
    X, y = digits_imbalanced
    fit = getattr(estimator, "fit_resample", estimator.fit)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        fit(X, y)


def test_real_class_weight_sets_the_class_totals():
    y_res = np.array([0] * 8 + [1] * 2 + [1] * 6)  # 8 and 2 real, 6 new 1s
    totals = {}
    for weight in ("balanced", None):
        clf = ResampledClassifier(real_class_weight=weight, synthetic_share=0.5)
        w = clf._weights(y_res, 10)
        totals[weight] = w[y_res == 0].sum() / w[y_res == 1].sum()
    # Balanced: the classes weigh the same; None: as their real counts, 8:2.
    assert np.isclose(totals["balanced"], 1)
    assert np.isclose(totals[None], 4)


def test_diff_augment_changes_what_the_discriminator_sees():
    images = torch.rand(8, 1, 16, 16, generator=torch.Generator().manual_seed(0))
    views = {}
    for on in (False, True):
        step = ConditionalGANStep(
            {"generator": None, "discriminator": None},
            {"generator": None, "discriminator": None},
            n_classes=2,
            latent_dim=4,
            adversarial_loss="bce",
            diff_augment=on,
            seed=0,
        )
        views[on] = step._view(images)
    assert views[False] is images
    assert views[True].shape == images.shape
    assert not np.allclose(views[True].numpy(), images.numpy())
