"""Keeping only the new images that a classifier of the real images believes.

Few-shot oversampling works when the synthetic images are selected: M2m keeps
a translated image only when a classifier gives it high probability, and
feature-space filters of generated samples added points in several studies.
Every sampler offers it through ``filter_threshold`` and
``filter_classifier``: :class:`Filter` is a stage that the sampler's base
composes around whatever generator the sampler holds.
"""

import math

import numpy as np
from sklearn.base import clone

from ._torch import torch_seed
from ._validation import plain

# Drawn images per wanted image at most, before the filter gives up.
MAX_DRAWS_PER_IMAGE = 20

# The filter's entries in every sampler's docstring (see _docstrings).
FILTER_TEXT = """
    filter_threshold : float in (0, 1) or None, default=None
        Keep only the new images that ``filter_classifier``, fitted on the
        real training images, assigns to their class with at least this
        probability, drawing more until each class has its count (at most
        20 drawn per wanted image; fewer kept is an error that says how many
        passed). ``None`` keeps every new image.

    filter_classifier : classifier or None, default=None
        The classifier that judges new images; it is cloned and fitted on the
        real training images at each ``fit_resample``. ``None`` uses
        ``CNNClassifier()``, seeded from ``random_state``. Wrap a fitted
        classifier in :class:`sklearn.frozen.FrozenEstimator` to use it as it
        is (fitted on data that later serves as a test fold, it leaks that
        fold). Only used with ``filter_threshold``.

    filter_rejection_rate_ : dict
        For each class that got new images, the share of drawn images that
        the filter rejected; empty without ``filter_threshold``.

    filter_classifier_ : classifier
        The fitted judge; only with ``filter_threshold``.
"""


def default_judge(sampler, seed):
    """``CNNClassifier()`` with the sampler's geometry, device and a seed.

    The one place that names the classifier: imported when a filter without
    ``filter_classifier`` first needs it, so that no sampler module depends
    on the classifier's.
    """
    from .neural_network import CNNClassifier

    # The sampler's geometry and device: flat rows are read as it reads them.
    return CNNClassifier(
        random_state=seed,
        image_shape=sampler.image_shape,
        device=getattr(sampler, "device", "auto"),
    )


def fit_judge(sampler, classifier, X, y, rng):
    """``classifier`` cloned and fitted on the real images ``X``, ``y`` (a
    :class:`~sklearn.frozen.FrozenEstimator` stays as it is), or the
    default judge when it is None. Draws from ``rng`` only to seed the
    default."""
    if classifier is None:
        judge = default_judge(sampler, torch_seed(rng))
    else:
        judge = clone(classifier)
    return judge.fit(X, y)


class Filter:
    """A stage around any generator's draws: keeps the new images a judge
    believes.

    Attributes
    ----------
    judge : classifier
        Fitted on the real training images.
    threshold : float
        The probability of its class a new image needs.
    """

    def __init__(self, judge, threshold):
        self.judge = judge
        self.threshold = threshold

    @classmethod
    def fit(cls, sampler, X, y, rng):
        """The stage of ``sampler``'s filter settings, its judge fitted on
        ``X`` and ``y``. Draws from ``rng`` only to seed the default judge."""
        judge = fit_judge(sampler, sampler.filter_classifier, X, y, rng)
        return cls(judge, sampler.filter_threshold)

    def keep(self, draw, label, n_samples):
        """``n_samples`` new images of ``label`` that the judge believes.

        ``draw(n)`` makes ``n`` new images (in the caller's layout). Returns
        the kept images and the share of drawn images that were rejected.
        """
        judge, threshold = self.judge, self.threshold
        if label not in list(judge.classes_):
            raise ValueError(
                f"filter_classifier knows the classes {list(judge.classes_)!r}, "
                f"not {plain(label)!r}, which the sampler makes images of; fit it "
                "on the same classes."
            )
        column = list(judge.classes_).index(label)
        most = MAX_DRAWS_PER_IMAGE * n_samples
        kept, n_kept, drawn, batch = [], 0, 0, n_samples
        while True:
            made = draw(batch)
            drawn += batch
            passed = made[judge.predict_proba(made)[:, column] >= threshold]
            kept.append(passed)
            n_kept += len(passed)
            if n_kept >= n_samples:
                return np.concatenate(kept)[:n_samples], 1 - n_kept / drawn
            if drawn >= most:
                value = plain(label)
                raise ValueError(
                    f"filter_threshold={threshold} kept {n_kept} of {drawn} new "
                    f"images of class {value!r} ({n_kept / drawn:.1%}), but "
                    f"{n_samples} are wanted. Lower filter_threshold, ask for fewer "
                    "new images with sampling_strategy, or train the sampler "
                    "longer."
                )
            # Enough for the rest at the rate seen so far, with a margin.
            rate = max(n_kept / drawn, 1 / MAX_DRAWS_PER_IMAGE)
            # At most n_samples at a time, so that memory stays within what
            # the sampler checked for.
            batch = min(
                most - drawn, n_samples, math.ceil(1.2 * (n_samples - n_kept) / rate)
            )
