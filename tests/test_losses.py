"""The losses for imbalanced classes and deferred re-balancing, each on a
case whose answer is known."""

import pytest
import torch
import torch.nn.functional as F

from gansampler import CNNClassifier
from gansampler.neural_network._architectures import CosineHead
from gansampler.neural_network._losses import (
    LDAM,
    CrossEntropy,
    Focal,
    LogitAdjusted,
    ldam_margins,
    make_loss,
)
from gansampler.neural_network._phases import (
    Balanced,
    head_modules,
    only_head_trains,
    rebalanced_weights,
)

RNG = torch.Generator().manual_seed(0)
LOGITS = torch.randn(64, 3, generator=RNG) * 3
TARGETS = torch.randint(3, (64,), generator=RNG)
WEIGHTS = torch.rand(64, generator=RNG) + 0.5
COUNTS = torch.tensor([400.0, 50.0, 10.0])
# Tests shrink the networks' budgets for speed: 3 or 5 epochs of 8x8 digits.
FAST = dict(n_epochs=5, batch_size=32, random_state=0, device="cpu")


def test_logit_adjustment_with_a_uniform_prior_is_cross_entropy():
    uniform = LogitAdjusted(torch.full((3,), 1 / 3).log(), temperature=1.0)
    expected = CrossEntropy()(LOGITS, TARGETS, WEIGHTS)
    torch.testing.assert_close(uniform(LOGITS, TARGETS, WEIGHTS), expected)
    # Otherwise it is cross-entropy of the logits shifted by tau log(prior),
    # which costs the rare classes more: their logits must win by more.
    log_prior = (COUNTS / COUNTS.sum()).log()
    adjusted = LogitAdjusted(log_prior, temperature=0.5)(LOGITS, TARGETS)
    shifted = F.cross_entropy(LOGITS + 0.5 * log_prior, TARGETS, reduction="none")
    torch.testing.assert_close(adjusted, shifted)
    rare = TARGETS == 2
    assert (adjusted[rare] > CrossEntropy()(LOGITS, TARGETS)[rare]).all()


def test_focal_loss_at_gamma_zero_is_cross_entropy_and_spares_easy_images():
    expected = CrossEntropy()(LOGITS, TARGETS, WEIGHTS)
    torch.testing.assert_close(Focal(0.0)(LOGITS, TARGETS, WEIGHTS), expected)
    p_true = F.softmax(LOGITS, 1)[torch.arange(64), TARGETS]
    ratio = Focal(2.0)(LOGITS, TARGETS) / CrossEntropy()(LOGITS, TARGETS)
    torch.testing.assert_close(ratio, (1 - p_true) ** 2)


def test_ldam_margins_follow_the_fourth_root_of_the_counts():
    margins = ldam_margins(COUNTS, 0.5)
    expected = torch.tensor([0.5 / 40**0.25, 0.5 / 5**0.25, 0.5])
    torch.testing.assert_close(margins, expected)
    loss = LDAM(margins)
    lowered = LOGITS - F.one_hot(TARGETS, 3) * loss.margins[TARGETS][:, None]
    expected = F.cross_entropy(lowered, TARGETS, reduction="none") * WEIGHTS
    torch.testing.assert_close(loss(LOGITS, TARGETS, WEIGHTS), expected)
    no_margin = LDAM(torch.zeros(3))(LOGITS, TARGETS)
    torch.testing.assert_close(no_margin, CrossEntropy()(LOGITS, TARGETS))


def test_ldam_is_the_papers_cosine_loss():
    # Cao et al.: normalised features and class weights, logits s * cos with
    # s = 30, the margin on the cosine. So the loss does not change when the
    # features are scaled, and the rarest class's margin of 0.5 is 15 logits.
    head = CosineHead(16, 3, scale=30.0)
    features = torch.randn(64, 16, generator=RNG)
    options = CNNClassifier(loss="ldam")  # the defaults: margin 0.5, scale 30
    loss = make_loss(options, COUNTS)
    assert loss.margins[2].item() == pytest.approx(15.0)
    small, large = loss(head(features), TARGETS), loss(head(features * 1e3), TARGETS)
    torch.testing.assert_close(small, large)
    cosine = F.normalize(features, dim=1) @ F.normalize(head.weight, dim=1).T
    torch.testing.assert_close(head(features), 30 * cosine)
    margin = ldam_margins(COUNTS, 0.5)[TARGETS]
    expected = F.cross_entropy(
        30 * (cosine - F.one_hot(TARGETS, 3) * margin[:, None]),
        TARGETS,
        reduction="none",
    )
    torch.testing.assert_close(loss(head(features), TARGETS), expected)


def test_ldam_trains_a_cosine_head(digits_imbalanced):
    X, y = digits_imbalanced
    clf = CNNClassifier(**FAST, loss="ldam").fit(X, y)
    assert isinstance(clf.module_.head, CosineHead) and clf.module_.head.scale == 30
    assert (clf.predict(X) == y).mean() > 0.9
    # Other losses keep the linear head.
    plain = CNNClassifier(**{**FAST, "n_epochs": 1}).fit(X, y)
    assert isinstance(plain.module_.head, torch.nn.Linear)


def test_ldam_refuses_a_network_without_a_head_to_replace(digits_imbalanced):
    X, y = digits_imbalanced

    def own_head(n_channels, n_classes):
        return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.LazyLinear(n_classes))

    clf = CNNClassifier(**FAST, loss="ldam", architecture=own_head)
    with pytest.raises(ValueError, match="loss='ldam' trains a cosine head"):
        clf.fit(X, y)


def test_absent_classes_count_one():
    counts = torch.tensor([2, 0, 1])
    loss = make_loss(CNNClassifier(loss="logit_adjusted"), counts)
    torch.testing.assert_close(loss.log_prior.exp(), torch.tensor([0.5, 0.25, 0.25]))


def test_balanced_weights_and_batches():
    targets = torch.tensor([0] * 90 + [1] * 10)
    balanced, held_out = rebalanced_weights(None, targets, 2)
    assert held_out is None
    assert balanced.mean().item() == pytest.approx(1.0)
    assert balanced[-1].item() == pytest.approx(9 * balanced[0].item())
    later = Balanced(targets, 2, batch_size=20)
    drawn = torch.cat(later.batches(0, torch.Generator().manual_seed(0)))
    assert len(drawn) == 100  # as many images as a plain epoch
    assert 0.4 < (targets[drawn] == 1).float().mean() < 0.6


def test_only_the_head_trains_and_everything_comes_back(digits):
    X, y = digits
    clf = CNNClassifier(**FAST).fit(X[:200], y[:200])
    module = clf.module_
    head = head_modules(module)
    assert head == [module.head]
    before = {k: v.clone() for k, v in module.state_dict().items()}
    optimizer = torch.optim.SGD(head[0].parameters(), lr=0.5)
    with only_head_trains(module, head):
        module.train()
        loss = F.cross_entropy(
            module(torch.as_tensor(X[:64], dtype=torch.float32)[:, None]),
            torch.as_tensor(y[:64]),
        )
        loss.backward()
        optimizer.step()
    after = module.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    # The head's weights moved; no feature weight nor batch statistic did.
    assert changed == {"head.weight", "head.bias"}
    assert all(p.requires_grad for p in module.parameters())
    assert module.frozen == ()


@pytest.mark.parametrize("rebalance", ["reweight", "resample", "retrain_head"])
def test_rebalancing_fits_the_whole_budget(digits_imbalanced, rebalance):
    X, y = digits_imbalanced
    clf = CNNClassifier(**FAST, rebalance=rebalance, rebalance_start=0.6)
    clf.fit(X, y)
    assert clf.n_iter_ == 5 and [r["epoch"] for r in clf.history_] == [1, 2, 3, 4, 5]
    assert [r["phase"] for r in clf.history_] == ["train"] * 3 + [rebalance] * 2
    assert (clf.predict(X) == y).mean() > 0.9


def test_logit_adjustment_favours_the_rare_class(digits_imbalanced):
    # With the prior taken out of the logits, the rare class gets more of
    # the probability than plain cross-entropy gives it.
    X, y = digits_imbalanced
    plain = CNNClassifier(**FAST).fit(X, y).predict_proba(X)[:, 1].mean()
    adjusted = CNNClassifier(**FAST, loss="logit_adjusted").fit(X, y)
    assert adjusted.predict_proba(X)[:, 1].mean() > plain
