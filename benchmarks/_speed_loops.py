"""bench_speed's plain torch loops and its profile buckets.

The bare loops train the networks a fitted estimator exposes (``generator_``
and ``discriminator_``, ``encoder_`` and ``decoder_``, ``module_``) with the
maths of the library's steps written out plainly: batches drawn beforehand,
forward, loss, ``zero_grad``, backward, Adam. Only public fitted attributes,
parameters and torch are read, so that they run against older checkouts too.
Each returns seconds per step after ``warmup`` untimed steps.
"""

import math
import time
from contextlib import contextmanager

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CHANNELS_LAST = torch.channels_last


def device_of(estimator):
    return torch.device(str(getattr(estimator, "device_", "cpu")))


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def amp(device):
    """bfloat16 autocast on CUDA, as the library's forwards; nothing on CPU."""
    return torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda")


def unambiguous_layout(weight):
    """True (channels-last) or False (plain) for a 4-D weight, or None for a
    weight whose strides fit both layouts (one channel, 1x1 kernels)."""
    last = weight.is_contiguous(memory_format=CHANNELS_LAST)
    plain = weight.is_contiguous()
    return None if last == plain else last


@contextmanager
def layout_probe():
    """Record the memory layout the library trains its convolutions in.

    The library may switch to channels-last for training only and hand back
    plain networks, so the fitted networks do not tell. A global forward
    pre-hook sees the first training convolution whose weight tells the two
    layouts apart, and removes itself: later steps run without it.
    """
    seen = {}

    def hook(module, inputs):
        if not isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            return
        if module.training and torch.is_grad_enabled():
            layout = unambiguous_layout(module.weight)
            if layout is not None:
                seen["channels_last"] = layout
                handle.remove()

    handle = nn.modules.module.register_module_forward_pre_hook(hook)
    try:
        yield seen
    finally:
        handle.remove()


def layout(channels_last, *modules):
    """Put ``modules`` in the layout; return the format for the batches."""
    fmt = CHANNELS_LAST if channels_last else torch.contiguous_format
    for module in modules:
        module.to(memory_format=fmt)
    return fmt


def as_nchw(X):
    """uint8 (n, H, W) or (n, H, W, C) -> float32 NCHW in [0, 1]."""
    x = torch.from_numpy(np.asarray(X, dtype=np.float32) / 255.0)
    return x[:, None] if x.dim() == 3 else x.permute(0, 3, 1, 2).contiguous()


def to_unit(x):
    """Per-channel min-max scaling to [-1, 1], as the library scales GAN data."""
    low = x.amin(dim=(0, 2, 3), keepdim=True)
    span = (x.amax(dim=(0, 2, 3), keepdim=True) - low).clamp_min(1e-8)
    return low, span


def class_index(estimator, y):
    return torch.as_tensor(np.searchsorted(estimator.classes_, y), dtype=torch.long)


def timed(step, batches, warmup, device, chunk):
    """Run ``step(batch)`` over ``batches``; after ``warmup`` steps, the
    seconds per step of each ``chunk`` steps (an epoch's worth)."""
    times = []
    for i, batch in enumerate(batches):
        if i >= warmup and (i - warmup) % chunk == 0:
            sync(device)
            times.append(time.perf_counter())
        step(batch)
    sync(device)
    times.append(time.perf_counter())
    counts = [min(chunk, len(batches) - warmup - k * chunk) for k in range(len(times))]
    return [(b - a) / n for a, b, n in zip(times, times[1:], counts, strict=False)]


def gan_bare(sampler, X, y, n_steps, channels_last, chunk, warmup=1):
    """DCGAN's (or InfoGAN's) step, BCE loss in softplus form, plainly."""
    torch.manual_seed(0)
    device = device_of(sampler)
    G = sampler.generator_.to(device).train()
    D = sampler.discriminator_.to(device).train()
    fmt = layout(channels_last, G, D)
    x = as_nchw(X)
    low, span = to_unit(x)
    data = (2 * (x - low) / span - 1).to(device)
    labels_all = class_index(sampler, y).to(device)
    n, n_classes, latent = len(data), len(sampler.classes_), sampler.latent_dim
    categorical = tuple(getattr(sampler, "categorical_codes", ()))
    n_continuous = getattr(sampler, "continuous_codes", 0)
    info = hasattr(sampler, "code_weight")
    betas = (sampler.beta1, 0.999)
    lr_d = sampler.discriminator_learning_rate or sampler.learning_rate
    opt_g = torch.optim.Adam(G.parameters(), lr=sampler.learning_rate, betas=betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=lr_d, betas=betas)
    size = min(sampler.batch_size, n)
    batches = torch.randint(n, (warmup + n_steps, size)).to(device)

    def code_loss(extra, cats, cont):
        loss, start = extra.new_zeros(()), 0
        for c, k in zip(cats, categorical, strict=True):
            loss = loss + F.cross_entropy(extra[:, start : start + k], c)
            start += k
        if n_continuous:
            loss = loss + 0.5 * F.mse_loss(extra[:, start:], cont)
        return sampler.code_weight * loss

    def step(index):
        real = data[index].contiguous(memory_format=fmt)
        labels = labels_all[index]
        inputs = [torch.randn(size, latent, device=device)]
        inputs.append(F.one_hot(labels, n_classes).float())
        cats, cont = [], None
        if info:
            cats = [torch.randint(k, (size,), device=device) for k in categorical]
            cont = torch.rand(size, n_continuous, device=device) * 2 - 1
            pairs = zip(cats, categorical, strict=True)
            inputs += [F.one_hot(c, k).float() for c, k in pairs]
            inputs.append(cont)
        with amp(device):
            fake = G(torch.cat(inputs, 1))
            real_score, _ = D(real, labels)
            fake_score, extra = D(fake.detach(), labels)
        d_loss = F.softplus(-real_score.float()).mean()
        d_loss = d_loss + F.softplus(fake_score.float()).mean()
        if info and extra is not None:
            d_loss = d_loss + code_loss(extra.float(), cats, cont)
        opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        opt_d.step()
        with amp(device):
            fake_score, extra = D(fake, labels)
        g_loss = F.softplus(-fake_score.float()).mean()
        if info and extra is not None:
            g_loss = g_loss + code_loss(extra.float(), cats, cont)
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()

    return timed(step, batches, warmup, device, chunk)


def autoencoder_bare(sampler, X, y, n_steps, channels_last, chunk, warmup=1):
    """The feature samplers' first stage: reconstruction plus balanced CE."""
    torch.manual_seed(0)
    device = device_of(sampler)
    encoder = sampler.encoder_.to(device).train()
    decoder = sampler.decoder_.to(device).train()
    fmt = layout(channels_last, encoder, decoder)
    data = as_nchw(X)
    low, span = (t.to(device) for t in to_unit(data))
    data = data.to(device)
    labels_all = class_index(sampler, y).to(device)
    counts = torch.bincount(labels_all, minlength=len(sampler.classes_)).float()
    weights = len(labels_all) / (len(counts) * counts.clamp_min(1))
    params = list(decoder.parameters()) + list(encoder.parameters())
    optimizer = torch.optim.Adam(params, lr=sampler.encoder_learning_rate)
    size = min(sampler.batch_size, len(data))
    batches = torch.randint(len(data), (warmup + n_steps, size)).to(device)

    def step(index):
        real = data[index].contiguous(memory_format=fmt)
        with amp(device):
            features = encoder.embed(real)
            decoded = decoder(features)
            logits = encoder.head(features)
        target = 2 * (real - low) / span - 1
        loss = sampler.reconstruction_weight * F.mse_loss(decoded.float(), target)
        loss = loss + F.cross_entropy(logits.float(), labels_all[index], weight=weights)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return timed(step, batches, warmup, device, chunk)


def epoch_batches(n, size):
    """One epoch of shuffled index batches; a last batch of one joins the one
    before (batch norm needs two samples), as CNNClassifier batches."""
    batches = list(torch.randperm(n).split(size))
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2:] = [torch.cat(batches[-2:])]
    return batches


def cnn_bare(clf, X, y, n_steps, channels_last, chunk, warmup=1, total_steps=None):
    """CNNClassifier's default step: cross-entropy, Adam, cosine rate."""
    torch.manual_seed(0)
    device = device_of(clf)
    module = clf.module_.to(device).train()
    fmt = layout(channels_last, module)
    data = as_nchw(X).to(device)
    targets = class_index(clf, y).to(device)
    optimizer = torch.optim.Adam(
        module.parameters(), lr=clf.learning_rate, weight_decay=clf.weight_decay
    )
    batches = []
    while len(batches) < warmup + n_steps:
        batches += epoch_batches(len(data), clf.batch_size_)
    batches = [b.to(device) for b in batches[: warmup + n_steps]]
    total = total_steps or len(batches)
    counter = [0]

    def step(index):
        lr = 0.5 * clf.learning_rate * (1 + math.cos(math.pi * counter[0] / total))
        for group in optimizer.param_groups:
            group["lr"] = lr
        counter[0] += 1
        with amp(device):
            logits = module(data[index].contiguous(memory_format=fmt))
        loss = F.cross_entropy(logits.float(), targets[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return timed(step, batches, warmup, device, chunk)


# ------------------------------------------------------------------ profile

BUCKETS = (
    "forward conv",
    "other ops",
    "backward",
    "optimizer",
    "batches/index/copy",
    "augmentation",
    "numpy<->torch",
    "checks/progress",
    "python/other",
)
DRAW_OPS = {
    "aten::index",
    "aten::index_select",
    "aten::randint",
    "aten::randperm",
    "aten::rand",
    "aten::randn",
    "aten::copy_",
    "aten::to",
    "aten::_to_copy",
    "aten::contiguous",
    "aten::split",
    "aten::lift_fresh",
}
NUMPY_LABEL, CHECKS_LABEL = "bench::numpy<->torch", "bench::checks/progress"


def bucket(event):
    """The bucket of a profiled op, from its own name and its callers'."""
    chain = []
    while event is not None:
        chain.append(event.name)
        event = event.cpu_parent
    if any(n.startswith("Optimizer.") for n in chain):
        return "optimizer"
    if any("grid_sampler" in n or "affine_grid" in n for n in chain):
        return "augmentation"
    if any(n.startswith("autograd::engine::evaluate_function") for n in chain):
        return "backward"
    if NUMPY_LABEL in chain:
        return "numpy<->torch"
    if CHECKS_LABEL in chain:
        return "checks/progress"
    if chain[-1] in DRAW_OPS:
        return "batches/index/copy"
    if any("conv" in n for n in chain):
        return "forward conv"
    return "other ops"


def labelled(function, label):
    def wrapper(*args, **kwargs):
        with torch.profiler.record_function(label):
            return function(*args, **kwargs)

    return wrapper


@contextmanager
def labels(modules):
    """Label numpy<->torch moves and the loops' checks in the profile, by
    wrapping functions for the duration (library code stays as it is)."""
    patched = [
        (torch, "from_numpy", NUMPY_LABEL),
        (torch, "as_tensor", NUMPY_LABEL),
        (torch.Tensor, "numpy", NUMPY_LABEL),
    ]
    for module in modules:
        for name in ("check_losses", "show_losses", "progress", "save_atomic"):
            if callable(getattr(module, name, None)):
                patched.append((module, name, CHECKS_LABEL))
    saved = [(owner, name, getattr(owner, name)) for owner, name, _ in patched]
    try:
        for owner, name, label in patched:
            setattr(owner, name, labelled(getattr(owner, name), label))
        yield
    finally:
        for owner, name, original in saved:
            setattr(owner, name, original)


def profile(fit, modules):
    """Wall seconds of ``fit()`` and its self-CPU seconds per bucket."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    with labels(modules), torch.profiler.profile(activities=activities) as prof:
        start = time.perf_counter()
        fit()
        wall = time.perf_counter() - start
    seconds = dict.fromkeys(BUCKETS, 0.0)
    for event in prof.events():
        seconds[bucket(event)] += event.self_cpu_time_total / 1e6
    seconds["python/other"] = max(0.0, wall - sum(seconds.values()))
    return wall, seconds
