"""Training budgets that follow the data, and the convergence warnings."""

import math
import warnings

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_validate, train_test_split

from gansampler import CNNClassifier, DCGANSampler, FeatureGANSampler, InfoGANSampler
from gansampler._torch import minibatches
from gansampler._training import Budget, warn_if_unconverged
from gansampler.neural_network import _train
from gansampler.over_sampling import _feature_gan
from gansampler.over_sampling._feature_gan import FEATURE_GAN_BUDGET
from gansampler.over_sampling._gan import generator
from gansampler.over_sampling._gan.generator import GAN_BUDGET
from gansampler.over_sampling._gan.steps import warn_if_discriminator_wins

RNG = np.random.RandomState(0)
Y = np.array([0] * 12 + [1] * 4)
GRAY = RNG.randint(0, 256, size=(16, 28, 28)).astype(np.uint8)


def test_budget_rule():
    budget = Budget(min_epochs=15, min_steps=500)
    # Large data: the reference epochs. Small data: the floor of steps.
    assert budget.epochs("auto", 37) == 15
    assert budget.epochs("auto", 2) == 250
    assert budget.epochs("auto", 3) == math.ceil(500 / 3)
    # An integer keeps its meaning.
    assert budget.epochs(4, 2) == 4


@pytest.mark.parametrize("n_samples, batch", [(40, 16), (200, 25), (2000, 128)])
def test_cnn_auto_budget_follows_the_data(n_samples, batch, monkeypatch):
    X = RNG.rand(n_samples, 1, 4).astype(np.float32)
    y = np.arange(n_samples) % 2
    clf = CNNClassifier(random_state=0, architecture="light", device="cpu")
    # The rule alone, without training a network for it.
    assert _train.resolve_batch_size("auto", n_samples) == batch
    steps = len(minibatches(n_samples, batch))
    assert _train.BUDGET.epochs("auto", steps) == max(15, math.ceil(500 / steps))
    if n_samples == 40:
        # That fit resolves "auto" by BUDGET's rule, on a floor cut to 30
        # steps (10 epochs of 3 steps) rather than 500 (167 epochs, about
        # 4 s of the suite): the default budget is trained in
        # test_defaults_learn_ten_digits_a_class and test_common.py.
        monkeypatch.setattr(_train, "BUDGET", Budget(min_epochs=1, min_steps=30))
        clf.fit(X, y)
        assert clf.batch_size_ == 16 and clf.n_iter_ == math.ceil(30 / 3)


def test_explicit_epochs_and_batch_size_keep_their_meaning(digits):
    X, y = digits
    clf = CNNClassifier(n_epochs=3, batch_size=50, random_state=0).fit(X[:100], y[:100])
    assert clf.n_iter_ == 3 and clf.batch_size_ == 50


def test_defaults_learn_ten_digits_a_class():
    # The case: 100 digit images, 10 a class. Before, the defaults
    # made 15 steps and scored about 0.2 on the other digits.
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X.reshape(-1, 8, 8), y, train_size=100, stratify=y, random_state=0
    )
    clf = CNNClassifier(random_state=0).fit(X_train, y_train)
    assert clf.score(X_test, y_test) > 0.8
    assert len(np.unique(clf.predict(X_test))) == 10


def test_cnn_warns_when_the_loss_hardly_moved(digits):
    X, y = digits
    clf = CNNClassifier(learning_rate=1e-9, n_epochs=5, random_state=0)
    with pytest.warns(ConvergenceWarning, match="hardly moved.*raise n_epochs"):
        clf.fit(X[:64], y[:64])


def test_cnn_warns_when_the_loss_still_falls(digits):
    X, y = digits
    # Six epochs of two steps: the loss halves from each epoch to the next
    # (on the CPU, whose losses for this seed are the ones described).
    clf = CNNClassifier(
        n_epochs=6, batch_size=100, lr_schedule="constant", random_state=0, device="cpu"
    )
    with pytest.warns(ConvergenceWarning, match="still falling.*raise n_epochs"):
        clf.fit(X[:200], y[:200])


def test_cnn_short_fit_warns_at_the_users_line(digits):
    # Issue 24: n_epochs=1 on 100 images trained 7 steps without a word,
    # where scikit-learn's MLPClassifier(max_iter=1) warns.
    X, y = digits
    clf = CNNClassifier(n_epochs=1, random_state=0)
    with pytest.warns(ConvergenceWarning, match="1 epoch.*too few.*raise n_ep") as got:
        clf.fit(X[:100], y[:100])
    assert [w.filename for w in got] == [__file__]


@pytest.mark.parametrize("path", ["pipeline", "cross_validate"])
def test_warnings_point_at_the_users_line_through_other_libraries(digits, path):
    # A fixed stacklevel pointed into imbalanced-learn or scikit-learn when
    # the fit was called by a pipeline or by cross-validation.
    X, y = digits
    clf = CNNClassifier(n_epochs=1, random_state=0)
    with pytest.warns(ConvergenceWarning) as got:
        if path == "pipeline":
            make_pipeline(RandomOverSampler(random_state=0), clf).fit(
                X[:100].reshape(100, -1), y[:100]
            )
        else:
            cross_validate(clf, X[:100], y[:100], cv=2)
    converge = [w for w in got if issubclass(w.category, ConvergenceWarning)]
    assert converge and {w.filename for w in converge} == {__file__}


def test_cnn_default_fit_does_not_warn(digits):
    X, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        CNNClassifier(random_state=0).fit(X[:200], y[:200])


def test_warning_rules():
    def history(losses):
        return [{"epoch": i + 1, "loss": v} for i, v in enumerate(losses)]

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warn_if_unconverged(history([1.0, 0.5, 0.3, 0.2, 0.2]), "loss", "X", "a")
    # Too few epochs to tell is no sign of convergence either (issue 24: one
    # epoch passed in silence).
    with pytest.warns(ConvergenceWarning, match="3 epoch.*too few.*; a"):
        warn_if_unconverged(history([1.0, 0.5, 0.4]), "loss", "X", "a")
    with pytest.warns(ConvergenceWarning, match="X did not converge.*still falling"):
        warn_if_unconverged(history([1.0, 0.8, 0.6, 0.4]), "loss", "X", "a")
    with pytest.warns(ConvergenceWarning, match="hardly moved.*; raise it"):
        warn_if_unconverged(history([1.0, 0.99, 0.98, 0.98]), "loss", "X", "raise it")


def test_gan_warns_when_the_discriminator_wins():
    with pytest.warns(ConvergenceWarning, match="apart.*raise n_epochs"):
        warn_if_discriminator_wins([{"d_loss": 1.3}, {"d_loss": 0.01}], "G")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warn_if_discriminator_wins([{"d_loss": 0.01}, {"d_loss": 1.2}], "G")
    # A discriminator that learns while the generator cannot: it wins. 150
    # epochs, not 300, for the suite's time: the last d_loss is 0.024 after
    # 150 (0.009 after 300, 0.040 after 100), under half the 0.05 at which
    # the warning starts.
    sampler = DCGANSampler(
        n_epochs=150,
        learning_rate=1e-12,
        discriminator_learning_rate=1e-2,
        n_filters=4,
        random_state=0,
        device="cpu",
    )
    with pytest.warns(ConvergenceWarning, match="DCGANSampler did not converge"):
        sampler.fit(GRAY, Y)


@pytest.mark.parametrize(
    "cls, budget",
    [
        (DCGANSampler, "GAN_BUDGET"),
        (InfoGANSampler, "GAN_BUDGET"),
        (FeatureGANSampler, "FEATURE_GAN_BUDGET"),
    ],
)
def test_gan_auto_epochs_follow_the_data(cls, budget, monkeypatch):
    # 16 rows in batches of 8: two steps an epoch, so the floor of steps
    # decides: 1000 epochs of the default budgets.
    defaults = {"GAN_BUDGET": GAN_BUDGET, "FEATURE_GAN_BUDGET": FEATURE_GAN_BUDGET}
    assert defaults[budget].epochs("auto", 2) == 1000
    # That the sampler resolves "auto" by its own budget's rule is tested on
    # floors cut to 20 and 30 steps (10 and 15 epochs) rather than by 2,000
    # steps of training (about 20 s of the suite for the three): the
    # default budgets are trained in test_common's
    # test_gan_defaults_pass_a_check. The two floors differ, so a sampler
    # that read the other family's budget would fail here.
    monkeypatch.setattr(generator, "GAN_BUDGET", Budget(min_epochs=1, min_steps=20))
    monkeypatch.setattr(
        _feature_gan, "FEATURE_GAN_BUDGET", Budget(min_epochs=1, min_steps=30)
    )
    epochs = {"GAN_BUDGET": 10, "FEATURE_GAN_BUDGET": 15}[budget]
    # Tabular rows, n_filters and latent_dim keep the networks small for
    # speed.
    table = RNG.normal(size=(16, 10))
    sampler = cls(batch_size=8, n_filters=4, latent_dim=8, random_state=0)
    sampler.set_params(device="cpu").fit(table, Y)
    assert sampler.n_iter_ == epochs
    assert cls(n_epochs=7, batch_size=8, random_state=0).fit(table, Y).n_iter_ == 7
