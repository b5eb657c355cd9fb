"""The GAN family's one trainer, and a new GAN variant written on it."""

import numpy as np
import pytest
import torch
from torch import nn

from gansampler.over_sampling._gan.trainer import BatchDrawer, Trainer

N_CRITIC = 3
CENTRES = torch.tensor([[-2.0, 0.0], [2.0, 1.0]])


# ---- a WGAN-GP variant on the trainer: the whole of it ----------------------
class WGANGPStep:
    """Several critic updates with a gradient penalty per generator update.

    Both networks have one output head per class and read the head of the
    sample's label.
    """

    def __init__(self, nets, opts, latent_dim=4, penalty=10.0):
        self.g, self.c = nets["generator"], nets["critic"]
        self.opt_g, self.opt_c = opts["generator"], opts["critic"]
        self.latent_dim, self.penalty = latent_dim, penalty

    def generate(self, labels):
        out = self.g(torch.randn(len(labels), self.latent_dim)).view(-1, 2, 2)
        return out[torch.arange(len(labels)), labels]

    def critic(self, x, labels):
        return self.c(x)[torch.arange(len(labels)), labels]

    def __call__(self, real, labels, i):
        for _ in range(N_CRITIC):
            fake = self.generate(labels).detach()
            mix = torch.rand(len(real), 1)
            between = (mix * real + (1 - mix) * fake).requires_grad_(True)
            (grad,) = torch.autograd.grad(
                self.critic(between, labels).sum(), between, create_graph=True
            )
            gp = ((grad.norm(dim=1) - 1) ** 2).mean()
            c_loss = self.critic(fake, labels).mean() - self.critic(real, labels).mean()
            self.opt_c.zero_grad()
            (c_loss + self.penalty * gp).backward()
            self.opt_c.step()
        g_loss = -self.critic(self.generate(labels), labels).mean()
        self.opt_g.zero_grad()
        g_loss.backward()
        self.opt_g.step()
        return {"critic_loss": c_loss.detach(), "g_loss": g_loss.detach()}


def train_wgan_gp(data, targets, n_epochs, checkpoint=None):
    with torch.random.fork_rng():  # seeds the initial weights, nothing else
        torch.manual_seed(0)
        nets = {
            "generator": nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 4)),
            "critic": nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 2)),
        }
    opts = {
        k: torch.optim.Adam(v.parameters(), 1e-3, betas=(0.5, 0.9))
        for k, v in nets.items()
    }
    step = WGANGPStep(nets, opts)
    trainer = Trainer(
        nets, opts, step, n_epochs=n_epochs, batch_size=64, balanced=True,
        device=torch.device("cpu"), seeds=(1, 2), checkpoint=checkpoint,
    )  # fmt: skip
    return trainer.fit(data, targets, 2), nets, step


# ---- end of the variant -------------------------------------------------------


def two_blobs(n=(400, 20)):
    rng = np.random.RandomState(0)
    targets = torch.as_tensor(np.repeat([0, 1], n))
    data = CENTRES[targets] + 0.3 * torch.as_tensor(rng.randn(sum(n), 2)).float()
    return data, targets


def test_a_wgan_gp_variant_learns_both_classes():
    data, targets = two_blobs()
    history, nets, step = train_wgan_gp(data, targets, n_epochs=60)
    assert len(history) == 60 and set(history[0]) >= {"critic_loss", "g_loss"}
    with torch.no_grad():
        for label in (0, 1):
            made = step.generate(torch.full((500,), label))
            # The minority class of 20 points is learned as well as the other:
            # its samples centre within 1 of it, 4 from the other class.
            assert torch.linalg.norm(made.mean(0) - CENTRES[label]) < 1.0


def test_balanced_batches_see_each_class_equally():
    targets = torch.as_tensor([0] * 990 + [1] * 10)
    draw = BatchDrawer(targets, 2, balanced=True, seed=0)
    share = (targets[draw(20000)] == 1).float().mean()
    assert 0.48 < share < 0.52
    plain = BatchDrawer(targets, 2, balanced=False, seed=0)
    assert (targets[plain(20000)] == 1).float().mean() < 0.02


def test_trainer_resumes_and_extends_a_run(tmp_path):
    data, targets = two_blobs()
    path = tmp_path / "run.pt"
    reference, _, _ = train_wgan_gp(data, targets, n_epochs=6)
    first, _, _ = train_wgan_gp(data, targets, n_epochs=3, checkpoint=path)
    assert torch.load(path, weights_only=True)["epoch"] == 3
    extended, _, _ = train_wgan_gp(data, targets, n_epochs=6, checkpoint=path)
    strip = [{k: v for k, v in r.items() if k != "duration"} for r in extended]
    assert strip == [{k: v for k, v in r.items() if k != "duration"} for r in reference]
    assert extended[:3] == first


def test_trainer_stops_on_an_exploding_loss():
    data, targets = two_blobs()

    def exploding(real, labels, i):
        return {"loss": torch.tensor(10.0 ** (i // 10))}

    trainer = Trainer(
        {}, {}, exploding, n_epochs=10, batch_size=64, balanced=False,
        device=torch.device("cpu"), seeds=(0, 0), advice="lower learning_rate",
    )  # fmt: skip
    with pytest.raises(FloatingPointError, match="diverged; lower learning_rate"):
        trainer.fit(data, targets, 2)
