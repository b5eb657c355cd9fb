"""What a fitted CNNClassifier looks at: Grad-CAM maps.

Written on torch's forward and backward hooks rather than on a library such
as captum, which would bring its own pins of torch for about forty lines.
"""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._images import images_to_tensor, validate_images
from ._torch import usable_device
from ._validation import class_indices

__all__ = ["grad_cam"]

BATCH_SIZE = 64


# Layers that shrink a map without computing new features: the default layer
# is the block before them.
_POOLS = (
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
    nn.Flatten,
)


def _last_feature_map(module, sample):
    """The module whose (N, C, H, W) output comes last in a forward pass,
    pooling layers aside: the last convolutional block's output, whatever the
    network (a Sequential's last activation, a ResNet's ``layer4``, a
    DenseNet's ``features``)."""
    fired = []
    hooks = [
        m.register_forward_hook(
            lambda m, _i, out: (
                fired.append(m)
                if isinstance(out, torch.Tensor) and out.dim() == 4
                else None
            )
        )
        for m in module.modules()
        if m is not module and not isinstance(m, _POOLS)
    ]
    try:
        with torch.no_grad():
            module(sample)
    finally:
        for hook in hooks:
            hook.remove()
    if not fired:
        raise ValueError(
            "The classifier's network has no layer with a spatial (N, C, H, W) "
            "output for Grad-CAM; pass layer=, the name of such a layer."
        )
    return fired[-1]


def _find_layer(module, layer, sample):
    if layer is None:
        return _last_feature_map(module, sample)
    if isinstance(layer, nn.Module):
        if not any(m is layer for m in module.modules()):
            raise ValueError("layer is a module that is not part of the classifier.")
        return layer
    names = dict(module.named_modules())
    if layer not in names:
        convolutions = [n for n, m in names.items() if isinstance(m, nn.Conv2d)]
        raise ValueError(
            f"layer={layer!r} is not a layer of the classifier's network; its "
            f"convolutions are {convolutions}."
        )
    return names[layer]


def _check_called_once(module, chosen, calls):
    """Refuse a layer that runs more or less than once per forward pass (a
    ReLU shared within a ResNet block runs twice): its activations and
    gradients could not be paired, and the map would be wrong."""
    if calls == 1:
        return
    name = next(n for n, m in module.named_modules() if m is chosen)
    raise ValueError(
        f"layer {name!r} runs {calls} times in one forward pass; Grad-CAM needs "
        "a layer that runs once. Pass the block or convolution that holds it "
        "(a name in classifier.module_.named_modules())."
    )


def _check_spatial(module, chosen, activation, layout):
    """Refuse a layer whose output is not an image of more than one position:
    its map would be the same everywhere, which looks like an answer."""
    if activation.dim() == 4 and activation.shape[2] * activation.shape[3] > 1:
        return
    name = next(n for n, m in module.named_modules() if m is chosen)
    shape = tuple(activation.shape[1:])
    raise ValueError(
        f"layer {name!r} gives outputs of shape {shape} per image for "
        f"{layout.height}x{layout.width} images; Grad-CAM needs a spatial "
        "(C, H, W) output of more than one position. Pass an earlier layer "
        "(a name in classifier.module_.named_modules()), or larger images."
    )


def grad_cam(classifier, X, target=None, layer=None):
    """Grad-CAM maps of a fitted classifier: where each image's evidence lies.

    The gradient of the target class's logit with respect to a
    convolutional layer's output, averaged over each channel's positions,
    weighs that channel's activation map; the rectified sum, upsampled
    bilinearly to the image's size and scaled to [0, 1] per image, is the
    map (Selvaraju et al., ICCV 2017).

    Parameters
    ----------
    classifier : CNNClassifier
        A fitted classifier (any architecture with a convolutional layer).
    X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
        Images like the training images.
    target : label, array-like of shape (n,) or None, default=None
        The class whose evidence to show, one for all images or one per
        image; ``None`` shows each image's predicted class.
    layer : str, torch.nn.Module or None, default=None
        The layer, by its name in ``classifier.module_.named_modules()``
        (for example ``"features.layer3"`` of a ResNet) or as the module.
        ``None`` takes the last convolutional block's output: the module
        whose 4-D output comes last in a forward pass, pooling layers aside
        (the last activation of the built-in networks, ``layer4`` of a
        ResNet, ``features`` of a DenseNet), as Grad-CAM's authors did.
        Its units must see less than the whole image for the map to
        localise anything: with the built-in ``"light"`` network that holds
        from about 64x64 pixels on; for smaller images, or a ResNet whose
        last stage is 1x1 there, pass an earlier layer. See the user guide.

    Returns
    -------
    maps : ndarray of shape (n, H, W), float32
        One map per image, in [0, 1]; all zero where no position supports
        the class.

    Raises
    ------
    ValueError
        If ``layer`` is not in the network, or gives one position per image
        (a map that would be the same everywhere), or ``target`` holds a
        label that is not in ``classes_``.

    See Also
    --------
    gansampler.plotting.plot_cam : the maps over their images.

    Examples
    --------
    >>> import numpy as np
    >>> from gansampler import CNNClassifier
    >>> from gansampler.inspection import grad_cam
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randint(0, 256, size=(40, 16, 16)).astype(np.uint8)
    >>> y = np.arange(40) % 2
    >>> # Two epochs keep the example quick; the default trains 500 steps.
    >>> clf = CNNClassifier(n_epochs=2, random_state=0).fit(X, y)
    >>> grad_cam(clf, X[:3], target=1).shape
    (3, 16, 16)
    """
    check_is_fitted(classifier, "module_")
    X, layout = validate_images(classifier, X, reset=False)
    images = images_to_tensor(X, layout)
    module = classifier.module_
    index = None
    if target is not None:
        index = torch.as_tensor(
            class_indices(
                target, classifier.classes_, len(images), "target", none_allowed=True
            )
        )
    device = usable_device(classifier.device_)
    seen = {}

    def keep(_module, _inputs, output):
        # A hook on the output tensor, not a module backward hook: the
        # built-in networks' activations work in place, which those refuse.
        seen["calls"] = seen.get("calls", 0) + 1
        seen["activation"] = output
        if output.requires_grad:
            output.register_hook(lambda grad: seen.__setitem__("gradient", grad))

    hooks = []
    maps = []
    try:
        module.to(device).eval()
        chosen = _find_layer(module, layer, images[:1].to(device))
        hooks.append(chosen.register_forward_hook(keep))
        for start in range(0, len(images), BATCH_SIZE):
            batch = images[start : start + BATCH_SIZE].to(device)
            # Gradients must reach the layer even where its weights are frozen.
            batch.requires_grad_(True)
            seen.clear()
            with torch.enable_grad():
                logits = module(batch)
                _check_called_once(module, chosen, seen.get("calls", 0))
                wanted = (
                    logits.argmax(1)
                    if index is None
                    else index[start : start + len(batch)].to(device)
                )
                module.zero_grad(set_to_none=True)
                logits.gather(1, wanted[:, None]).sum().backward()
            activation, gradient = seen["activation"], seen["gradient"]
            _check_spatial(module, chosen, activation, layout)
            weights = gradient.mean(dim=(2, 3), keepdim=True)
            cam = F.relu((weights * activation).sum(1, keepdim=True)).detach()
            cam = F.interpolate(
                cam,
                size=(layout.height, layout.width),
                mode="bilinear",
                align_corners=False,
            )[:, 0]
            peak = cam.flatten(1).max(1).values.clamp_min(1e-12)[:, None, None]
            maps.append((cam / peak).cpu())
    finally:
        for hook in hooks:
            hook.remove()
        module.zero_grad(set_to_none=True)
        module.cpu().eval()
    return torch.cat(maps).numpy().astype(np.float32)
