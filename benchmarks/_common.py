"""Helpers shared by the benchmarks: data paths, machine description, tables."""

import os
import platform
from datetime import date
from pathlib import Path

import numpy as np
import torch

import gansampler

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "pneumoniamnist.npz"


def data_path(cli_path=None):
    if cli_path:
        return Path(cli_path)
    if os.environ.get("GANSAMPLER_DATA"):
        return Path(os.environ["GANSAMPLER_DATA"]) / "pneumoniamnist.npz"
    return DEFAULT_DATA


def machine():
    return (
        f"{platform.machine()}, {os.cpu_count()} CPU cores, torch "
        f"{torch.__version__} ({torch.get_num_threads()} threads), "
        f"gansampler {gansampler.__version__}, {date.today().isoformat()}"
    )


def mean_std(values):
    values = np.asarray(values, dtype=float)
    return (
        f"{values.mean():.3f} +- {values.std(ddof=1) if len(values) > 1 else 0.0:.3f}"
    )


def provenance(device="cpu"):
    """What every result line records: the commit of the code, whether the
    tree was clean, and the device with its thread count (part of the noise)."""
    import subprocess

    def git(*args):
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "clean": git("status", "--porcelain", "--untracked-files=no") == "",
        "device": f"{device}-{torch.get_num_threads()}",
    }
