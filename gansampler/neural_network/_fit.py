"""CNNClassifier's training loop and the state it trains."""

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from .._augment import random_affine
from .._images import ImageLayout, check_labels, images_to_tensor, validate_images
from .._torch import (
    in_chunks,
    make_generator,
    minibatches,
    one_image_guard,
    resolve_device,
    seeded,
    torch_seed,
)
from .._training import (
    Budget,
    channel_stats,
    check_losses,
    progress,
    show_losses,
)
from .._validation import check_label_kind
from ._architectures import build_network
from ._weights import class_loss_weights, drop_weightless, per_sample

# n_epochs="auto": the 15 epochs tuned on PneumoniaMNIST's 4,708 images (555
# steps of 128), and never fewer than 500 optimizer steps on smaller data.
BUDGET = Budget(min_epochs=15, min_steps=500)
# batch_size="auto": 128, or an eighth of the data down to 16 images, so that
# a small data set still makes several steps an epoch.
LARGEST_AUTO_BATCH, SMALLEST_AUTO_BATCH = 128, 16


@dataclass
class FitState:
    """Everything a fit or a partial_fit call trains, set on the estimator
    only when the call succeeds."""

    layout: ImageLayout
    classes: np.ndarray
    images: torch.Tensor
    targets: torch.Tensor
    module: torch.nn.Module
    device: torch.device
    history: list
    n_iter: int = 0
    batch_size: int | None = None
    # Per-image weights (float32), or None; images of weight 0 are left out.
    sample_weight: torch.Tensor | None = None


def first_state(estimator, X, y, rng, classes, sample_weight=None):
    """Validate a first fit's data and build everything it trains."""
    if y is not None:
        check_labels(y)
    target_type = type_of_target(y, input_name="y") if y is not None else None
    if target_type is not None and (
        target_type.startswith("multilabel") or target_type.endswith("multioutput")
    ):
        raise ValueError(
            "Multilabel and multioutput targets are not supported; got y of "
            f"type {target_type!r}. CNNClassifier needs one label per image."
        )
    X, y, layout = validate_images(
        estimator, X, y, reset=True, image_shape=estimator.image_shape
    )
    check_classification_targets(y)
    if classes is not None:
        classes = _check_classes(classes, y)
    encoder = LabelEncoder().fit(y if classes is None else classes)
    if classes is not None and not np.isin(y, encoder.classes_).all():
        raise ValueError(
            f"y holds labels {np.setdiff1d(y, encoder.classes_)!r} that are "
            f"not in classes={list(encoder.classes_)!r}."
        )
    X, y, weights = drop_weightless(X, y, sample_weight)
    present = np.unique(y)
    # With classes given (partial_fit), a batch may hold one class.
    if len(encoder.classes_) < 2 or (classes is None and len(present) < 2):
        # Weight 0 is the same as leaving an image out, so the count is of
        # the images with weight.
        weighted = "" if sample_weight is None else " with sample_weight > 0"
        raise ValueError(
            f"{type(estimator).__name__} needs samples of at least 2 classes"
            f"{weighted}; got 1 class: {list(present)!r}."
        )
    device = resolve_device(estimator.device)
    images = images_to_tensor(X, layout)
    mean, std = channel_stats(images)
    seed = torch_seed(rng)
    with seeded(seed, device):
        module = build_network(
            estimator.architecture,
            layout.channels,
            len(encoder.classes_),
            layout.height,
            layout.width,
            mean,
            std,
            weights=estimator.weights,
            trainable_stages=estimator.trainable_stages,
            max_side=estimator.max_side,
            normalization=estimator.normalization,
        )
    return FitState(
        layout=layout,
        classes=encoder.classes_,
        images=images,
        targets=torch.as_tensor(encoder.transform(y), dtype=torch.long),
        module=module,
        device=device,
        history=[],
        sample_weight=weights,
    )


def _check_classes(classes, y):
    """``classes`` of a first partial_fit: labels as ``y``'s are, of its kind."""
    classes = np.asarray(classes)
    check_labels(classes)
    if classes.ndim != 1 or len(np.unique(classes)) != len(classes):
        raise ValueError(
            f"classes must list each label once; got classes={classes.tolist()!r}."
        )
    check_label_kind(y, classes, "y", classes_name="classes")
    return classes


def next_state(estimator, X, y, sample_weight=None, classes=None):
    """Validate a later partial_fit's data against the fitted estimator."""
    if classes is not None and not np.array_equal(
        np.unique(np.asarray(classes)), estimator.classes_
    ):
        raise ValueError(
            f"classes={list(np.asarray(classes))!r} is not classes_ "
            f"{list(estimator.classes_)!r} of the first partial_fit; pass the "
            "same classes, or none, on later calls."
        )
    X, y, layout = validate_images(estimator, X, y, reset=False)
    X, y, weights = drop_weightless(X, y, sample_weight)
    check_classification_targets(y)
    check_label_kind(y, estimator.classes_, "y")
    unknown = np.setdiff1d(y, estimator.classes_)
    if len(unknown):
        raise ValueError(
            f"y holds labels {list(unknown)!r} that were not in classes_ "
            f"{list(estimator.classes_)!r} when partial_fit was first called."
        )
    encoder = LabelEncoder()
    encoder.classes_ = estimator.classes_
    return FitState(
        layout=estimator._layout,
        classes=estimator.classes_,
        images=images_to_tensor(X, layout),
        targets=torch.as_tensor(encoder.transform(y), dtype=torch.long),
        # A copy, so that a failure midway leaves the fitted module as it was.
        module=copy.deepcopy(estimator.module_),
        # The device parameter as it is now: a model fitted on a GPU and
        # loaded where there is none trains on where it is told.
        device=resolve_device(estimator.device),
        history=list(estimator.history_),
        n_iter=estimator.n_iter_,
        batch_size=estimator.batch_size_,
        sample_weight=weights,
    )


def _check_split(n, least, estimator):
    """Refuse a validation split that leaves either side too small."""
    fraction = estimator.validation_fraction
    n_valid = math.ceil(fraction * n)
    if min(n_valid, n - n_valid) < least:
        raise ValueError(
            f"early_stopping=True holds out validation_fraction={fraction} of the "
            f"{n} training images ({n_valid}), which leaves {n - n_valid} to train "
            f"on; each side needs at least {least} image(s) (one per class). "
            "Choose a validation_fraction that leaves that many on each side, "
            "or set early_stopping=False."
        )


def resolve_batch_size(batch_size, n_samples):
    """``batch_size``, with ``"auto"`` resolved for ``n_samples`` images."""
    if batch_size == "auto":
        size = max(SMALLEST_AUTO_BATCH, min(LARGEST_AUTO_BATCH, n_samples // 8))
    else:
        size = batch_size
    return min(size, n_samples)


def train(estimator, state, rng, n_epochs, schedule, use_validation):
    """Train ``state.module`` with ``estimator``'s settings.

    Returns whether early stopping ended the fit.
    """
    device = state.device
    module = state.module
    images, targets, own = state.images, state.targets, state.sample_weight
    n_classes = len(state.classes)
    weights = class_loss_weights(estimator.class_weight, targets, state.classes)

    valid = None
    if use_validation and estimator.early_stopping:
        idx = np.arange(len(targets))
        counts = np.bincount(targets.numpy(), minlength=n_classes)
        stratify = targets.numpy() if counts.min() >= 2 else None
        _check_split(len(idx), n_classes if stratify is not None else 1, estimator)
        train_idx, valid_idx = train_test_split(
            idx,
            test_size=estimator.validation_fraction,
            stratify=stratify,
            random_state=rng,
        )
        valid = (images[valid_idx], targets[valid_idx])
        valid_own = None if own is None else own[valid_idx]
        images, targets = images[train_idx], targets[train_idx]
        own = None if own is None else own[train_idx]

    # Independent seeds for the batch draws and for torch's generators
    # (initialisation was seeded before; dropout now): one seed for both
    # would make them emit the same numbers on the CPU.
    generator = make_generator(torch_seed(rng))
    seed = torch_seed(rng)
    if state.batch_size is None:
        state.batch_size = resolve_batch_size(estimator.batch_size, len(targets))
    batch_size = state.batch_size
    steps_per_epoch = len(minibatches(len(targets), batch_size))
    n_epochs = BUDGET.epochs(n_epochs, steps_per_epoch)
    on_cuda = device.type == "cuda"
    # Small data sets move to the device once; large ones batch by batch.
    if on_cuda and images.element_size() * images.nelement() < 2**30:
        images, targets = images.to(device), targets.to(device)

    with seeded(seed, device), one_image_guard(module, images):
        module.to(device)
        optimizer = make_optimizer(estimator, module)
        total_steps = n_epochs * steps_per_epoch
        lr_at = _cosine(estimator.learning_rate, total_steps) if schedule else None
        # Per-image weights scaled to average 1 over the training data: the
        # step size does not depend on the weights' scale, and a batch
        # without the heavy images pulls proportionally little (torch's
        # weighted mean would renormalise per batch).
        loss_weights = per_sample(weights, targets.cpu(), own)
        valid_weights = None
        if loss_weights is not None:
            scale = loss_weights.mean()
            loss_weights = (loss_weights / scale).to(device)
            if valid is not None:
                valid_weights = per_sample(weights, valid[1], valid_own) / scale
        best = (math.inf, None, 0)  # loss, weights, epochs without improvement
        stopped_early = False
        bar = progress(n_epochs, 0, estimator.verbose, type(estimator).__name__)
        step, first_step = 0, None
        for _ in bar:
            start = time.perf_counter()
            module.train()
            total, count = 0.0, 0
            for batch in minibatches(len(targets), batch_size, generator):
                if lr_at is not None:
                    for group in optimizer.param_groups:
                        group["lr"] = lr_at(step)
                xb = images[batch].to(device, non_blocking=True)
                yb = targets[batch].to(device, non_blocking=True)
                if estimator.augment:
                    xb = random_affine(xb, generator)
                with torch.autocast(device.type, torch.bfloat16, enabled=on_cuda):
                    logits = module(xb)
                wb = None if loss_weights is None else loss_weights[batch]
                loss = _weighted_cross_entropy(logits.float(), yb, wb)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                # Summed on the device: one synchronisation per epoch.
                total = total + loss.detach() * len(batch)
                count += len(batch)
                if first_step is None:
                    first_step = loss.detach()
                step += 1
            record = {
                "epoch": state.n_iter + 1,
                "train_loss": float(total) / count,
                "learning_rate": optimizer.param_groups[0]["lr"],
            }
            check_losses(
                record,
                state.history,
                f"lower learning_rate (now {estimator.learning_rate})",
                first_step={"train_loss": float(first_step)},
            )
            if valid is not None:
                valid_loss, valid_score = _evaluate(
                    module, *valid, device, valid_weights, n_classes
                )
                record.update(valid_loss=valid_loss, valid_score=valid_score)
            record["duration"] = time.perf_counter() - start
            state.history.append(record)
            state.n_iter += 1
            show_losses(bar, record)
            if valid is not None:
                if record["valid_loss"] < best[0] - estimator.tol:
                    kept = {
                        k: v.detach().clone() for k, v in module.state_dict().items()
                    }
                    best = (record["valid_loss"], kept, 0)
                else:
                    best = (best[0], best[1], best[2] + 1)
                    if best[2] >= estimator.n_iter_no_change:
                        stopped_early = True
                        break
        bar.close()
        if best[1] is not None:
            module.load_state_dict(best[1])
    return stopped_early


def make_optimizer(estimator, module):
    # Frozen stages stay out, so that weight decay cannot move them either.
    parameters = [p for p in module.parameters() if p.requires_grad]
    if estimator.optimizer == "adam":
        return torch.optim.Adam(
            parameters,
            lr=estimator.learning_rate,
            weight_decay=estimator.weight_decay,
        )
    return torch.optim.SGD(
        parameters,
        lr=estimator.learning_rate,
        momentum=0.9,
        nesterov=True,
        weight_decay=estimator.weight_decay,
    )


def _cosine(base_lr, total_steps):
    def lr_at(step):
        return 0.5 * base_lr * (1 + math.cos(math.pi * step / max(total_steps, 1)))

    return lr_at


def _weighted_cross_entropy(logits, targets, weights, reduction="mean"):
    """Cross-entropy, each image's term times its weight (``weights``, one
    per image, or None)."""
    losses = F.cross_entropy(logits, targets, reduction="none")
    if weights is not None:
        losses = losses * weights
    return losses.mean() if reduction == "mean" else losses.sum()


def _evaluate(module, images, targets, device, weights, n_classes):
    """Validation loss and balanced accuracy, without touching batch stats."""
    module.eval()
    losses, predictions = [], []
    with torch.no_grad():
        # The chunks of predict, so that the validation score is the one
        # predict would give.
        for batch, logits in in_chunks(module, images, device):
            logits = logits.float()
            yb = targets[batch].to(device)
            wb = None if weights is None else weights[batch].to(device)
            losses.append(_weighted_cross_entropy(logits, yb, wb, "sum"))
            predictions.append(logits.argmax(1).cpu())
    module.train()
    predicted = torch.cat(predictions)
    recalls = [
        (predicted[targets.cpu() == k] == k).float().mean().item()
        for k in range(n_classes)
        if (targets == k).any()
    ]
    return torch.stack(losses).sum().item() / len(targets), float(np.mean(recalls))
