"""Adversarial losses, the GAN steps, and the sign that a GAN trained too little."""

import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning

from ..._augment import random_affine
from ..._torch import make_generator
from ..._validation import plain
from ..._warnings import warn
from .networks import uses_convolutions
from .trainer import autocast


def discriminator_loss(kind, real, fake):
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def generator_loss(kind, fake):
    if kind == "hinge":
        return -fake.mean()
    return F.softplus(-fake).mean()


def generator_inputs(noise, labels, n_classes, *codes):
    """What a conditional generator reads: noise, the one-hot label, codes."""
    return torch.cat([noise, F.one_hot(labels, n_classes).float(), *codes], 1)


class ConditionalGANStep:
    """One discriminator and one generator update of a conditional GAN.

    The generator reads noise and a one-hot class; the discriminator scores
    a sample against its class. With ``diff_augment``, real and generated images
    alike pass through the same random flips, shifts and rotations as
    :class:`~gansampler.CNNClassifier`'s augmentation (differentiable, so
    the generator learns through them) before the discriminator sees them.
    Subclasses add inputs and losses (InfoGAN's codes) through
    :meth:`codes` and :meth:`code_loss`.
    """

    def __init__(
        self,
        networks,
        optimizers,
        *,
        n_classes,
        latent_dim,
        adversarial_loss,
        diff_augment,
        seed,
    ):
        self.generator = networks["generator"]
        self.discriminator = networks["discriminator"]
        self.opt_g = optimizers["generator"]
        self.opt_d = optimizers["discriminator"]
        self.n_classes = n_classes
        self.latent_dim = latent_dim
        self.adversarial_loss = adversarial_loss
        self.diff_augment = diff_augment
        self.augment_draws = make_generator(seed)

    def state_dict(self):
        """The step's own random state, saved in checkpoints, so that a
        resumed fit augments as an uninterrupted one would."""
        return {"augment_draws": self.augment_draws.get_state()}

    def load_state_dict(self, state):
        self.augment_draws.set_state(state["augment_draws"])

    def check(self, history, name):
        """Warn when the fit looks too short: the discriminator still wins."""
        warn_if_discriminator_wins(history, name)

    def codes(self, n, device):
        """(what auxiliary heads should predict, extra generator inputs)."""
        return None, torch.zeros(n, 0, device=device)

    def code_loss(self, extra, codes):
        """Loss of the auxiliary heads, added to both networks' losses."""
        return None

    def _view(self, x):
        if self.diff_augment and x.dim() == 4 and uses_convolutions(*x.shape[2:]):
            return random_affine(x, self.augment_draws)
        return x

    def __call__(self, real, labels, i):
        device, n = real.device, len(labels)
        targets, code_inputs = self.codes(n, device)
        noise = torch.randn(n, self.latent_dim, device=device)
        inputs = generator_inputs(noise, labels, self.n_classes, code_inputs)
        with autocast(device):
            fake = self.generator(inputs)

        # Discriminator step, on real samples and detached generated ones.
        with autocast(device):
            real_score, _ = self.discriminator(self._view(real), labels)
            fake_score, extra = self.discriminator(self._view(fake.detach()), labels)
        d_loss = discriminator_loss(
            self.adversarial_loss, real_score.float(), fake_score.float()
        )
        info = self.code_loss(extra, targets)
        self.opt_d.zero_grad(set_to_none=True)
        (d_loss if info is None else d_loss + info).backward()
        self.opt_d.step()

        # Generator step.
        with autocast(device):
            fake_score, extra = self.discriminator(self._view(fake), labels)
        g_loss = generator_loss(self.adversarial_loss, fake_score.float())
        info = self.code_loss(extra, targets)
        self.opt_g.zero_grad(set_to_none=True)
        (g_loss if info is None else g_loss + info).backward()
        self.opt_g.step()
        losses = {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
        if info is not None:
            losses["code_loss"] = info.detach()
        return losses


class FeatureGANStep(ConditionalGANStep):
    """The conditional GAN step in a feature space, with a feature classifier.

    The generator also minimises the feature classifier's loss on what it
    generates, so that generated features carry their class; the classifier
    keeps learning slowly, from generated features every
    ``classifier_fake_every`` steps and from real ones every
    ``classifier_real_every`` steps.
    """

    def __init__(
        self,
        networks,
        optimizers,
        *,
        scale,
        classifier_weight,
        classifier_fake_every,
        classifier_real_every,
        **kwargs,
    ):
        super().__init__(networks, optimizers, **kwargs)
        self.classifier = networks["classifier"]
        self.opt_c = optimizers["classifier"]
        self.scale = scale
        self.classifier_weight = classifier_weight
        self.every = (classifier_fake_every, classifier_real_every)

    def classify(self, x):
        # The classifier reads features in their own units.
        return self.classifier(self.scale.from_unit(x).flatten(1))

    def __call__(self, real, labels, i):
        device, n = real.device, len(labels)
        noise = torch.randn(n, self.latent_dim, device=device)
        with autocast(device):
            fake = self.generator(generator_inputs(noise, labels, self.n_classes))
            real_score, _ = self.discriminator(real, labels)
            fake_score, _ = self.discriminator(fake.detach(), labels)
        d_loss = discriminator_loss(
            self.adversarial_loss, real_score.float(), fake_score.float()
        )
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()

        with autocast(device):
            fake_score, _ = self.discriminator(fake, labels)
        g_loss = generator_loss(self.adversarial_loss, fake_score.float())
        c_loss = F.cross_entropy(self.classify(fake.float()), labels)
        self.opt_g.zero_grad(set_to_none=True)
        (g_loss + self.classifier_weight * c_loss).backward()
        self.opt_g.step()

        # The classifier's own schedule, on generated and on real features.
        for every, x in zip(self.every, (fake.detach().float(), real), strict=True):
            if (i + 1) % every == 0:
                loss = F.cross_entropy(self.classify(x), labels)
                self.opt_c.zero_grad(set_to_none=True)
                loss.backward()
                self.opt_c.step()
        return {
            "d_loss": d_loss.detach(),
            "g_loss": g_loss.detach(),
            "classifier_loss": c_loss.detach(),
        }


# Below this mean discriminator loss over the last epoch, the discriminator
# still tells real from generated samples apart almost perfectly: a generator
# that had caught up would hold it near log(4) (BCE) or 2 (hinge).
WINNING_D_LOSS = 0.05


def warn_if_discriminator_wins(history, name):
    """ConvergenceWarning when the discriminator wins the last epoch outright.

    Early in training the discriminator wins easily; the generator needs
    steps to catch up. A discriminator that still wins at the end is the
    cheapest sign that training stopped too soon.
    """
    d_loss = history[-1]["d_loss"]
    if d_loss < WINNING_D_LOSS:
        warn(
            f"{name} did not converge: at the end of its {len(history)} epochs "
            "the discriminator still told real from generated samples apart "
            f"almost perfectly (d_loss {d_loss:.3g}); raise n_epochs.",
            ConvergenceWarning,
        )


def warn_if_collapsed(made, real, targets, classes, name, advice):
    """ConvergenceWarning when the generator gives one output per class.

    A learning rate far too high can saturate the generator's output layer
    without the losses exploding (bounded losses, a discriminator that learns
    at its own rate); every draw is then the same sample. ``made`` holds an
    equal number of flat draws per class, in the order of ``classes``. A
    class whose real samples (``real``, flat, labelled by ``targets``) are
    all the same is left out: one output is what it should give.
    """
    per_class = len(made) // len(classes)
    for k, label in enumerate(classes):
        rows = real[torch.from_numpy(targets == k)]
        if (rows - rows[:1]).abs().max().item() == 0:
            continue
        draws = made[k * per_class : (k + 1) * per_class]
        spread = (draws - draws[0]).abs().max().item()
        if spread <= 1e-6 * max(draws.abs().max().item(), 1e-12):
            warn(
                f"{name}'s generator collapsed: {per_class} draws of class "
                f"{plain(label)!r} gave the same sample. "
                f"{advice[0].upper()}{advice[1:]}.",
                ConvergenceWarning,
            )
            return
