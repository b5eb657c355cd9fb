"""The adversarial training engine that every GAN sampler uses.

:class:`BaseGANSampler` trains one class-conditional generator against one
discriminator on all classes, with optional auxiliary outputs of the
discriminator (InfoGAN's latent codes), then draws new images of a class by
feeding its label to the generator. Subclasses say what extra inputs the
generator gets and what extra loss the auxiliary outputs carry.
"""

import hashlib
import math
import os
import pickle
import time
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from imblearn.utils import check_sampling_strategy
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from .._images import images_to_numpy, images_to_tensor
from .._torch import (
    MAX_SEED,
    forget_fit,
    infer,
    make_generator,
    resolve_device,
    seeded,
    torch_seed,
    usable_device,
)
from ..base import BaseImageSampler
from ._gan_networks import (
    build_networks,
    check_image_size,
    translate,
    uses_convolutions,
)

GENERATE_BATCH_SIZE = 1024

# Parameters that do not change what a fit computes: a checkpoint written
# under other values of these is still the same run.
_NOT_IN_CHECKPOINT_KEY = {
    "verbose",
    "output",
    "decoding",
    "checkpoint_dir",
    "checkpoint_every",
    "device",
    "sampling_strategy",
}


class BaseGANSampler(BaseImageSampler):
    """Base class of the GAN samplers: the adversarial training engine.

    Not used directly; see :class:`DCGANSampler`, :class:`InfoGANSampler`
    and :class:`FeatureGANSampler`.
    """

    _parameter_constraints = {
        **BaseImageSampler._parameter_constraints,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 2, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "discriminator_learning_rate": [
            Interval(Real, 0, None, closed="neither"),
            None,
        ],
        "beta1": [Interval(Real, 0, 1, closed="left")],
        "loss": [StrOptions({"hinge", "bce"})],
        "spectral_norm": ["boolean"],
        "augment": ["boolean"],
        "balance_classes": ["boolean"],
        "n_filters": [Interval(Integral, 1, None, closed="left")],
        "checkpoint_dir": [str, os.PathLike, None],
        "checkpoint_every": [Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "verbose": ["verbose"],
    }

    # A generator cannot learn a class from one or two images; refuse them.
    _min_class_size = 3

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        latent_dim=64,
        n_epochs=40,
        batch_size=64,
        learning_rate=2e-4,
        discriminator_learning_rate=None,
        beta1=0.5,
        loss="bce",
        spectral_norm=False,
        augment=False,
        balance_classes=True,
        n_filters=16,
        checkpoint_dir=None,
        checkpoint_every=10,
        image_shape=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            sampling_strategy=sampling_strategy,
            random_state=random_state,
            image_shape=image_shape,
        )
        self.latent_dim = latent_dim
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.discriminator_learning_rate = discriminator_learning_rate
        self.beta1 = beta1
        self.loss = loss
        self.spectral_norm = spectral_norm
        self.augment = augment
        self.balance_classes = balance_classes
        self.n_filters = n_filters
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.device = device
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    def fit(self, X, y):
        """Train the generator on images ``X`` with labels ``y``.

        Unlike imbalanced-learn's samplers, whose ``fit`` only checks the
        data, this trains the GAN, so that :meth:`sample` can draw images
        afterwards. :meth:`fit_resample` trains and resamples in one call.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Training images.
        y : array-like of shape (n,)
            Class labels.

        Returns
        -------
        self : object
        """
        self._validate_params()
        self._forget_fit()
        rng = check_random_state(self.random_state)
        try:
            check_classification_targets(y)
            X, y, _ = self._check_X_y(X, y)
            self.sampling_strategy_ = check_sampling_strategy(
                self.sampling_strategy, y, self._sampling_type
            )
            self._check_class_sizes(y)
            self._fit_generator(images_to_tensor(X, self._layout), y, rng)
        except BaseException:
            self._forget_fit()
            raise
        return self

    def fit_resample(self, X, y):
        """Train the generator and resample: originals first, then new images.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Training images.
        y : array-like of shape (n,)
            Class labels.

        Returns
        -------
        X_resampled : ndarray
            The images of ``X`` followed by the generated ones, in the layout
            and dtype of ``X``.
        y_resampled : ndarray of shape (n_resampled,)
            Their labels.
        """
        self._forget_fit()
        try:
            return super().fit_resample(X, y)
        except BaseException:
            # A failed or interrupted fit must not look fitted.
            self._forget_fit()
            raise

    def _forget_fit(self):
        forget_fit(self, "_layout", "_scale")

    def _fit_generator(self, images, y, rng):
        check_image_size(self._layout.height, self._layout.width, type(self).__name__)
        classes, targets = np.unique(y, return_inverse=True)
        device = resolve_device(self.device)
        build_seed, train_seed = torch_seed(rng), torch_seed(rng)
        checkpoint = self._checkpoint_path(images, targets, [build_seed, train_seed])
        state = self._fit_adversarial(
            images,
            self._layout,
            targets,
            len(classes),
            device,
            (build_seed, train_seed),
            checkpoint,
        )
        self._commit(state, classes, device)

    def _fit_adversarial(
        self, data, layout, targets, n_classes, device, seeds, checkpoint
    ):
        """Train the networks on ``data`` (NCHW of ``layout``); return the state."""
        build_seed, train_seed = seeds
        # Train on values scaled to [-1, 1], the range of the generator's
        # tanh: per channel for images, per column for tabular rows.
        dims = (0, 2, 3) if uses_convolutions(layout.height, layout.width) else (0,)
        low = data.amin(dim=dims, keepdim=True)
        span = (data.amax(dim=dims, keepdim=True) - low).clamp_min(1e-8)
        with seeded(build_seed, device):
            networks = self._build_networks(layout, n_classes)
        state = {
            "networks": networks,
            "data": 2 * (data - low) / span - 1,
            "scale": (low, span),
            "targets": torch.as_tensor(targets, dtype=torch.long),
            "n_classes": n_classes,
            "device": device,
            "history": [],
            "checkpoint": checkpoint,
        }
        self._train(state, train_seed)
        return state

    def _build_networks(self, layout, n_classes):
        """The networks by name; ``generator`` and ``discriminator`` at least."""
        n_inputs = self.latent_dim + n_classes + self._n_code_inputs()
        generator, discriminator = build_networks(
            layout,
            n_inputs,
            n_classes,
            self._n_code_outputs(),
            self.n_filters,
            self.spectral_norm,
        )
        return {"generator": generator, "discriminator": discriminator}

    def _make_optimizers(self, networks):
        betas = (self.beta1, 0.999)
        d_lr = self.discriminator_learning_rate or self.learning_rate
        return {
            "generator": torch.optim.Adam(
                networks["generator"].parameters(), lr=self.learning_rate, betas=betas
            ),
            "discriminator": torch.optim.Adam(
                networks["discriminator"].parameters(), lr=d_lr, betas=betas
            ),
        }

    def _commit(self, state, classes, device):
        networks = state["networks"]
        self.classes_ = classes
        self.generator_ = networks["generator"].cpu().eval()
        self.discriminator_ = networks["discriminator"].cpu().eval()
        self.history_ = state["history"]
        self.n_iter_ = len(state["history"])
        self.device_ = device
        self._scale = state["scale"]

    # ------------------------------------------------------- training loop

    def _train(self, state, seed):
        networks, device = state["networks"], state["device"]
        on_cuda = device.type == "cuda"
        data, targets = state["data"], state["targets"]
        batch_size = min(self.batch_size, len(targets))
        steps_per_epoch = math.ceil(len(targets) / batch_size)
        draw = _BatchDrawer(targets, state["n_classes"], self.balance_classes, seed)
        if on_cuda and data.element_size() * data.nelement() < 2**30:
            data, targets = data.to(device), targets.to(device)

        with seeded(seed, device):
            for network in networks.values():
                network.to(device).train()
            optimizers = self._make_optimizers(networks)
            first_epoch = self._resume(state, optimizers, draw, device)
            bar = tqdm(
                range(first_epoch, self.n_epochs),
                initial=first_epoch,
                total=self.n_epochs,
                disable=self.verbose < 1,
                desc=type(self).__name__,
                unit="epoch",
            )
            for epoch in bar:
                start = time.perf_counter()
                sums = {}
                for i in range(steps_per_epoch):
                    batch = draw(batch_size)
                    real = data[batch].to(device, non_blocking=True)
                    labels = targets[batch].to(device, non_blocking=True)
                    step = epoch * steps_per_epoch + i
                    losses = self._step(state, optimizers, real, labels, step)
                    for key, value in losses.items():
                        sums[key] = sums.get(key, 0.0) + value
                # One synchronisation per epoch, not per step.
                record = {"epoch": epoch + 1}
                record.update({k: v.item() / steps_per_epoch for k, v in sums.items()})
                bad = [k for k, v in record.items() if not math.isfinite(v)]
                if bad:
                    raise FloatingPointError(
                        f"The {bad[0]} became {record[bad[0]]} at epoch {epoch + 1}; "
                        f"{self._divergence_advice()}."
                    )
                record["duration"] = time.perf_counter() - start
                state["history"].append(record)
                bar.set_postfix(
                    {k: f"{v:.3f}" for k, v in record.items() if "loss" in k}
                )
                done = epoch + 1
                if state["checkpoint"] is not None and (
                    done % self.checkpoint_every == 0 or done == self.n_epochs
                ):
                    self._save(state, optimizers, draw, device, done)
            bar.close()

    def _step(self, state, optimizers, real, labels, step):
        generator = state["networks"]["generator"]
        discriminator = state["networks"]["discriminator"]
        opt_g, opt_d = optimizers["generator"], optimizers["discriminator"]
        device = real.device
        n = len(labels)
        codes, code_inputs = self._draw_codes(n, device)
        noise = torch.randn(n, self.latent_dim, device=device)
        inputs = torch.cat(
            [noise, F.one_hot(labels, state["n_classes"]).float(), code_inputs], 1
        )
        autocast = torch.autocast(
            device.type, torch.bfloat16, enabled=device.type == "cuda"
        )
        with autocast:
            fake = generator(inputs)

        # Discriminator step, on real images and detached generated ones.
        with autocast:
            real_score, _ = discriminator(self._augment(real), labels)
            fake_score, extra = discriminator(self._augment(fake.detach()), labels)
        d_loss = _discriminator_loss(self.loss, real_score.float(), fake_score.float())
        info = self._code_loss(extra, codes)
        opt_d.zero_grad(set_to_none=True)
        (d_loss if info is None else d_loss + info).backward()
        opt_d.step()

        # Generator step.
        with autocast:
            fake_score, extra = discriminator(self._augment(fake), labels)
        g_loss = _generator_loss(self.loss, fake_score.float())
        info = self._code_loss(extra, codes)
        opt_g.zero_grad(set_to_none=True)
        (g_loss if info is None else g_loss + info).backward()
        opt_g.step()
        losses = {"d_loss": d_loss.detach(), "g_loss": g_loss.detach()}
        if info is not None:
            losses["code_loss"] = info.detach()
        return losses

    def _augment(self, x):
        if self.augment and x.dim() == 4 and uses_convolutions(x.shape[2], x.shape[3]):
            return translate(x, 0.125)
        return x

    # ------------------------------------------- hooks for auxiliary codes

    def _n_code_inputs(self):
        """Extra generator inputs beyond noise and the one-hot label."""
        return 0

    def _n_code_outputs(self):
        """Extra discriminator outputs (auxiliary heads)."""
        return 0

    def _draw_codes(self, n, device):
        """Codes for a training batch: (what the heads predict, generator inputs)."""
        return None, torch.zeros(n, 0, device=device)

    def _code_loss(self, extra, codes):
        """Loss of the auxiliary outputs, added to both networks' losses."""
        return None

    def _divergence_advice(self):
        """What to change when the losses stop being finite."""
        return f"lower learning_rate (now {self.learning_rate})"

    def _fixed_code_inputs(self, n, codes):
        """Generator code inputs at sampling time, from the checked ``codes``."""
        return torch.zeros(n, 0)

    # ---------------------------------------------------------- checkpoints

    def _checkpoint_path(self, images, targets, seeds):
        if self.checkpoint_dir is None:
            return None
        # The seeds drawn from random_state stand for it: an integer always
        # draws the same ones, while None or a RandomState that has moved on
        # draws new ones, so such a fit never takes over another's file.
        params = {
            k: v
            for k, v in self.get_params().items()
            if k not in _NOT_IN_CHECKPOINT_KEY and k != "random_state"
        }
        digest = hashlib.sha256()
        digest.update(type(self).__name__.encode())
        digest.update(pickle.dumps(sorted((k, repr(v)) for k, v in params.items())))
        digest.update(np.asarray(seeds, dtype=np.int64).tobytes())
        digest.update(images.numpy().tobytes())
        digest.update(np.asarray(targets).tobytes())
        self._fingerprint(digest)
        folder = Path(self.checkpoint_dir)
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{type(self).__name__}-{digest.hexdigest()[:20]}.pt"

    def _fingerprint(self, digest):
        """Add what else decides the fit (beyond parameters and data)."""

    def _save(self, state, optimizers, draw, device, epoch):
        payload = {
            "epoch": epoch,
            "networks": {k: v.state_dict() for k, v in state["networks"].items()},
            "optimizers": {k: v.state_dict() for k, v in optimizers.items()},
            "history": state["history"],
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device)
            if device.type == "cuda"
            else None,
            "batch_rng": draw.generator.get_state(),
        }
        _save_checkpoint(state["checkpoint"], payload)

    def _resume(self, state, optimizers, draw, device):
        """Load the checkpoint of this run if there is one; return its epoch."""
        path = state["checkpoint"]
        if path is None or not path.is_file():
            return 0
        saved = torch.load(path, map_location="cpu", weights_only=True)
        if saved["epoch"] > self.n_epochs:
            return 0
        for name, network in state["networks"].items():
            network.load_state_dict(saved["networks"][name])
        for name, optimizer in optimizers.items():
            optimizer.load_state_dict(saved["optimizers"][name])
        state["history"][:] = saved["history"]
        torch.set_rng_state(saved["torch_rng"])
        if device.type == "cuda" and saved["cuda_rng"] is not None:
            torch.cuda.set_rng_state(saved["cuda_rng"], device)
        draw.generator.set_state(saved["batch_rng"])
        return saved["epoch"]

    # ----------------------------------------------------------- generation

    def _generate_class(self, label, X_class, n_samples, rng):
        index = int(np.flatnonzero(self.classes_ == label)[0])
        return self._draw_images(np.full(n_samples, index), rng, None)

    def _draw_images(self, class_index, rng, codes):
        """Generated images (NCHW, in the training data's range) of classes."""
        n = len(class_index)
        device = usable_device(self.device_)
        seed = torch_seed(rng)
        with seeded(seed, device):
            # Drawn on the CPU, so that a seed gives the same inputs anywhere.
            noise = torch.randn(n, self.latent_dim)
            labels = F.one_hot(torch.as_tensor(class_index), len(self.classes_)).float()
            code_inputs = self._fixed_code_inputs(n, codes)
            inputs = torch.cat([noise, labels, code_inputs], 1)
            made = infer(self.generator_, inputs, device, GENERATE_BATCH_SIZE)
        low, span = self._scale
        return low + (made + 1) / 2 * span

    def sample(self, n_samples, y, *, random_state=None):
        """Draw ``n_samples`` new images of class(es) ``y`` without refitting.

        Parameters
        ----------
        n_samples : int
            Number of images.
        y : label or array-like of shape (n_samples,)
            One class label for all images, or one label per image; every
            label must be in ``classes_``.
        random_state : int, RandomState instance or None, default=None
            Seeds the draw. ``None`` draws fresh randomness (numpy's global
            random state is left untouched).

        Returns
        -------
        X : ndarray
            The images, in the layout and dtype of the training images.
        """
        return self._sample(n_samples, y, random_state, None)

    def _check_sample_call(self, n_samples):
        check_is_fitted(self, "generator_")
        if (
            not isinstance(n_samples, Integral)
            or isinstance(n_samples, bool)
            or n_samples < 1
        ):
            raise ValueError(
                f"n_samples must be a positive integer; got n_samples={n_samples!r}."
            )

    def _sample(self, n_samples, y, random_state, codes):
        self._check_sample_call(n_samples)
        class_index = self._class_index(n_samples, y)
        if random_state is None:
            # Fresh entropy from the OS, leaving numpy's global state alone.
            random_state = int(np.random.default_rng().integers(MAX_SEED))
        rng = check_random_state(random_state)
        images = self._draw_images(class_index, rng, codes)
        return images_to_numpy(images, self._layout)

    def _class_index(self, n_samples, y):
        labels = np.asarray(y)
        if labels.ndim == 0:
            labels = np.full(n_samples, labels)
        if labels.shape != (n_samples,):
            raise ValueError(
                f"y must be one label or {n_samples} labels (one per image); got "
                f"y of shape {labels.shape}."
            )
        known = set(self.classes_.tolist())
        unknown = [v for v in np.unique(labels).tolist() if v not in known]
        if unknown:
            raise ValueError(
                f"y holds labels {unknown!r} that {type(self).__name__} was not "
                f"fitted on; classes_ = {self.classes_.tolist()!r}."
            )
        return np.searchsorted(self.classes_, labels)


class _BatchDrawer:
    """Draws index batches of real images, class-balanced if asked.

    Balanced batches pick a class uniformly, then an image of it: a class of
    ten images is then seen as often as one of a thousand, so the generator
    learns it instead of treating it as noise.
    """

    def __init__(self, targets, n_classes, balanced, seed):
        self.generator = make_generator(seed)
        self.balanced = balanced
        self.n = len(targets)
        self.order = torch.argsort(targets, stable=True)
        self.counts = torch.bincount(targets, minlength=n_classes)
        self.starts = torch.cumsum(self.counts, 0) - self.counts

    def __call__(self, batch_size):
        if not self.balanced:
            return torch.randint(self.n, (batch_size,), generator=self.generator)
        classes = torch.randint(
            len(self.counts), (batch_size,), generator=self.generator
        )
        offsets = (
            torch.rand(batch_size, generator=self.generator) * self.counts[classes]
        )
        return self.order[self.starts[classes] + offsets.long()]


def _discriminator_loss(kind, real, fake):
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def _generator_loss(kind, fake):
    if kind == "hinge":
        return -fake.mean()
    return F.softplus(-fake).mean()


def _save_checkpoint(path, payload):
    """Write atomically, so that an interruption never leaves half a file."""
    partial = path.with_suffix(".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
