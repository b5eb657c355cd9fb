"""The md5 of every public estimator's result at its defaults, and of
CNNClassifier at each ``loss`` and ``rebalance`` value, on a fixed small data
set and seed: a sampler's ``fit_resample``, a classifier's ``predict_proba``
of its training images.

``tests/test_pins.py`` runs this in a fresh process on torch's baseline
kernels (``BASELINE``), so that the bits depend on the code, the torch build
and the processor, not on the instruction set torch would choose. They still
depend on the processor: the order of a convolution's sums follows its cache
sizes, and with it the last bits (issue 33). So the digests are recorded per
processor (:func:`processor`), and compared only on the one that recorded
them. Run it by hand to see the digests: ``python tests/pins.py``, under
``BASELINE``'s variables (``--record`` prints them for test_pins.py).
"""

import hashlib
import inspect
import json
import platform
import sys
import warnings

import numpy as np

# The same kernels on every x86-64 processor: torch's own vector code at its
# baseline, oneDNN at SSE4.1, MKL in its processor-independent mode, and one
# thread (reductions split across threads add in another order).
BASELINE = {
    "ATEN_CPU_CAPABILITY": "default",
    "ONEDNN_MAX_CPU_ISA": "SSE41",
    "MKL_CBWR": "COMPATIBLE",
    "MKL_ENABLE_INSTRUCTIONS": "SSE4_2",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def processor():
    """The processor, as its vendor, model name, family and model (Linux's
    /proc/cpuinfo; elsewhere what :mod:`platform` knows)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        return f"{platform.machine()} {platform.processor()}".strip()
    return (
        f"{fields.get('vendor_id', '?')} {fields.get('model name', '?')} "
        f"(family {fields.get('cpu family', '?')}, model {fields.get('model', '?')})"
    )


def data():
    """16 digit images of 8x8 (uint8): 10 zeros and 6 ones (FeatureSMOTESampler
    needs more than its 5 neighbours)."""
    from sklearn.datasets import load_digits

    X, y = load_digits(n_class=2, return_X_y=True)
    X = (X.reshape(-1, 8, 8) * 255 / 16).round().astype(np.uint8)
    keep = np.concatenate([np.flatnonzero(y == 0)[:10], np.flatnonzero(y == 1)[:6]])
    return X[keep], y[keep]


def md5(*arrays):
    digest = hashlib.md5()
    for array in arrays:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def public_estimators():
    """The package's public estimators, by scikit-learn's rule
    (``all_estimators``): classes of ``__all__`` deriving from BaseEstimator,
    less those named ``Base*``."""
    from sklearn.base import BaseEstimator

    import gansampler

    found = []
    for name in gansampler.__all__:
        item = getattr(gansampler, name)
        if (
            inspect.isclass(item)
            and issubclass(item, BaseEstimator)
            and not name.startswith("Base")
        ):
            found.append(name)
    return sorted(found)


def configurations():
    """Each estimator at its defaults, and CNNClassifier at every ``loss``
    and ``rebalance`` value its constraints allow (and ``reset_head``), as
    ``{key: (name, settings)}``."""
    from gansampler import CNNClassifier

    found = {name: (name, {}) for name in public_estimators()}
    constraints = CNNClassifier._parameter_constraints
    for parameter in ("loss", "rebalance"):
        options = next(c for c in constraints[parameter] if hasattr(c, "options"))
        default = CNNClassifier().get_params()[parameter]
        for value in sorted(options.options - {default}):
            found[f"CNNClassifier({parameter}={value!r})"] = (
                "CNNClassifier",
                {parameter: value},
            )
    settings = {"rebalance": "retrain_head", "reset_head": True}
    found["CNNClassifier(rebalance='retrain_head', reset_head=True)"] = (
        "CNNClassifier",
        settings,
    )
    # The variants train 30 epochs (30 steps here) rather than the default
    # 500 steps: enough for every phase to run, at a fifteenth of the time.
    for _, settings in found.values():
        if settings:
            settings["n_epochs"] = 30
    return found


def digest(key):
    """md5 of what configuration ``key`` gives with random_state=0."""
    import torch

    import gansampler

    torch.set_num_threads(1)
    name, settings = configurations()[key]
    X, y = data()
    if name == "ResampledClassifier":
        # It has no random_state of its own: its default parts, seeded.
        settings = {
            "classifier": gansampler.CNNClassifier(random_state=0),
            "sampler": gansampler.SuperpixelSampler(random_state=0),
        }
    else:
        settings = {"random_state": 0, **settings}
    estimator = getattr(gansampler, name)(**settings)
    with warnings.catch_warnings():
        # The defaults warn that 16 images are few; the pins are the bits.
        warnings.simplefilter("ignore")
        if hasattr(estimator, "predict_proba"):
            return md5(estimator.fit(X, y).predict_proba(X))
        return md5(*estimator.fit_resample(X, y))


if __name__ == "__main__":
    keys = [k for k in sys.argv[1:] if k != "--record"] or list(configurations())
    found = {key: digest(key) for key in keys}
    if "--record" in sys.argv:
        print(json.dumps({processor(): found}, indent=1))
    else:
        json.dump(found, sys.stdout, indent=1)
        print()
