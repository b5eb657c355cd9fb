"""ResNet-18 from scratch beside the "light" default on PneumoniaMNIST.

Each configuration fits ``CNNClassifier`` with its defaults apart from the
architecture and ``max_side`` on the full training set (4,708 images), and
scores it on the test split: accuracy at threshold 0.5, balanced accuracy,
ROC AUC, and the fit time. At 64x64 the images are upsampled bilinearly and
``max_side=None`` keeps them at that size (64 is the default cap, so it is
the same there; ``None`` says so). Nothing is chosen on the test split. Each
finished run is appended to ``results/backbones.jsonl`` at once; a restart
skips the runs there.

    python bench_backbones.py --seeds 0 1 2
    python bench_backbones.py --report
"""

import argparse
import json
import time

import numpy as np
import torch
import torch.nn.functional as F
from _common import RESULTS, data_path, machine, mean_std
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

from gansampler import CNNClassifier
from gansampler.datasets import load_pneumoniamnist

CONFIGS = {
    "light@28": ("light", 28),
    "resnet18@28": ("resnet18", 28),
    "light@64": ("light", 64),
    "resnet18@64": ("resnet18", 64),
}
OUT = RESULTS / "backbones.jsonl"


def upsample(X, side):
    if X.shape[1] == side:
        return X
    images = torch.from_numpy(X.astype(np.float32))[:, None]
    images = F.interpolate(
        images, size=(side, side), mode="bilinear", align_corners=False
    )
    return images[:, 0].round().clamp(0, 255).to(torch.uint8).numpy()


def done():
    if not OUT.exists():
        return set()
    return {(r["config"], r["seed"]) for r in map(json.loads, OUT.open())}


def report():
    rows = [json.loads(line) for line in OUT.open()]
    print("| configuration | accuracy | balanced accuracy | ROC AUC | fit s | seeds |")
    print("|---|---|---|---|---|---|")
    for config in CONFIGS:
        runs = [r for r in rows if r["config"] == config]
        if runs:
            cells = [mean_std([r[k] for r in runs]) for k in ("acc", "bacc", "auc")]
            fit = mean_std([r["fit_s"] for r in runs])
            print(f"| {config} | {' | '.join(cells)} | {fit} | {len(runs)} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report:
        return report()
    path = data_path(args.data)
    X, y = load_pneumoniamnist("train", path)
    X_test, y_test = load_pneumoniamnist("test", path)
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(f"# {machine()} -> {OUT}", flush=True)
    finished = done()
    for seed in args.seeds:
        for config in args.configs:
            if (config, seed) in finished:
                continue
            architecture, side = CONFIGS[config]
            clf = CNNClassifier(
                architecture=architecture, max_side=None, random_state=seed
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
            }
            with OUT.open("a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
