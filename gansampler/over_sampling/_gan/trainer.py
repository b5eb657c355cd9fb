"""The one training loop of the GAN family.

:class:`Trainer` runs a *step* over batches of real samples, epoch after
epoch. A step is any callable ``step(real, labels, i) -> losses`` that
updates the networks it holds and returns a dict of 0-dim loss tensors; the
trainer owns everything else: class-balanced batches, the training budget,
history, the progress bar, divergence checks, and checkpoints that a later
fit resumes from. DCGAN, InfoGAN and FeatureGAN supply steps; so does a new
variant (see the user guide's "how the GAN family is built").
"""

import copy
import hashlib
import os
import pickle
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from ..._torch import channels_last, make_generator, seeded
from ..._training import check_losses, progress, say_expected_time, show_losses
from ..._validation import check_checkpoint_dir
from ..._warnings import warn


def autocast(device):
    """bfloat16 autocast on CUDA, nothing on the CPU: for the steps' forwards."""
    if device.type == "cuda":
        return torch.autocast("cuda", torch.bfloat16)
    return nullcontext()


class BatchDrawer:
    """Draws index batches of real samples, class-balanced if asked.

    Balanced batches pick a class uniformly, then a sample of it: a class of
    ten images is then seen as often as one of a thousand, so the generator
    learns it instead of treating it as noise. Draws are with replacement.
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


class Trainer:
    """Train networks with a step function; see the module's docstring.

    Parameters
    ----------
    networks, optimizers : dict of str to torch.nn.Module / torch.optim.Optimizer
        What the step trains, by name: moved to the device and saved in
        checkpoints.
    step : callable
        ``step(real, labels, i) -> dict of 0-dim tensors``; ``i`` counts
        steps from the start of training, across resumed fits.
    n_epochs : int
        Epochs to train; an epoch is ``ceil(n_samples / batch_size)`` steps.
    batch_size : int
        Real samples per step, drawn with replacement.
    balanced : bool
        Draw batches class-balanced.
    device : torch.device
    seeds : (int, int)
        Seeds of the batch draws and of torch's generators: two, so that the
        two streams are independent.
    checkpoint : pathlib.Path or None
        File to save to every ``checkpoint_every`` epochs and at the end, and
        to resume from when it holds an earlier state of this run.
    checkpoint_every : int
    verbose : int
    name : str
        Shown on the progress bar.
    advice : str
        What to change when the losses diverge.
    """

    def __init__(
        self,
        networks,
        optimizers,
        step,
        *,
        n_epochs,
        batch_size,
        balanced,
        device,
        seeds,
        checkpoint=None,
        checkpoint_every=10,
        verbose=0,
        name="",
        advice="",
    ):
        self.networks = networks
        self.optimizers = optimizers
        self.step = step
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.balanced = balanced
        self.device = device
        self.seeds = seeds
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every
        self.verbose = verbose
        self.name = name
        self.advice = advice
        self.history = []

    def fit(self, data, targets, n_classes):
        """Train on ``data`` (a tensor, first axis samples) and ``targets``.

        Returns the history: one dict per epoch with ``epoch``, the mean of
        each loss over the epoch, and ``duration`` in seconds.
        """
        device = self.device
        steps_per_epoch = -(-len(targets) // self.batch_size)
        batch_seed, torch_seed = self.seeds
        draw = BatchDrawer(targets, n_classes, self.balanced, batch_seed)
        if device.type == "cuda" and data.element_size() * data.nelement() < 2**30:
            data, targets = data.to(device), targets.to(device)
        with (
            seeded(torch_seed, device),
            channels_last(self.networks.values(), data) as data,
        ):
            for network in self.networks.values():
                network.to(device).train()
            first_epoch = self._resume(draw)
            bar = progress(self.n_epochs, first_epoch, self.verbose, self.name)
            for epoch in bar:
                start = time.perf_counter()
                sums = {}
                for k in range(steps_per_epoch):
                    first = epoch == first_epoch and k == 0
                    batch = draw(self.batch_size)
                    real = data[batch].to(device, non_blocking=True)
                    labels = targets[batch].to(device, non_blocking=True)
                    losses = self.step(real, labels, epoch * steps_per_epoch + k)
                    for key, value in losses.items():
                        sums[key] = sums.get(key, 0.0) + value.detach()
                    if first:
                        first_step = {k: v.detach() for k, v in losses.items()}
                # One synchronisation per epoch, not per step.
                record = {"epoch": epoch + 1}
                record.update({k: float(v) / steps_per_epoch for k, v in sums.items()})
                check_losses(
                    record,
                    self.history,
                    self.advice,
                    {k: float(v) for k, v in first_step.items()},
                )
                record["duration"] = time.perf_counter() - start
                self.history.append(record)
                if epoch == first_epoch:
                    say_expected_time(
                        bar, self.name, self.n_epochs - first_epoch, record["duration"]
                    )
                show_losses(bar, record)
                done = epoch + 1
                if self.checkpoint is not None and (
                    done % self.checkpoint_every == 0 or done == self.n_epochs
                ):
                    self._save(draw, done)
            bar.close()
        return self.history

    def _save(self, draw, epoch):
        device = self.device
        payload = {
            "epoch": epoch,
            "networks": {k: v.state_dict() for k, v in self.networks.items()},
            "optimizers": {k: v.state_dict() for k, v in self.optimizers.items()},
            "history": self.history,
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state(device)
            if device.type == "cuda"
            else None,
            "batch_rng": draw.generator.get_state(),
            # A step with random state of its own (augmentation) saves it.
            "step": self.step.state_dict() if hasattr(self.step, "state_dict") else {},
        }
        save_atomic(self.checkpoint, payload)

    def _resume(self, draw):
        """Load this run's checkpoint if there is one; return its epoch.

        A checkpoint of more epochs than this fit asks for is not a state
        this fit passes through: it starts afresh, and leaves that file as it
        is (it saves no checkpoint of its own).
        """
        path = self.checkpoint
        if path is None or not path.is_file():
            return 0
        # What loading changes, kept to be restored if the file is unusable.
        optimizers, step_state = {}, None
        torch_state, batch_state = torch.get_rng_state(), draw.generator.get_state()
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
            if saved["epoch"] > self.n_epochs:
                self.checkpoint = None  # the longer run stays resumable
                return 0
            # Loaded into copies first, so that a file that does not fit
            # these networks leaves them as they were.
            networks = {k: copy.deepcopy(v) for k, v in self.networks.items()}
            for name, network in networks.items():
                network.load_state_dict(saved["networks"][name])
            for name, optimizer in self.optimizers.items():
                optimizers[name] = copy.deepcopy(optimizer.state_dict())
                optimizer.load_state_dict(saved["optimizers"][name])
            history = list(saved["history"])
            rng_states = saved["torch_rng"], saved["cuda_rng"], saved["batch_rng"]
            # Set here, so that a state that does not fit raises now.
            torch.set_rng_state(rng_states[0])
            draw.generator.set_state(rng_states[2])
            if hasattr(self.step, "load_state_dict"):
                step_state = self.step.state_dict()
                self.step.load_state_dict(saved["step"])
        except Exception as error:  # noqa: BLE001 - any unreadable file
            for name, state in optimizers.items():
                self.optimizers[name].load_state_dict(state)
            torch.set_rng_state(torch_state)
            draw.generator.set_state(batch_state)
            if step_state is not None:
                self.step.load_state_dict(step_state)
            self._set_aside(path, error)
            return 0
        for name, network in self.networks.items():
            network.load_state_dict(networks[name].state_dict())
        self.history[:] = history
        if self.device.type == "cuda" and rng_states[1] is not None:
            torch.cuda.set_rng_state(rng_states[1], self.device)
        return saved["epoch"]

    @staticmethod
    def _set_aside(path, error):
        """Move an unreadable checkpoint aside, so that this fit and later
        ones train afresh instead of failing on it."""
        aside = path.with_name(path.name + ".corrupt")
        try:
            os.replace(path, aside)
            where = f"it was moved to {aside}"
        except OSError:  # a read-only folder: train afresh all the same
            where = "it could not be moved aside (delete it by hand)"
        warn(
            f"The checkpoint {path} could not be read ({type(error).__name__}), "
            f"so {where} and training starts afresh; delete the file once you "
            "no longer need it.",
            UserWarning,
        )


def checkpoint_file(folder, prefix, params, seeds, *arrays):
    """The checkpoint path in ``folder`` for a run decided by what is given.

    The name hashes the parameters (by their repr), the seeds and the bytes
    of the arrays (data, labels, weights of an extractor), so that a fit
    resumes only a run that computed the same thing.
    """
    digest = hashlib.sha256()
    digest.update(prefix.encode())
    digest.update(pickle.dumps(sorted((k, repr(v)) for k, v in params.items())))
    digest.update(np.asarray(seeds, dtype=np.int64).tobytes())
    for array in arrays:
        array = np.asarray(array)
        # The shape too: the same bytes as 8x16 or 16x8 images differ.
        digest.update(repr((array.shape, array.dtype.str)).encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    check_checkpoint_dir(folder)
    return Path(folder) / f"{prefix}-{digest.hexdigest()[:20]}.pt"


def save_atomic(path, payload):
    """Write atomically, so that an interruption never leaves half a file."""
    partial = path.with_suffix(".partial")
    torch.save(payload, partial)
    os.replace(partial, path)
