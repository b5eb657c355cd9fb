"""Devices, seeding and batching shared by the torch-backed estimators."""

from contextlib import contextmanager

import torch

MAX_SEED = 2**31 - 1


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    ``"auto"`` picks CUDA when it is available. Asking for CUDA on a machine
    without it is an error rather than a silent fall back to the CPU.
    """
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cpu":
        return torch.device("cpu")
    if str(device).startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested, but CUDA is not available on "
                "this machine; use device='cpu' or device='auto'."
            )
        return torch.device(device)
    raise ValueError(f"device must be 'auto', 'cpu' or 'cuda'; got device={device!r}.")


def forget_fit(estimator, *private):
    """Delete the fitted attributes (``name_``) and the given private ones.

    A failed or interrupted fit calls this, so that it leaves the estimator
    unfitted rather than half-fitted.
    """
    for name in [
        k for k in vars(estimator) if k.endswith("_") and not k.startswith("__")
    ]:
        delattr(estimator, name)
    for name in private:
        estimator.__dict__.pop(name, None)


def usable_device(device):
    """``device``, or the CPU when it is CUDA and this machine has none.

    Lets a model fitted on a GPU predict or sample after it was pickled and
    loaded on a machine without one.
    """
    if device.type == "cuda" and not torch.cuda.is_available():
        return torch.device("cpu")
    return device


def torch_seed(rng):
    """Draw a torch seed from a :class:`numpy.random.RandomState`."""
    return int(rng.randint(MAX_SEED))


@contextmanager
def seeded(seed, device):
    """Run the block with torch's generators seeded, then restore them.

    Layers such as dropout draw from the global generator; forking it keeps
    the caller's random state untouched while making fits reproducible. Only
    the CPU generator and, for CUDA, the one GPU in use are seeded:
    ``torch.manual_seed`` would reseed every GPU, and ``fork_rng`` restores
    only the devices it is given.
    """
    cuda = device.type == "cuda" and torch.cuda.is_available()
    index = None
    if cuda:
        index = (
            device.index if device.index is not None else torch.cuda.current_device()
        )
    with torch.random.fork_rng(devices=[index] if cuda else []):
        torch.default_generator.manual_seed(seed)
        if cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield


def make_generator(seed):
    """A CPU :class:`torch.Generator` for shuffling and augmentation draws."""
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator


def minibatches(n_samples, batch_size, generator=None):
    """Split ``range(n_samples)`` into index batches, shuffled if ``generator``.

    A trailing batch of one sample is merged into the one before it, since
    batch normalisation cannot train on a single sample.
    """
    if generator is None:
        order = torch.arange(n_samples)
    else:
        order = torch.randperm(n_samples, generator=generator)
    batches = list(torch.split(order, batch_size))
    if len(batches) > 1 and len(batches[-1]) == 1:
        batches[-2] = torch.cat(batches[-2:])
        batches.pop()
    return batches


def infer(module, inputs, device, batch_size, method=None):
    """Outputs of ``module`` (or of its ``method``) on ``inputs``, in batches.

    The module runs on ``device`` in evaluation mode and goes back to the CPU
    afterwards, also on error, so that a fitted estimator never keeps GPU
    memory. Returns float32 on the CPU.
    """
    call = module if method is None else getattr(module, method)
    outputs = []
    try:
        module.to(device).eval()
        with torch.inference_mode():
            for batch in minibatches(len(inputs), batch_size):
                out = call(inputs[batch].to(device, non_blocking=True))
                outputs.append(out.float().cpu())
    finally:
        module.cpu()
    return torch.cat(outputs)
