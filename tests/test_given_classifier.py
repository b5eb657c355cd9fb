"""One rule for a classifier given to a sampler (M2mSampler's ``classifier``,
the feature-space samplers' ``extractor``, every sampler's
``filter_classifier``): used as it is when fitted, cloned and the clone
fitted when not, exposed as ``<parameter>_``.

The classifiers train 2 epochs and the feature space 1 epoch of 4 filters,
for speed: these tests are about which object a sampler uses, not about how
well it learns.
"""

import numpy as np
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.utils.validation import check_is_fitted

from gansampler import (
    CNNClassifier,
    FeatureSMOTESampler,
    M2mSampler,
    SuperpixelSampler,
)

# The short budgets below are meant, so their warnings are noise here.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def small_cnn():
    # 2 epochs: which object is used is the point, not its accuracy.
    return CNNClassifier(n_epochs=2, batch_size=32, random_state=0, device="cpu")


def m2m(classifier):
    # One translation step: the classifier's fate is the point.
    return M2mSampler(classifier=classifier, n_steps=1, random_state=0, device="cpu")


def feature_smote(extractor):
    # One epoch of a 4-filter decoder: the extractor's fate is the point.
    return FeatureSMOTESampler(
        extractor=extractor, encoder_epochs=1, n_filters=4, random_state=0
    )


def filtered(judge):
    # A threshold that keeps nearly every image: the judge's fate is the point.
    return SuperpixelSampler(
        filter_threshold=0.01, filter_classifier=judge, random_state=0
    )


# The parameter, the sampler that takes it, and the call that uses it
# (the filter acts in fit_resample alone).
CASES = [
    ("classifier", m2m, "fit"),
    ("extractor", feature_smote, "fit"),
    ("filter_classifier", filtered, "fit_resample"),
]
IDS = [name for name, _, _ in CASES]


def run(sampler, call, X, y):
    getattr(sampler, call)(X, y)
    return sampler


def weights(cnn):
    return {k: v.clone() for k, v in cnn.module_.state_dict().items()}


@pytest.mark.parametrize("name, make, call", CASES, ids=IDS)
def test_an_unfitted_classifier_is_cloned_and_fitted(
    digits_imbalanced, name, make, call
):
    X, y = digits_imbalanced
    given = small_cnn()
    sampler = run(make(given), call, X, y)
    used = getattr(sampler, f"{name}_")
    assert used is not given and type(used) is CNNClassifier
    check_is_fitted(used)
    assert used.get_params()["n_epochs"] == 2
    # The user's object stays as it came: unfitted.
    with pytest.raises(NotFittedError):
        check_is_fitted(given)


@pytest.mark.parametrize("name, make, call", CASES, ids=IDS)
def test_a_fitted_classifier_is_used_as_it_is(
    digits_imbalanced, name, make, call, monkeypatch
):
    X, y = digits_imbalanced
    given = small_cnn().fit(X, y)
    before = weights(given)

    def no_fit(self, *args, **kwargs):
        raise AssertionError(f"a fitted {name} was fitted again")

    # No CNNClassifier is fitted: not the user's, not a clone of it.
    monkeypatch.setattr(CNNClassifier, "fit", no_fit)
    monkeypatch.setattr(CNNClassifier, "partial_fit", no_fit)
    sampler = run(make(given), call, X, y)
    assert getattr(sampler, f"{name}_") is given
    after = weights(given)
    assert all(torch.equal(before[k], after[k]) for k in before)
    # A FrozenEstimator of it is fitted too, and used as it is.
    frozen = FrozenEstimator(given)
    assert getattr(run(make(frozen), call, X, y), f"{name}_") is frozen


@pytest.mark.parametrize(
    "name, make, call, wrong, valid",
    [
        ("classifier", m2m, "fit", LogisticRegression(), "a CNNClassifier"),
        ("extractor", feature_smote, "fit", LogisticRegression(), "a CNNClassifier"),
        (
            "filter_classifier",
            filtered,
            "fit_resample",
            LinearSVC(),  # no predict_proba
            "an object implementing 'fit' and 'predict_proba'",
        ),
    ],
    ids=IDS,
)
def test_a_wrong_type_is_refused_at_fit(
    digits_imbalanced, name, make, call, wrong, valid
):
    X, y = digits_imbalanced
    sampler = make(wrong)
    # The parameter, what is valid and the value given, before any fit.
    match = rf"'{name}' parameter of \w+ must be {valid}.*Got {type(wrong).__name__}"
    with pytest.raises(ValueError, match=match):
        run(sampler, call, X, y)
    assert not hasattr(sampler, "n_features_in_")
    assert not hasattr(sampler, f"{name}_")


@pytest.mark.parametrize("name, make, call", CASES, ids=IDS)
@pytest.mark.parametrize(
    "shift, known",
    [(5, r"\[5, 6\]"), ("label", r"\['label0', 'label1'\]")],
    ids=["other-numbers", "strings"],
)
def test_a_fitted_classifier_of_other_classes_is_refused(
    digits_imbalanced, name, make, call, shift, known
):
    X, y = digits_imbalanced
    other = y + shift if isinstance(shift, int) else np.char.add(shift, y.astype(str))
    given = small_cnn().fit(X, other)
    sampler = make(given)
    match = rf"{name} was fitted on the classes {known}, but y holds the classes"
    with pytest.raises(ValueError, match=match):
        run(sampler, call, X, y)
    assert not hasattr(sampler, "n_features_in_")


def test_a_classifier_fitted_on_one_class_too_few_is_refused(digits_imbalanced):
    # Knowing a subset of y's classes is a mismatch as well.
    X, y = digits_imbalanced
    three = np.where(np.arange(len(y)) % 7 == 0, 2, y)
    given = small_cnn().fit(X, y)
    with pytest.raises(
        ValueError, match=r"\[0, 1\], but y holds the classes \[0, 1, 2\]"
    ):
        m2m(given).fit(X, three)
