"""The md5 of every sampler's ``fit_resample`` and of CNNClassifier's
``predict_proba``, at their defaults, on a fixed small data set and seed.

``tests/test_pins.py`` runs this in a fresh process on torch's baseline
kernels (``BASELINE``), so that the bits depend on the code and the torch
build, not on the processor: a machine with AVX-512 and one with AVX2 pick
other kernels and round differently (issue 24). Run it by hand to see the
digests: ``python tests/pins.py``.
"""

import hashlib
import json
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


ESTIMATORS = (
    "CNNClassifier",
    "DCGANSampler",
    "FeatureGANSampler",
    "FeatureSMOTESampler",
    "InfoGANSampler",
    "SuperpixelSampler",
)


def digest(name):
    """md5 of what estimator ``name`` gives at its defaults with random_state=0:
    ``fit_resample``'s images and labels, or the classifier's ``predict_proba``
    of its training images."""
    import torch

    import gansampler

    torch.set_num_threads(1)
    X, y = data()
    estimator = getattr(gansampler, name)(random_state=0)
    with warnings.catch_warnings():
        # The defaults warn that 16 images are few; the pins are the bits.
        warnings.simplefilter("ignore")
        if name == "CNNClassifier":
            return md5(estimator.fit(X, y).predict_proba(X))
        return md5(*estimator.fit_resample(X, y))


if __name__ == "__main__":
    names = sys.argv[1:] or ESTIMATORS
    json.dump({name: digest(name) for name in names}, sys.stdout, indent=1)
    print()
