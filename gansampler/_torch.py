"""Devices, seeding and batching shared by the torch-backed estimators."""

import re
from contextlib import contextmanager

import torch

MAX_SEED = 2**31 - 1

# The values of the estimators' ``device`` parameter, as a scikit-learn
# ``_parameter_constraints`` entry; :func:`resolve_device` checks the strings.
DEVICE_CONSTRAINTS = [str, torch.device]

# The CPU takes no index: there is only one to choose.
_DEVICE_STRING = re.compile(r"cpu|cuda(?::(?P<index>[0-9]+))?")


def resolve_device(device):
    """Turn the ``device`` parameter into a :class:`torch.device`.

    ``"auto"`` picks CUDA when it is available. Asking for CUDA on a machine
    without it, or for a GPU index the machine does not have, is an error
    rather than a silent fall back to the CPU or a failure deep in a fit.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:N"``, or a
        :class:`torch.device` of type ``"cpu"`` or ``"cuda"``.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        If ``device`` is none of the above, asks for CUDA on a machine
        without it, or names a GPU index the machine does not have.
    """
    if isinstance(device, torch.device):
        if device.type not in ("cpu", "cuda"):
            raise ValueError(
                "device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device "
                f"of type 'cpu' or 'cuda'; got device={device!r}."
            )
        kind, index = device.type, device.index
    elif isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    else:
        match = _DEVICE_STRING.fullmatch(device) if isinstance(device, str) else None
        if match is None:
            raise ValueError(
                "device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device; "
                f"got device={device!r}."
            )
        kind = "cpu" if device == "cpu" else "cuda"
        index = None if match["index"] is None else int(match["index"])
    if kind == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested, but CUDA is not available on "
            "this machine; use device='cpu' or device='auto'."
        )
    if index is None:
        return torch.device("cuda")
    count = torch.cuda.device_count()
    if index >= count:
        if count == 1:
            gpus = "1 CUDA GPU, cuda:0"
        else:
            gpus = f"{count} CUDA GPUs, cuda:0 to cuda:{count - 1}"
        raise ValueError(f"device={device!r} does not exist: this machine has {gpus}.")
    return torch.device("cuda", index)


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


@contextmanager
def channels_last(modules, images):
    """Train ``modules`` on ``images`` in channels-last memory; yields the
    images so laid out.

    oneDNN's and cuDNN's fastest convolution kernels read channels last:
    on two CPU cores the GANs trained 1.2 times faster at 64x64 RGB and 1.4
    times at 128x128; CNNClassifier's light network changed within the
    noise (docs/benchmarks_archive.md, issue 34), and keeps the layout so that one
    path trains every network. The layout changes no value, but the
    kernels sum in another order, so the last bits of a fit differ from a
    fit in the plain layout. Anything but NCHW images stays as it is. The
    modules go back to the plain layout afterwards (also on error), so that
    fitted networks hold ordinary tensors.
    """
    if images.dim() != 4:
        yield images
        return
    for module in modules:
        module.to(memory_format=torch.channels_last)
    try:
        yield images.contiguous(memory_format=torch.channels_last)
    finally:
        for module in modules:
            module.to(memory_format=torch.contiguous_format)


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


@contextmanager
def one_image_guard(module, images):
    """A clear error where batch norm would train on one value per channel.

    Batches hold two images or more (minibatches merges a trailing one), so
    only a single image, as partial_fit may get, can leave a batch-norm
    layer one value per channel: at 8x8 the light network's last one still
    sees several positions, at 4x4 a single one, and torch fails deep inside.
    """
    if len(images) != 1:
        yield
        return
    size = "x".join(map(str, images.shape[2:]))

    def check(layer, inputs):
        if layer.training and inputs[0].numel() == inputs[0].shape[1]:
            raise ValueError(
                f"X holds a single {size} image, which cannot be trained on "
                "alone: a batch normalisation layer of the network would see "
                "one value per channel. Pass at least 2 images in the call "
                "(or larger images)."
            )

    hooks = [
        layer.register_forward_pre_hook(check)
        for layer in module.modules()
        if isinstance(layer, torch.nn.modules.batchnorm._BatchNorm)
    ]
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


# Inference runs on chunks of exactly this many inputs, the last one padded
# with zeros. torch picks its float32 kernels by the shape of the batch (a
# single small image goes to another convolution than a batch does, and which
# sizes differ depends on the processor and the thread count), so an image's
# output would otherwise depend on the images predicted with it. One shape
# for every call gives each input the same kernels; within a chunk the
# inputs never mix (evaluation mode), so its position does not matter either.
# 32 keeps the cost of predicting one image small and a large batch's near
# its best (docs/benchmarks_archive.md, "Inference in fixed chunks").
INFERENCE_CHUNK = 32


def padded(inputs):
    """``inputs`` (at most :data:`INFERENCE_CHUNK` of them) padded with zeros
    to exactly that many."""
    missing = INFERENCE_CHUNK - len(inputs)
    if missing == 0:
        return inputs
    return torch.cat([inputs, inputs.new_zeros((missing, *inputs.shape[1:]))])


def in_chunks(call, inputs, device):
    """``(rows, outputs)`` of ``call`` on ``inputs``, chunk by chunk: each
    chunk padded to :data:`INFERENCE_CHUNK` inputs on the way in and cut
    back to its ``rows`` (a slice of ``inputs``) on the way out."""
    for start in range(0, len(inputs), INFERENCE_CHUNK):
        rows = slice(start, min(start + INFERENCE_CHUNK, len(inputs)))
        out = call(padded(inputs[rows]).to(device, non_blocking=True))
        yield rows, out[: rows.stop - rows.start]


def infer(module, inputs, device, method=None):
    """Outputs of ``module`` (or of its ``method``) on ``inputs``.

    The inputs go through in chunks of :data:`INFERENCE_CHUNK`, so that each
    one's output is the same whatever it is computed with. The module runs
    on ``device`` in evaluation mode and goes back to the CPU afterwards,
    also on error, so that a fitted estimator never keeps GPU memory.
    Returns float32 on the CPU.
    """
    call = module if method is None else getattr(module, method)
    outputs = []
    try:
        module.to(device).eval()
        with torch.inference_mode():
            for _, out in in_chunks(call, inputs, device):
                outputs.append(out.float().cpu())
    finally:
        module.cpu()
    return torch.cat(outputs)
