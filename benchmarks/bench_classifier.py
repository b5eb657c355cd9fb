"""CNNClassifier on the full PneumoniaMNIST training set, beside a plain torch loop.

Measures, over seeds, the test accuracy (threshold 0.5), ROC AUC, balanced
accuracy and fit time of ``CNNClassifier()`` with its defaults, and the fit
time of the same network, optimiser and schedule in a hand-written torch loop
(the wrapper's overhead). Nothing is chosen on the test split.

Run by hand (about 10 minutes on a 2-core CPU):

    python benchmarks/bench_classifier.py --seeds 0 1 2
"""

import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from _common import data_path, machine, mean_std
from sklearn.metrics import accuracy_score, balanced_accuracy_score, roc_auc_score

from gansampler import CNNClassifier
from gansampler.datasets import load_pneumoniamnist
from gansampler.neural_network._architectures import build_network


def plain_torch_fit(X, y, seed, n_epochs=15, batch_size=128, lr=1e-3):
    """The same network and schedule as CNNClassifier's defaults, by hand."""
    start = time.perf_counter()
    images = torch.from_numpy(X.astype(np.float32)[:, None] / 255.0)
    targets = torch.from_numpy(y.astype(np.int64))
    mean = images.mean(dim=(0, 2, 3))
    std = images.std(dim=(0, 2, 3))
    torch.manual_seed(seed)
    module = build_network("light", 1, 2, 28, 28, mean, std)
    optimizer = torch.optim.Adam(module.parameters(), lr=lr)
    steps = n_epochs * math.ceil(len(y) / batch_size)
    step = 0
    module.train()
    for _ in range(n_epochs):
        for batch in torch.randperm(len(y)).split(batch_size):
            for group in optimizer.param_groups:
                group["lr"] = 0.5 * lr * (1 + math.cos(math.pi * step / steps))
            loss = F.cross_entropy(module(images[batch]), targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument(
        "--augment", action="store_true", help="also measure augment=True"
    )
    args = parser.parse_args()
    path = data_path(args.data)
    X, y = load_pneumoniamnist("train", path)
    X_val, y_val = load_pneumoniamnist("val", path)
    X_test, y_test = load_pneumoniamnist("test", path)

    configs = {"defaults": {}}
    if args.augment:
        configs["augment=True"] = {"augment": True}
    print(f"# {machine()}")
    for name, params in configs.items():
        rows = {k: [] for k in ("acc", "auc", "bacc", "val_auc", "fit_s")}
        for seed in args.seeds:
            clf = CNNClassifier(random_state=seed, **params)
            start = time.perf_counter()
            clf.fit(X, y)
            rows["fit_s"].append(time.perf_counter() - start)
            proba = clf.predict_proba(X_test)[:, 1]
            pred = (proba >= 0.5).astype(int)
            rows["acc"].append(accuracy_score(y_test, pred))
            rows["auc"].append(roc_auc_score(y_test, proba))
            rows["bacc"].append(balanced_accuracy_score(y_test, pred))
            rows["val_auc"].append(roc_auc_score(y_val, clf.predict_proba(X_val)[:, 1]))
            print(
                f"{name} seed={seed}: "
                + ", ".join(f"{k}={v[-1]:.3f}" for k, v in rows.items())
            )
        print(
            f"| CNNClassifier({name}) | "
            + " | ".join(mean_std(v) for v in rows.values())
            + " |"
        )

    plain = [plain_torch_fit(X, y, seed) for seed in args.seeds]
    print(f"| plain torch loop, same network | fit_s {mean_std(plain)} |")


if __name__ == "__main__":
    main()
