"""The study's methods: names parsed and read in the registry
(:mod:`gansampler._registry`), one method fitted and scored; the study's
options checked and its data split.

The public names are re-exported by :mod:`gansampler.study`; see its
docstring for the naming scheme.
"""

import time
from dataclasses import replace
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score, f1_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.utils._param_validation import Interval

from ._registry import METHODS
from .neural_network._losses import prior_corrections

# The classifier-only methods that a sampler's name can take as an option
# (``m2m+ldam_drw``): those that set the classifier's loss or re-balancing.
LOSSES = tuple(
    name
    for name, entry in METHODS.items()
    if entry.sampler is None
    and not entry.tunes_threshold
    and entry.classifier
    and "class_weight" not in entry.classifier
)


def parse_method(method):
    """Split a method's name,
    ``base[@strategy][+filter<p>][+weighted<s>][+cw][+<loss>][+threshold]``.

    Returns a dict with ``"base"`` (a name of ``METHODS``), ``"strategy"`` (a
    float, or ``"auto"``), and ``"filter"``, ``"share"``, ``"class_weight"``,
    ``"classifier"`` (a name of :data:`LOSSES`, whose classifier settings a
    sampler's method takes) and ``"threshold"`` (True) when the name asks
    for them.

    >>> parse_method("featuresmote@0.25+cw")
    {'base': 'featuresmote', 'strategy': 0.25, 'class_weight': 'balanced'}
    """
    base, *options = method.split("+")
    base, at, strategy = base.partition("@")
    if base not in METHODS:
        raise ValueError(f"unknown method {method!r}; the bases are {list(METHODS)}.")
    entry = METHODS[base]
    parts = {"base": base, "strategy": "auto"}
    if at:
        # A float strategy is the minority's count over the majority's, as
        # imbalanced-learn reads it.
        parts["strategy"] = _number(strategy, method, "@", "right")
    for i, option in enumerate(options):
        if option in options[:i]:
            raise ValueError(f"method {method!r}: +{option} is given twice.")
        if option == "cw":
            parts["class_weight"] = "balanced"
        elif option == "threshold":
            parts["threshold"] = True
        elif option.startswith("filter"):
            parts["filter"] = _number(option[6:], method, "+filter", "neither")
        elif option.startswith("weighted"):
            parts["share"] = _number(option[8:], method, "+weighted", "both")
        elif option in LOSSES:
            # A classifier-only method's settings (loss, re-balancing) on
            # top of a sampler: m2m+logit_adjusted.
            if "classifier" in parts:
                raise ValueError(
                    f"method {method!r}: only one loss suffix is allowed; got "
                    f"+{parts['classifier']} and +{option}. Each of {list(LOSSES)} "
                    "sets the classifier's loss or re-balancing (ldam_drw is LDAM "
                    "with deferred re-weighting)."
                )
            parts["classifier"] = option
        else:
            raise ValueError(f"unknown option {option!r} in method {method!r}.")
    asked = [o for o in ("filter", "share") if o in parts] + (["@"] if at else [])
    if entry.sampler is None and asked:
        # These make no images: a strategy, filter or share would be ignored.
        raise ValueError(
            f"method {method!r}: {base!r} makes no new images, so @, +filter "
            "and +weighted do not apply; add them to a sampler's name, such as "
            "superpixel+weighted0.25."
        )
    if "classifier" in parts and entry.sampler is None:
        raise ValueError(
            f"method {method!r}: +{parts['classifier']} goes on a sampler's "
            f"name, such as m2m+{parts['classifier']}; alone it is the method "
            f"{parts['classifier']!r}."
        )
    if "filter" in parts and entry.flat_rows:
        raise ValueError(
            f"method {method!r}: +filter applies to gansampler's samplers only."
        )
    if "threshold" in parts and entry.tunes_threshold:
        raise ValueError(
            f"method {method!r}: {base!r} tunes the decision threshold "
            "already; drop +threshold."
        )
    if "share" in parts and "class_weight" in parts:
        raise ValueError(
            f"method {method!r}: +weighted weighs the classes by their real "
            "counts already; drop +cw."
        )
    if "share" in parts and entry.blends_pixels:
        raise ValueError(
            f"method {method!r}: {entry.sampler.__name__} inside "
            "ResampledClassifier would interpolate uint8 pixels, which wrap "
            "around; use featuresmote."
        )
    _refuse_stacked_corrections(method, entry, parts)
    return parts


def _refuse_stacked_corrections(method, entry, parts):
    """Refuse a name whose classifier would correct for the class prior
    twice (CNNClassifier would warn; a study run must not measure it)."""
    settings = dict(entry.classifier)
    if "classifier" in parts:
        settings.update(METHODS[parts["classifier"]].classifier)
    if "class_weight" in parts:
        settings["class_weight"] = parts["class_weight"]
    also = (
        ["+weighted (ResampledClassifier's class weights)"] if "share" in parts else []
    )
    found = also + prior_corrections(
        settings.get("loss", "cross_entropy"),
        settings.get("class_weight"),
        settings.get("rebalance"),
    )
    if len(found) > 1:
        raise ValueError(
            f"method {method!r}: {' and '.join(found)} each correct for the class "
            "prior, and together would correct for it twice; keep one of them "
            "(the user guide's 'Corrections of the prior')."
        )


def _number(text, method, option, closed):
    """``text`` as a number between 0 and 1, ends included as ``closed``
    says (scikit-learn's Interval)."""
    valid = Interval(Real, 0, 1, closed=closed)
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or value not in valid:
        raise ValueError(
            f"method {method!r}: {option} takes {valid}; got {text!r} (for "
            "example featuresmote@0.25 or dcgan+filter0.9)."
        )
    return value


def method_entry(method):
    """The registry's entry for the base of ``method``'s name."""
    return METHODS[parse_method(method)["base"]]


def tunes_threshold(method):
    """Whether ``method`` tunes a binary decision threshold: its base does
    (``threshold``), or its name asks for it (``+threshold``)."""
    parts = parse_method(method)
    return "threshold" in parts or METHODS[parts["base"]].tunes_threshold


def check_binary(methods, y):
    """Refuse a method that tunes a binary decision threshold where ``y``
    has more than two classes."""
    cuts = [m for m in methods if tunes_threshold(m)]
    n_classes = len(np.unique(y))
    if cuts and n_classes > 2:
        raise ValueError(
            f"method {cuts[0]!r} tunes a binary decision threshold; the data "
            f"has {n_classes} classes."
        )


def make_sampler(method, seed, min_count, gan_params=None):
    """The sampler of ``method``, or None; ``"auto"`` balances."""
    parts = parse_method(method)
    return METHODS[parts["base"]].build(
        seed,
        parts["strategy"],
        min_count=min_count,
        filter_threshold=parts.get("filter"),
        gan_params=gan_params,
    )


# The sampler settings that each run sets itself, and where to set them.
RUN_SETTINGS = {
    "random_state": "each run's seed, so that every seed draws its own "
    "images; choose the seeds with --seeds",
    "sampling_strategy": "the method's name; write it as its @strategy "
    "suffix, such as {base}@0.5",
    "filter_threshold": "the method's name; write it as its +filter suffix, "
    "such as {base}+filter0.9",
}


def with_sampler_params(methods, params):
    """The registry's entries of ``methods``, their samplers given the
    settings ``params`` besides their own: to measure a setting other than
    the default (``benchmarks/bench_study.py --sampler-param``).

    Every setting is checked before any run: each method has a sampler that
    takes it, with a value that the sampler's parameter validation accepts,
    and it is not one that a run sets itself (:data:`RUN_SETTINGS`). Returns
    ``{base: Method}``; the registry is left as it is.
    """
    entries = {}
    for method in methods if params else ():
        base = parse_method(method)["base"]
        entry = METHODS[base]
        for name, value in params.items():
            setting = f"{name}={value!r}"
            if name in RUN_SETTINGS:
                where = RUN_SETTINGS[name].format(base=base)
                raise ValueError(f"{setting}: {name} is set by {where}.")
            if entry.sampler is None:
                raise ValueError(
                    f"{setting}: method {method!r} makes no new images, so it "
                    "has no sampler to set; give sampler settings to methods "
                    "with samplers only."
                )
            valid = set(entry.sampler().get_params()) - set(RUN_SETTINGS)
            if name not in valid:
                raise ValueError(
                    f"{setting}: {entry.sampler.__name__} (method {method!r}) "
                    f"has no parameter {name!r}; its parameters are "
                    f"{sorted(valid)}."
                )
        merged = {**entry.params, **params}
        try:
            entry.sampler(**merged)._validate_params()
        except ValueError as error:  # scikit-learn's InvalidParameterError
            setting = ", ".join(f"{k}={v!r}" for k, v in params.items())
            raise ValueError(f"{setting}: {error}") from None
        entries[base] = replace(entry, params=merged)
    return entries


def fit_method(method, seed, X, y, classifier_params=None, gan_params=None):
    """Resample and fit as ``method`` says; return (model, resample_s, fit_s, n).

    ``n`` counts the images fitted on: after resampling, or before it where
    the sampler runs inside the model's fit (``+weighted``, and
    ``+threshold`` on a sampler).
    """
    from imblearn.pipeline import Pipeline
    from sklearn.model_selection import TunedThresholdClassifierCV

    from .compose import ResampledClassifier
    from .neural_network import CNNClassifier

    check_binary([method], y)
    counts = np.unique(y, return_counts=True)[1]
    parts = parse_method(method)
    entry = METHODS[parts["base"]]
    sampler = make_sampler(method, seed, counts.min(), gan_params)
    settings = {"class_weight": None, "augment": False, **entry.classifier}
    if "classifier" in parts:
        settings.update(METHODS[parts["classifier"]].classifier)
    if "class_weight" in parts:
        settings["class_weight"] = parts["class_weight"]
    clf = CNNClassifier(random_state=seed, **settings, **(classifier_params or {}))
    if "share" in parts:
        # The sampler runs inside the classifier's fit; its time counts there.
        if entry.flat_rows:
            # imbalanced-learn's samplers take flat rows; the classifier is
            # told their geometry.
            clf.set_params(image_shape=X.shape[1:])
            X = X.reshape(len(X), -1)
        clf = ResampledClassifier(clf, sampler, synthetic_share=parts["share"])
        sampler = None
    if tunes_threshold(method):
        if sampler is not None:
            # The sampler resamples each internal fold's training images
            # alone; the fold's other images, which score the cut, are not
            # resampled (the Pipeline's samplers run in fit only).
            clf = Pipeline([("sampler", entry.step(sampler)), ("classifier", clf)])
            sampler = None
        # Tuned for balanced accuracy by internal 5-fold cross-validation on
        # the training data (scikit-learn's default), then refitted on it.
        clf = TunedThresholdClassifierCV(clf, scoring="balanced_accuracy")
    resample_s = 0.0
    if sampler is not None:
        start = time.perf_counter()
        X, y = entry.resample(sampler, X, y)
        resample_s = time.perf_counter() - start
    start = time.perf_counter()
    clf.fit(X, y)
    return clf, resample_s, time.perf_counter() - start, len(y)


def score(model, X, y):
    """Balanced accuracy, ROC AUC (one-vs-rest, macro, for several classes)
    and macro F1 of a fitted model on ``X``, ``y``."""
    proba = model.predict_proba(X)
    # predict, not the argmax of proba: threshold tuning moves the cut.
    predicted = model.predict(X)
    if len(model.classes_) == 2:
        auc = roc_auc_score(y == model.classes_[1], proba[:, 1])
    else:
        auc = roc_auc_score(y, proba, multi_class="ovr", labels=model.classes_)
    return {
        "balanced_accuracy": balanced_accuracy_score(y, predicted),
        "roc_auc": auc,
        "macro_f1": f1_score(y, predicted, average="macro"),
    }


def splits(y, seed, cv, test_size):
    """(fold, train, test) indices: a held-out split, or stratified k-fold."""
    index = np.arange(len(y))
    try:
        if cv is not None:
            folds = StratifiedKFold(cv, shuffle=True, random_state=seed).split(index, y)
            return [(k, train, test) for k, (train, test) in enumerate(folds)]
        train, test = train_test_split(
            index, test_size=test_size, stratify=y, random_state=seed
        )
    except ValueError as error:
        option = f"cv={cv!r}" if cv is not None else f"test_size={test_size!r}"
        raise ValueError(f"{option} cannot split these labels: {error}") from None
    return [(0, train, test)]


def _whole(value):
    return isinstance(value, Integral) and not isinstance(value, bool)


def is_seed(value):
    """Whether ``value`` is a seed that numpy's RandomState takes."""
    return _whole(value) and 0 <= value < 2**32


SEED_RULE = "seeds are integers from 0 to 2**32 - 1, which numpy's RandomState takes"


def option_errors(seeds, cv, test_size, n_jobs):
    """What no run could use, checked before anything is written: option
    name to (the first bad value, what is valid), for :func:`run_study` and
    the command line to phrase."""
    errors = {}
    bad = [s for s in seeds if not is_seed(s)]
    if bad:
        errors["seeds"] = (bad[0], f"is not a seed; {SEED_RULE}")
    if cv is not None and not (_whole(cv) and cv >= 2):
        errors["cv"] = (
            cv,
            "is not a number of folds; use an integer of at least 2, or no cv "
            "for one held-out split",
        )
    share = isinstance(test_size, Real) and not isinstance(test_size, bool)
    if cv is None and not (share and 0 < test_size < 1):
        errors["test_size"] = (
            test_size,
            "is not a share of the images; hold out a number between 0 and 1, "
            "such as 0.3",
        )
    if n_jobs is not None and not (_whole(n_jobs) and n_jobs != 0):
        errors["n_jobs"] = (
            n_jobs,
            "is not a number of runs side by side; use a positive integer, or "
            "-1 for one per CPU core",
        )
    return errors


def file_in_the_way(folder):
    """The file at ``folder`` or at one of its parents, or None: where a
    folder is to be made."""
    folder = Path(folder)
    blocking = (p for p in (folder, *folder.parents) if p.exists() and not p.is_dir())
    return next(blocking, None)
