"""Results held fixed: to the bit on the processor that recorded them, and
within a tolerance on every processor.

To the bit: every public estimator at its defaults, and CNNClassifier at
each ``loss`` and ``rebalance`` value (``pins.py``), as md5 digests in
``data/pins.json`` per processor. A change of the code that changes no result
(a redesign) must leave them as they are; a change that means to change a
result records them anew (``python tests/pins.py --record`` under
``pins.BASELINE``) in the same commit and says why there. Elsewhere these
tests skip, naming the processors that recorded digests: a long fit amplifies
the last bits in which processors differ.

Within a tolerance: a few training steps (``tolerance.py``), compared on
every processor.
"""

import fnmatch
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from pins import BASELINE, configurations, processor
from tolerance import RECORDED, TOLERANCE, cases, result

PINS = json.loads((Path(__file__).with_name("data") / "pins.json").read_text())


def recorded_here():
    """The digests recorded on this processor with this build of torch, and
    a reason when there are none."""
    here = processor()
    for pattern, entry in PINS.items():
        if fnmatch.fnmatchcase(here, pattern) and (
            (platform.machine(), torch.__version__)
            == (entry["machine"], entry["torch"])
        ):
            return entry["digests"], None
    recorded = "; ".join(
        f"{pattern} with torch {entry['torch']}" for pattern, entry in PINS.items()
    )
    return {}, (
        f"the digests were recorded on {recorded}; this is {here} with torch "
        f"{torch.__version__}, whose last bits differ"
    )


def run_pins(keys):
    """Digests from a fresh process on the baseline kernels."""
    script = Path(__file__).with_name("pins.py")
    done = subprocess.run(
        [sys.executable, str(script), *keys],
        env={**os.environ, **BASELINE},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_every_configuration_is_pinned():
    # The configurations come from the package's public API and the
    # constraints of CNNClassifier's loss and rebalance.
    newest = list(PINS.values())[-1]["digests"]
    assert sorted(newest) == sorted(configurations())
    for entry in PINS.values():
        assert set(entry["digests"]) <= set(configurations())


# One process per group, so that the suite's two workers share them; the
# pixel GANs take longest.
GROUPS = {
    "dcgan": ["DCGANSampler"],
    "infogan": ["InfoGANSampler"],
    "borrowing": ["M2mSampler", "VarianceTransferSampler"],
    "others": [
        "FeatureGANSampler",
        "FeatureSMOTESampler",
        "SuperpixelSampler",
        "CNNClassifier",
        "ResampledClassifier",
    ],
    "cnn_variants": [k for k in configurations() if k.startswith("CNNClassifier(")],
}


def test_the_groups_cover_every_configuration():
    assert sorted(sum(GROUPS.values(), [])) == sorted(configurations())


@pytest.mark.parametrize("group", list(GROUPS))
def test_defaults_give_the_pinned_result(group):
    digests, reason = recorded_here()
    keys = [k for k in GROUPS[group] if k in digests]
    if not keys:
        pytest.skip(reason or f"nothing of {group} was recorded on {processor()}")
    assert run_pins(keys) == {k: digests[k] for k in keys}


RESULTS = json.loads(RECORDED.read_text())


@pytest.mark.parametrize("key", list(cases()))
def test_a_few_steps_agree_on_every_processor(key):
    # Recorded on the AMD EPYC of data/pins.json with its default (AVX2)
    # kernels; the baseline kernels give the same to 1e-7.
    np.testing.assert_allclose(result(key), RESULTS[key], rtol=0, atol=TOLERANCE)
