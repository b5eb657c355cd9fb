"""What a fitted CNNClassifier looks at: Grad-CAM maps, on torch's hooks
(captum would bring its own pins of torch for about forty lines)."""

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import FixedThresholdClassifier, TunedThresholdClassifierCV
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ._images import images_to_tensor, validate_images
from ._torch import usable_device
from ._validation import class_indices

__all__ = ["grad_cam"]

BATCH_SIZE = 64
# Steps of the path from a flat image to the image along which the default
# maps' channel weights are averaged: on the patch images of
# benchmarks/bench_grad_cam.py, 16 steps localised no better and 4 worse.
PATH_STEPS = 8


# Classifiers that predict with a fitted ``estimator_`` and a cut of their own.
_CUTS = (FixedThresholdClassifier, TunedThresholdClassifierCV)

# Layers that shrink a map without computing new features: never one of the
# default layers (the layers before them are).
_POOLS = (
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
    nn.Flatten,
)


def _forward_order(module, sample):
    """The submodules with an (N, C, H, W) output, pooling layers aside, in
    the order they first run in a forward pass; how often each ran; and the
    size of the first convolution's input (the image the network sees)."""
    fired, calls, seen_by_conv = {}, {}, []

    def record(m, inputs, out):
        if not (isinstance(out, torch.Tensor) and out.dim() == 4):
            return
        fired.setdefault(m, tuple(out.shape[2:]))
        calls[m] = calls.get(m, 0) + 1
        if isinstance(m, nn.Conv2d) and not seen_by_conv:
            seen_by_conv.append(tuple(inputs[0].shape[2:]))

    hooks = [
        m.register_forward_hook(record)
        for m in module.modules()
        if m is not module and not isinstance(m, _POOLS)
    ]
    try:
        with torch.no_grad():
            module(sample)
    finally:
        for hook in hooks:
            hook.remove()
    return fired, calls, (seen_by_conv[0] if seen_by_conv else None)


def _default_layers(module, sample):
    """The layers of ``layer=None``: (fine, coarse).

    ``fine``: the convolutions at the first convolution's resolution (the
    network's finest map); ``coarse``: the last layer whose map keeps at
    least a quarter of the image's side in positions, both sides, among the
    outermost such layers (a ResNet's stage ``layer1``, not a convolution
    inside the next stage's first block that runs before its stride). Only
    layers that run once per forward pass, from the first convolution on.
    A network without a convolution falls back to its last (N, C, H, W)
    output as the one layer."""
    fired, calls, image = _forward_order(module, sample)
    if not fired:
        raise ValueError(
            "The classifier's network has no layer with a spatial (N, C, H, W) "
            "output for Grad-CAM; pass layer=, the name of such a layer."
        )
    order = list(fired)
    first = next((m for m in order if isinstance(m, nn.Conv2d)), None)
    if first is None:
        return [order[-1]], None
    order = [m for m in order[order.index(first) :] if calls[m] == 1]
    fine = [m for m in order if isinstance(m, nn.Conv2d) and fired[m] == fired[first]]
    if not fine:  # the first convolution runs more than once per pass
        return [order[-1] if order else list(fired)[-1]], None
    wide = [
        m for m in order if 4 * fired[m][0] >= image[0] and 4 * fired[m][1] >= image[1]
    ]
    if not wide:  # a first convolution that already shrinks by more than 4
        return fine, fine[-1]
    depth = {m: name.count(".") for name, m in module.named_modules()}
    outermost = min(depth[m] for m in wide)
    return fine, [m for m in wide if depth[m] == outermost][-1]


def _find_layer(module, layer):
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


def _check_spatial(module, chosen, activation, layout, by_default):
    """Refuse a layer whose output is not an image of more than one position:
    its map would be the same everywhere, which looks like an answer.
    ``by_default``: the layer is the default's finest, so no earlier one
    would do."""
    if activation.dim() == 4 and activation.shape[2] * activation.shape[3] > 1:
        return
    name = next(n for n, m in module.named_modules() if m is chosen)
    shape = tuple(activation.shape[1:])
    remedy = (
        "The network's finest layer is already that coarse: these images are "
        "too small to show where the evidence lies."
        if by_default
        else "Pass an earlier layer (a name in classifier.module_.named_modules()), "
        "or larger images."
    )
    raise ValueError(
        f"layer {name!r} gives outputs of shape {shape} per image for "
        f"{layout.height}x{layout.width} images; Grad-CAM needs a spatial "
        f"(C, H, W) output of more than one position. {remedy}"
    )


def _fitted_cnn(classifier):
    """The fitted CNNClassifier that makes ``classifier``'s predictions
    (itself, a ResampledClassifier's ``classifier_``, a threshold
    classifier's ``estimator_``, a FrozenEstimator's ``estimator``, or the
    last step of a Pipeline whose other steps are samplers, which do nothing
    at predict time), and whether a threshold classifier moves the cut
    between the classes on the way."""
    from .neural_network import CNNClassifier

    estimator, name, cut = classifier, "classifier", False
    while not isinstance(estimator, CNNClassifier):
        steps = getattr(estimator, "steps", None)
        if isinstance(steps, list) and steps:
            others = [
                step for _, step in steps[:-1] if step not in (None, "passthrough")
            ]
            changes = [s for s in others if not hasattr(s, "fit_resample")]
            if changes:
                raise ValueError(
                    f"{name} is a Pipeline with the step {changes[0]!r}, which "
                    "changes the images before its classifier; grad_cam "
                    "explains a CNNClassifier on the images it sees. Pass "
                    f"{name}[-1] and X transformed by {name}[:-1]."
                )
            estimator, name = steps[-1][1], f"{name}[-1]"
        elif isinstance(estimator, FrozenEstimator):
            estimator, name = estimator.estimator, f"{name}.estimator"
        else:
            check_is_fitted(estimator)
            if isinstance(estimator, _CUTS):
                estimator, name, cut = estimator.estimator_, f"{name}.estimator_", True
            elif hasattr(estimator, "classifier_"):
                estimator, name = estimator.classifier_, f"{name}.classifier_"
            else:
                raise ValueError(
                    "grad_cam needs a CNNClassifier, or a fitted "
                    "ResampledClassifier, threshold classifier, FrozenEstimator "
                    f"or Pipeline of samplers that ends in one; {name} is a "
                    f"{type(estimator).__name__}, which has no network to "
                    "explain. Pass the fitted CNNClassifier that it holds."
                )
    check_is_fitted(estimator, "module_")
    return estimator, cut


class _Recorder:
    """Forward hooks that keep each layer's output and its gradient.

    The output is copied when the layer runs: a later in-place operation
    (the built-in networks' ReLUs) would change it, while the gradient that
    arrives is the one of the output as the layer gave it. A hook on the
    output tensor, not a module backward hook, because those refuse the
    in-place activations."""

    def __init__(self, layers):
        self.layers = layers
        self.calls, self.activations, self.gradients = {}, {}, {}
        self.hooks = [m.register_forward_hook(self._keep) for m in layers]

    def _keep(self, module, _inputs, output):
        self.calls[module] = self.calls.get(module, 0) + 1
        self.activations[module] = output.detach().clone()
        if output.requires_grad:
            output.register_hook(lambda grad: self.gradients.__setitem__(module, grad))

    def clear(self):
        self.calls.clear()
        self.activations.clear()
        self.gradients.clear()

    def remove(self):
        for hook in self.hooks:
            hook.remove()


def _scaled(maps):
    """Each map divided by its maximum (all-zero maps stay zero)."""
    return maps / maps.flatten(1).max(1).values.clamp_min(1e-12)[:, None, None]


def _cam(activation, weights, size):
    """Grad-CAM of one layer, upsampled to ``size`` and scaled to [0, 1]."""
    cam = F.relu((weights * activation).sum(1, keepdim=True))
    cam = F.interpolate(cam, size=size, mode="bilinear", align_corners=False)
    return _scaled(cam[:, 0])


def _weights(module, recorder, batch, wanted, steps):
    """Each recorded layer's channel weights and its activations on
    ``batch``: the gradient of the wanted class's logit averaged over
    positions (Grad-CAM) and, for ``steps > 1``, over the images
    ``b + a (x - b)``, ``a = 1, (steps - 1) / steps, ..., 1 / steps``, on the
    path from each image's flat mean ``b`` (integrated gradients).
    ``wanted(logits)`` gives the class of each image from the logits of the
    images themselves (``a = 1``, the first step)."""
    flat = batch.mean(dim=(2, 3), keepdim=True)
    weights, activations, classes = {}, {}, None
    for step in range(steps, 0, -1):
        # Gradients must reach the layers even where weights are frozen.
        x = (flat + step / steps * (batch - flat)).requires_grad_(True)
        recorder.clear()
        with torch.enable_grad():
            logits = module(x)
            for chosen in recorder.layers:
                _check_called_once(module, chosen, recorder.calls.get(chosen, 0))
            classes = wanted(logits) if classes is None else classes
            module.zero_grad(set_to_none=True)
            logits.gather(1, classes[:, None]).sum().backward()
        if step == steps:
            activations = dict(recorder.activations)
        for m in recorder.layers:
            mean = recorder.gradients[m].mean(dim=(2, 3), keepdim=True) / steps
            weights[m] = weights[m] + mean if m in weights else mean
    return weights, activations


def grad_cam(classifier, X, target=None, layer=None):
    """Grad-CAM maps of a fitted classifier: where each image's evidence lies.

    The gradient of the target class's logit with respect to a
    convolutional layer's output, averaged over each channel's positions,
    weighs that channel's activation map; the rectified sum, upsampled
    bilinearly to the image's size and scaled to [0, 1] per image, is the
    map (Selvaraju et al., ICCV 2017). By default two depths of the network
    are combined and the weights are integrated gradients, so that the map
    localises on images of 28 pixels too (see ``layer``).

    Read more in the :ref:`User Guide <grad_cam>`.

    Parameters
    ----------
    classifier : CNNClassifier or an estimator that predicts with one
        A fitted CNNClassifier (any architecture with a convolutional
        layer), or the fitted estimator a user has where it passes the images
        to one as they are, which is then explained: a ResampledClassifier
        (its ``classifier_``), an imbalanced-learn Pipeline of samplers
        ending in a CNNClassifier, a FrozenEstimator, or scikit-learn's
        TunedThresholdClassifierCV and FixedThresholdClassifier (their
        ``estimator_``; they move the cut between the classes, not the
        logits that the maps follow). Another meta-estimator is refused:
        pass the fitted CNNClassifier it holds.
    X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
        Images like the training images.
    target : label, array-like of shape (n,) or None, default=None
        The class whose evidence to show, one for all images or one per
        image; ``None`` shows each image's predicted class (after a
        threshold classifier's cut).
    layer : str, torch.nn.Module or None, default=None
        A layer, by its name in ``classifier.module_.named_modules()`` (for
        example ``"features.layer3"`` of a ResNet) or as the module, gives
        that layer's Grad-CAM map. ``None`` multiplies two maps, each scaled
        to [0, 1], and scales the product again:

        - *fine*: the mean map of the convolutions at the network's finest
          resolution, the first convolution's output size (the first block
          of ``"light"``, ``"vgg"`` and ``"resnet"``, the stem of a ResNet
          or DenseNet backbone);
        - *coarse*: the map of the last layer whose output keeps at least a
          quarter of the image's side in positions, the outermost such
          layer (the last block of ``"light"``, ``layer1`` of ResNet-18).

        Their channel weights are the gradients averaged over 8 images on
        the straight path from each image's flat mean (its mean value in
        every pixel) to the image (integrated gradients, Sundararajan et
        al., 2017, as in Integrated Grad-CAM), not at the image alone: a
        network sure of its class can have gradients there that point away
        from the evidence. The product is high where the first layers see
        detail *and* the deep layer places the evidence; the last block
        alone (Grad-CAM's usual layer) sees nearly all of a small image from
        every position, and the first layers alone light up texture
        everywhere. On 28 to 64 pixel images whose class is a small patch,
        the default put most of the map in the patch's quadrant for 100% of
        images with ``"light"`` and ``"resnet18"`` (76 to 100% over three
        seeds), the last block for 0 to 92% (``bench_grad_cam.py``; see
        the user guide).

    Returns
    -------
    maps : ndarray of shape (n, H, W), float32
        One map per image, in [0, 1]; all zero where no position supports
        the class.

    Raises
    ------
    ValueError
        If ``classifier`` holds no CNNClassifier, ``layer`` is not in the
        network, or gives one position per image (a map that would be the
        same everywhere), or ``target`` holds a label that is not in
        ``classes_``.

    See Also
    --------
    gansampler.plotting.plot_cam : the maps over their images.

    References
    ----------
    .. [1] R. R. Selvaraju et al., "Grad-CAM: Visual Explanations from Deep
       Networks via Gradient-based Localization", ICCV 2017.
    .. [2] M. Sundararajan, A. Taly and Q. Yan, "Axiomatic Attribution for
       Deep Networks", ICML 2017 (integrated gradients).
    .. [3] S. Sattarzadeh et al., "Integrated Grad-CAM: Sensitivity-Aware
       Visual Explanation of Deep Convolutional Networks via Integrated
       Gradient-Based Scoring", ICASSP 2021.
    .. [4] P.-T. Jiang et al., "LayerCAM: Exploring Hierarchical Class
       Activation Maps for Localization", IEEE TIP 30, 2021 (maps of
       shallow layers localise finely, of deep layers coarsely).

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
    cnn, cut = _fitted_cnn(classifier)
    if target is None and cut:
        target = classifier.predict(X)  # the class predicted after the cut
    classifier = cnn
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
    size = (layout.height, layout.width)
    recorder = None
    maps = []
    try:
        module.to(device).eval()
        if layer is None:
            fine, coarse = _default_layers(module, images[:1].to(device))
        else:
            fine, coarse = [_find_layer(module, layer)], None
        recorder = _Recorder(list(dict.fromkeys([*fine, coarse] if coarse else fine)))
        steps = PATH_STEPS if layer is None else 1
        for start in range(0, len(images), BATCH_SIZE):
            batch = images[start : start + BATCH_SIZE].to(device)

            def wanted(logits, start=start):
                if index is None:
                    return logits.argmax(1)
                return index[start : start + len(logits)].to(logits.device)

            weights, activations = _weights(module, recorder, batch, wanted, steps)
            _check_spatial(module, fine[0], activations[fine[0]], layout, layer is None)
            cams = {m: _cam(activations[m], weights[m], size) for m in recorder.layers}
            cam = _scaled(torch.stack([cams[m] for m in fine]).mean(0))
            if coarse is not None:
                cam = _scaled(cam * cams[coarse])
            maps.append(cam.detach().cpu())
    finally:
        if recorder is not None:
            recorder.remove()
        module.zero_grad(set_to_none=True)
        module.cpu().eval()
    return torch.cat(maps).numpy().astype(np.float32)
