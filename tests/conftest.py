from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

# The tests' networks are tiny, and on tiny operations the synchronisation of
# torch's intra-op threads costs more than the work: one thread runs the
# suite about twice as fast. (The estimators never set it: it is the
# process's choice, and results within one process do not depend on it.)
torch.set_num_threads(1)

PNEUMONIA_PATH = (
    Path(__file__).resolve().parents[2] / "shared" / "data" / "pneumoniamnist.npz"
)


@pytest.fixture(scope="session")
def digits():
    """Digits 0-3 as (n, 8, 8) float images and integer labels."""
    X, y = load_digits(n_class=4, return_X_y=True)
    return X.reshape(-1, 8, 8), y


@pytest.fixture(scope="session")
def digits_uint8(digits):
    X, y = digits
    return (X * 255 / 16).round().astype(np.uint8), y


@pytest.fixture(scope="session")
def digits_imbalanced(digits_uint8):
    """Digits 0 and 1 as uint8 images, with a fifth of the 1s: about 5:1."""
    X, y = digits_uint8
    keep = (y < 2) & ((y == 0) | (np.arange(len(y)) % 5 == 0))
    return X[keep], y[keep]


@pytest.fixture(scope="session")
def pneumonia_path():
    if not PNEUMONIA_PATH.is_file():
        pytest.skip(f"{PNEUMONIA_PATH} is not here (it lives in ../shared/data)")
    return PNEUMONIA_PATH
