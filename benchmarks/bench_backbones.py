"""ResNet-18 from scratch beside the "light" default on PneumoniaMNIST.

Each configuration fits ``CNNClassifier`` with its defaults apart from the
architecture and ``max_side`` on the full training set (4,708 images), and
scores it on the test split: accuracy at threshold 0.5, balanced accuracy,
ROC AUC, and the fit time. At 64x64 the images are upsampled bilinearly and
``max_side=None`` keeps them at that size (64 is the default cap, so it is
the same there; ``None`` says so). A configuration can name one of the
study's classifier-only methods after a ``+`` (``light@64+ldam_drw``): the
classifier then takes that method's settings (its loss, its re-balancing),
as ``gansampler study`` gives them. Nothing is chosen on the test split.
Each finished run is appended to ``results/backbones.jsonl`` at once, with
its commit and device; a restart skips the runs there.

    python bench_backbones.py --seeds 0 1 2
    python bench_backbones.py --seeds 0 1 2 --configs light@64+ldam_drw
    python bench_backbones.py --report
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from _common import RESULTS, data_path, machine, mean_std, provenance
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

from gansampler import CNNClassifier
from gansampler._methods import LOSSES
from gansampler._registry import METHODS
from gansampler.datasets import load_pneumoniamnist

CONFIGS = {
    "light@28": ("light", 28),
    "resnet18@28": ("resnet18", 28),
    "light@64": ("light", 64),
    "resnet18@64": ("resnet18", 64),
}
OUT = RESULTS / "backbones.jsonl"


def configuration(name):
    """(architecture, side, classifier settings) of a configuration's name,
    ``<architecture>@<side>[+<classifier-only method>]``."""
    base, _, method = name.partition("+")
    if base not in CONFIGS or (method and method not in LOSSES):
        raise SystemExit(
            f"unknown configuration {name!r}: one of {list(CONFIGS)}, "
            f"optionally +one of {list(LOSSES)}"
        )
    architecture, side = CONFIGS[base]
    return architecture, side, METHODS[method].classifier if method else {}


def upsample(X, side):
    if X.shape[1] == side:
        return X
    images = torch.from_numpy(X.astype(np.float32))[:, None]
    images = F.interpolate(
        images, size=(side, side), mode="bilinear", align_corners=False
    )
    return images[:, 0].round().clamp(0, 255).to(torch.uint8).numpy()


def done(out):
    if not out.exists():
        return set()
    return {(r["config"], r["seed"]) for r in map(json.loads, out.open())}


def report(out):
    rows = [json.loads(line) for line in out.open()]
    print("| configuration | accuracy | balanced accuracy | ROC AUC | fit s | seeds |")
    print("|---|---|---|---|---|---|")
    names = list(CONFIGS) + sorted({r["config"] for r in rows} - set(CONFIGS))
    for config in names:
        runs = [r for r in rows if r["config"] == config]
        if runs:
            cells = [mean_std([r[k] for r in runs]) for k in ("acc", "bacc", "auc")]
            fit = mean_std([r["fit_s"] for r in runs])
            print(f"| {config} | {' | '.join(cells)} | {fit} | {len(runs)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--configs",
        nargs="+",
        default=list(CONFIGS),
        help="<architecture>@<side>[+<method>], such as light@64+ldam_drw",
    )
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument(
        "--out", default=None, help="JSON-lines file (default: results/backbones.jsonl)"
    )
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    out = Path(args.out) if args.out else OUT
    if args.report:
        return report(out)
    settings = {name: configuration(name) for name in args.configs}
    path = data_path(args.data)
    X, y = load_pneumoniamnist("train", path)
    X_test, y_test = load_pneumoniamnist("test", path)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(f"# {machine()} -> {out}", flush=True)
    finished = done(out)
    for seed in args.seeds:
        for config in args.configs:
            if (config, seed) in finished:
                continue
            architecture, side, method = settings[config]
            clf = CNNClassifier(
                architecture=architecture, max_side=None, random_state=seed, **method
            )
            start = time.perf_counter()
            clf.fit(upsample(X, side), y)
            fit_s = time.perf_counter() - start
            proba = clf.predict_proba(upsample(X_test, side))[:, 1]
            predicted = (proba >= 0.5).astype(int)
            row = {
                "config": config,
                "seed": seed,
                "acc": accuracy_score(y_test, predicted),
                "bacc": balanced_accuracy_score(y_test, predicted),
                "auc": roc_auc_score(y_test, proba),
                "fit_s": fit_s,
                "machine": machine(),
                **provenance(),
            }
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
