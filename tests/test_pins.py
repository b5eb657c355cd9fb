"""Every estimator's result at its defaults, held to the bit.

A change of the code that changes no result (a redesign) must leave these
digests as they are. A change that means to change a result updates its
digest in the same commit and says why there.
"""

import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from pins import BASELINE, ESTIMATORS

# Recorded with `python tests/pins.py` under BASELINE, torch 2.13.0+cpu.
PINS = {
    "CNNClassifier": "ecd11d8d61f5827e66f203afc76fdfce",
    "DCGANSampler": "37939ea781c68f3e4ccb00270d8a10ea",
    "FeatureGANSampler": "39a61a48e4b6bbf534eb6f20773519a9",
    "FeatureSMOTESampler": "698d5ce15a8ba9b358b7113e21c4730a",
    "InfoGANSampler": "21a3864890df0814fce8ef0a4a7843a2",
    "SuperpixelSampler": "e211ab1d968224ed2984f7527921cff7",
}
PINNED_ON = ("x86_64", "2.13.0+cpu")

# The bits belong to one build of torch on one instruction set: another
# build, or an arm64 machine, rounds otherwise with the same code.
pytestmark = pytest.mark.skipif(
    (platform.machine(), torch.__version__) != PINNED_ON,
    reason=f"the digests were recorded with torch {PINNED_ON[1]} on {PINNED_ON[0]}",
)


def run_pins(names):
    """Digests from a fresh process on the baseline kernels."""
    script = Path(__file__).with_name("pins.py")
    env = {**os.environ, **BASELINE}
    done = subprocess.run(
        [sys.executable, str(script), *names],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def test_every_estimator_is_pinned():
    assert sorted(PINS) == sorted(ESTIMATORS)


# The two pixel GANs take most of the time: one process each, so that the
# suite's two workers share them.
@pytest.mark.parametrize(
    "names",
    [
        ("DCGANSampler",),
        ("InfoGANSampler",),
        (
            "FeatureGANSampler",
            "FeatureSMOTESampler",
            "SuperpixelSampler",
            "CNNClassifier",
        ),
    ],
    ids=["dcgan", "infogan", "others"],
)
def test_defaults_give_the_pinned_result(names):
    found = run_pins(names)
    assert found == {name: PINS[name] for name in names}
