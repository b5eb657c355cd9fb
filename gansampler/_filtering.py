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

from ._torch import torch_seed
from ._validation import fitted_or_fit, plain

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
        The classifier that judges new images: any classifier with ``fit``
        and ``predict_proba``. An unfitted one is cloned and the clone fitted
        on the real training images at each ``fit_resample`` (your object
        stays unfitted); a fitted one is used as it is, and must have been
        fitted on the classes of ``y``. ``None`` uses ``CNNClassifier()``,
        seeded from ``random_state``. Grid search and cross-validation clone
        the sampler, which unfits a fitted classifier: wrap it in
        :class:`sklearn.frozen.FrozenEstimator` to keep it fitted (fitted on
        data that later serves as a test fold, it leaks that fold). Only
        used with ``filter_threshold``.

    filter_rejection_rate_ : dict
        For each class that got new images, the share of drawn images that
        the filter rejected; empty without ``filter_threshold``.

    filter_classifier_ : classifier
        The fitted judge: the fitted copy, or ``filter_classifier`` itself
        when it came fitted; only with ``filter_threshold``.
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


def fit_judge(sampler, classifier, X, y, rng, name="filter_classifier"):
    """The classifier to use for ``classifier``, the sampler's parameter
    ``name``: the default judge fitted on the real images ``X``, ``y`` when
    it is None, else as :func:`~gansampler._validation.fitted_or_fit` rules
    (used as it is when fitted, a fitted clone when not). Draws from ``rng``
    only to seed the default."""
    if classifier is None:
        return default_judge(sampler, torch_seed(rng)).fit(X, y)
    return fitted_or_fit(classifier, X, y, name, sampler.image_shape)


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
        # fit_judge checked that the judge knows the classes of y.
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
