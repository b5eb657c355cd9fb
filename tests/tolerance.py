"""Results that can be compared across processors, within a tolerance.

A long fit amplifies a difference in the last bit (see ``pins.py``), but a
few training steps do not: CNNClassifier's probabilities after three steps,
at each ``loss``, and DCGANSampler's images after three steps (on 8x8 and
16x16 images: perceptrons and convolutions), agree to
about 1e-6 between torch's kernels for different instruction sets.
``tests/test_pins.py`` compares them with :data:`RECORDED` to ``TOLERANCE``
on every processor. ``python tests/tolerance.py`` prints them anew.
"""

import json
import sys
import warnings
from pathlib import Path

import numpy as np
from pins import data

RECORDED = Path(__file__).with_name("data") / "tolerance.json"
# Probabilities and pixels in [0, 1]; the kernels of other instruction
# sets differ by about 1e-6 here.
TOLERANCE = 1e-4


def cases():
    """``{key: (name, settings)}``: short fits, each of a few optimizer steps
    on the 16 images of ``pins.data`` (one step an epoch)."""
    short = {"n_epochs": 3, "batch_size": 16}
    found = {
        f"CNNClassifier(loss={loss!r})": ("CNNClassifier", {**short, "loss": loss})
        for loss in ("cross_entropy", "focal", "logit_adjusted", "ldam")
    }
    found["DCGANSampler"] = ("DCGANSampler", {**short, "n_filters": 8})
    # The same at 16x16 (each pixel repeated 2x2): the smallest images whose
    # GAN networks are convolutional, so that their kernels are compared too.
    found["DCGANSampler at 16x16"] = ("DCGANSampler", {**short, "n_filters": 8})
    return found


def result(key):
    """What case ``key`` gives, as float64: probabilities or new images."""
    import gansampler

    name, settings = cases()[key]
    X, y = data()
    X = X.astype(np.float32) / 255  # float in, float out: no rounding to uint8
    if key.endswith("at 16x16"):
        X = X.repeat(2, axis=1).repeat(2, axis=2)
    estimator = getattr(gansampler, name)(random_state=0, device="cpu", **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # three steps do not converge
        if hasattr(estimator, "predict_proba"):
            return estimator.fit(X, y).predict_proba(X).astype(np.float64)
        X_res, _ = estimator.fit_resample(X, y)
        return np.asarray(X_res[len(X) :], dtype=np.float64)


if __name__ == "__main__":
    found = {key: result(key).round(8).tolist() for key in cases()}
    json.dump(found, sys.stdout)
    print()
