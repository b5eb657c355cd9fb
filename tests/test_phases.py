"""The phases of a fit: deferred re-balancing with early stopping,
re-training the head, corrections of the prior that stack, the class counts
of partial_fit, and settings under which nothing would learn (issue 33)."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from gansampler import CNNClassifier, ResampledClassifier
from gansampler.neural_network import _fit, _train
from gansampler.neural_network._losses import CrossEntropy
from gansampler.neural_network._phases import plan_phases

# Tests shrink the budgets for speed: a few epochs of 8x8 digits.
FAST = dict(batch_size=32, random_state=0, device="cpu")


def test_early_stopping_waits_for_deferred_reweighting(digits_imbalanced):
    # Issue 33: with patience 2, the fit used to stop at epoch 3, before the
    # switch at epoch 8, with the weights of rebalance=None and no word.
    X, y = digits_imbalanced
    # tol=1: no epoch improves on the one before, so the first chance stops.
    settings = dict(FAST, n_epochs=10, early_stopping=True, n_iter_no_change=1, tol=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # short fits warn of convergence
        drw = CNNClassifier(**settings, rebalance="reweight").fit(X, y)
        plain = CNNClassifier(**settings).fit(X, y)
    phases = [r["phase"] for r in drw.history_]
    assert phases[:8] == ["train"] * 8 and phases[8] == "reweight"
    assert len(plain.history_) == 2  # plain early stopping stops at once
    drw_weights = drw.module_.state_dict()["head.weight"]
    assert not torch.equal(drw_weights, plain.module_.state_dict()["head.weight"])
    # Every epoch is scored; the best is chosen among the re-weighted ones.
    assert all("valid_loss" in r for r in drw.history_)


def test_retraining_the_head_uses_cross_entropy_on_balanced_batches():
    options = _fit.TrainingOptions.of(
        CNNClassifier(loss="logit_adjusted", rebalance="retrain_head")
    )
    targets = torch.tensor([0] * 90 + [1] * 10)
    data = _train.TrainingData(torch.zeros(100, 1, 2, 2), targets, None, 2, "cpu")
    train, head = plan_phases(options, data, object(), 10, 4, 25)
    assert (train.name, train.n_epochs, head.name, head.n_epochs) == (
        "train",
        8,
        "retrain_head",
        2,
    )
    assert isinstance(head.loss, CrossEntropy) and head.head_only
    drawn = torch.cat(head.plan.batches(0, torch.Generator().manual_seed(0)))
    assert 0.4 < targets[drawn].float().mean() < 0.6


def balanced_head_loss(head, features, y):
    weights = torch.as_tensor(len(y) / (2 * np.bincount(y)), dtype=torch.float32)
    targets = torch.as_tensor(y)
    losses = F.cross_entropy(head(features), targets, reduction="none")
    return (losses * weights[targets]).sum() / weights[targets].sum()


def test_a_fresh_head_converges_to_the_balanced_optimum(digits_imbalanced):
    # Kang et al.'s cRT: a new head on the frozen features, balanced. Its
    # objective is convex, so L-BFGS on all images at once finds the answer
    # the head's batches must reach.
    X, y = digits_imbalanced
    clf = CNNClassifier(
        **FAST, n_epochs=5, rebalance="retrain_head", reset_head=True
    ).fit(X, y)
    phases = [r["phase"] for r in clf.history_]
    steps_per_epoch = -(-len(y) // 32)
    assert phases.count("retrain_head") * steps_per_epoch >= 300
    module = clf.module_.eval()
    with torch.no_grad():
        # uint8 images come into the network in [0, 1].
        images = torch.as_tensor(X / 255, dtype=torch.float32)[:, None]
        features = module.embed(images)
    optimum = torch.nn.Linear(features.shape[1], 2)
    solver = torch.optim.LBFGS(optimum.parameters(), max_iter=500)

    def objective():
        solver.zero_grad()
        value = balanced_head_loss(optimum, features, y)
        value.backward()
        return value

    solver.step(objective)
    with torch.no_grad():
        reached = balanced_head_loss(module.head, features, y).item()
        best = balanced_head_loss(optimum, features, y).item()
    assert reached < best + 0.05


def test_reset_head_needs_a_head_to_retrain(digits_imbalanced):
    X, y = digits_imbalanced
    with pytest.raises(ValueError, match="reset_head=True .* rebalance=None"):
        CNNClassifier(reset_head=True).fit(X, y)


def test_a_fit_too_short_to_rebalance_says_so(digits_imbalanced):
    X, y = digits_imbalanced
    with pytest.warns(UserWarning, match="rebalance='resample' needs at least 2"):
        CNNClassifier(**FAST, n_epochs=1, rebalance="resample").fit(X, y)


@pytest.mark.parametrize(
    "settings, named",
    [
        (dict(loss="logit_adjusted", class_weight="balanced"), "class_weight"),
        (dict(loss="logit_adjusted", rebalance="resample"), "rebalance='resample'"),
        (dict(loss="logit_adjusted", rebalance="reweight"), "rebalance='reweight'"),
        (dict(class_weight="balanced", rebalance="retrain_head"), "retrain_head"),
    ],
)
def test_corrections_of_the_prior_that_stack_warn(digits_imbalanced, settings, named):
    X, y = digits_imbalanced
    with pytest.warns(UserWarning, match=f"{named}.*correct for the class prior"):
        CNNClassifier(**FAST, n_epochs=2, **settings).fit(X, y)


@pytest.mark.parametrize(
    "settings",
    [
        dict(loss="logit_adjusted", rebalance="retrain_head"),
        dict(loss="ldam", rebalance="reweight"),  # the paper's LDAM-DRW
        dict(loss="focal", class_weight="balanced"),  # the paper's alpha
    ],
)
def test_corrections_that_do_not_stack_do_not_warn(digits_imbalanced, settings):
    X, y = digits_imbalanced
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        CNNClassifier(**FAST, n_epochs=4, **settings).fit(X, y)


def test_resampled_classifier_warns_of_a_logit_adjusted_classifier(digits_imbalanced):
    X, y = digits_imbalanced
    inner = CNNClassifier(**FAST, n_epochs=1, loss="logit_adjusted")
    with pytest.warns(UserWarning, match="ResampledClassifier's real_class_weight"):
        ResampledClassifier(inner).fit(X.reshape(len(X), -1), y)


def test_partial_fit_adds_up_the_class_counts(digits_imbalanced, monkeypatch):
    X, y = digits_imbalanced
    seen = []
    make_loss = _train.make_loss
    monkeypatch.setattr(
        _train,
        "make_loss",
        lambda options, counts: seen.append(counts) or make_loss(options, counts),
    )
    clf = CNNClassifier(**FAST, loss="logit_adjusted")
    zeros, ones = np.flatnonzero(y == 0), np.flatnonzero(y == 1)
    clf.partial_fit(X[zeros[:40]], y[zeros[:40]], classes=[0, 1])
    clf.partial_fit(X[ones[:10]], y[ones[:10]])
    clf.partial_fit(X[zeros[40:60]], y[zeros[40:60]])
    assert [c.tolist() for c in seen] == [[40, 0], [40, 10], [60, 10]]
    assert clf.class_count_.tolist() == [60, 10]


def test_partial_fit_keeps_the_first_calls_head(digits_imbalanced):
    X, y = digits_imbalanced
    clf = CNNClassifier(**FAST).partial_fit(X, y)
    with pytest.raises(ValueError, match="loss='ldam' needs a cosine head"):
        clf.set_params(loss="ldam").partial_fit(X, y)


@pytest.mark.parametrize("name", ["focal_gamma", "logit_temperature"])
def test_settings_under_which_nothing_learns_are_refused(digits_imbalanced, name):
    # Issue 33: focal_gamma=1e6 made every loss term 0, and
    # logit_temperature=1e6 sent every image to one class.
    X, y = digits_imbalanced
    with pytest.raises(InvalidParameterError, match=f"{name}.*1000000"):
        CNNClassifier(**{name: 1e6}).fit(X, y)


@pytest.mark.parametrize(
    "settings",
    [
        dict(loss="focal", focal_gamma=5),
        dict(loss="logit_adjusted", logit_temperature=5),
    ],
)
def test_the_largest_settings_allowed_still_learn(digits_imbalanced, settings):
    X, y = digits_imbalanced
    clf = CNNClassifier(**FAST, n_epochs=5, **settings).fit(X, y)
    assert set(clf.predict(X)) == {0, 1}
    assert (clf.predict(X) == y).mean() > 0.9
