"""Cheaper ways to a better ranking: test-time augmentation, seeds averaged,
snapshots of one fit, on part A of the study (../shared/STUDY.md).

For each seed, ``--members`` fits of ``CNNClassifier()`` on the seed's
subsample (the first with ``random_state=seed``, as the study's ``none``;
the others with ``seed + 1000 * k``). Each row is one way of predicting:

- ``single``: the first fit, as the study scores it;
- ``tta_flip``, ``tta_shift``, ``tta_flip_shift``: its probabilities
  averaged over left-right flips, over shifts of 2 pixels (4 directions and
  none), or both: no extra fit;
- ``seeds<k>``: the average of the first ``k`` fits (``k`` fits);
- ``seeds<k>+tta_flip``;
- ``snapshots3``: the first fit's weights after 60%, 80% and 100% of its
  epochs, their probabilities averaged (one fit, along its cosine schedule);
- ``bagging<k>``: scikit-learn's ``BaggingClassifier`` of ``k`` members
  (``k`` = ``--members``), each a ``CNNClassifier()`` fitted on a bootstrap
  sample of the seed's subsample, on flat rows with ``image_shape``
  (``random_state=seed``; ``k`` fits).

``--bagging-only`` fits the bagging rows alone (the other rows of the same
seeds are in an earlier file; the first fit is the study's ``none``).

Run from ``benchmarks/``::

    python bench_ensembles.py --split val --n-minority 25 --seeds 0 1
    python bench_ensembles.py --split val --n-minority 25 --seeds 0 1 --bagging-only
"""

import argparse
import copy
import json
import time
from pathlib import Path

import numpy as np
from _common import RESULTS, data_path, machine, provenance
from bench_study import part_a_data
from sklearn.ensemble import BaggingClassifier
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from gansampler import CNNClassifier
from gansampler.datasets import load_pneumoniamnist
from gansampler.neural_network import _loop

SNAPSHOTS = (0.6, 0.8, 1.0)


def shifted(X, dy, dx):
    """Images moved by (dy, dx) pixels, the uncovered border black."""
    out = np.zeros_like(X)
    h, w = X.shape[1:3]
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = X[
        :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def views(X, flip, shift):
    moves = [(0, 0)] + ([(2, 0), (-2, 0), (0, 2), (0, -2)] if shift else [])
    out = [shifted(X, dy, dx) for dy, dx in moves]
    if flip:
        out += [v[:, :, ::-1] for v in out]
    return out


def averaged(models, X, flip=False, shift=False):
    return np.mean(
        [m.predict_proba(v)[:, 1] for m in models for v in views(X, flip, shift)],
        axis=0,
    )


def fit_with_snapshots(seed, X, y):
    """A fit that keeps copies of its weights at the SNAPSHOTS shares of its
    epochs (the loop is wrapped here, in the benchmark only)."""
    kept = []
    original = _loop.Loop.run

    def run(self, plan, n_epochs, history, **kwargs):
        original_epoch = self.epoch

        def epoch(plan, index):
            record = original_epoch(plan, index)
            if any(index + 1 == round(s * n_epochs) for s in SNAPSHOTS):
                kept.append(copy.deepcopy(self.module.state_dict()))
            return record

        self.epoch = epoch
        return original(self, plan, n_epochs, history, **kwargs)

    _loop.Loop.run = run
    try:
        clf = CNNClassifier(random_state=seed).fit(X, y)
    finally:
        _loop.Loop.run = original
    snapshots = []
    for state in kept:
        snap = copy.deepcopy(clf)
        snap.module_.load_state_dict(state)
        snap.module_.cpu().eval()
        snapshots.append(snap)
    return clf, snapshots


def ways_of_one_fit(seed, X, y, X_eval, n_members):
    """{way: (probabilities, fits, seconds)} for the single fit, test-time
    augmentation, snapshots and seeds averaged; the seconds are the first
    fit's for every way."""
    start = time.perf_counter()
    first, snapshots = fit_with_snapshots(seed, X, y)
    fit_s = time.perf_counter() - start
    members = [first] + [
        CNNClassifier(random_state=seed + 1000 * k).fit(X, y)
        for k in range(1, n_members)
    ]
    scores = {
        "single": (averaged([first], X_eval), 1),
        "tta_flip": (averaged([first], X_eval, flip=True), 1),
        "tta_shift": (averaged([first], X_eval, shift=True), 1),
        "tta_flip_shift": (averaged([first], X_eval, True, True), 1),
        "snapshots3": (averaged(snapshots, X_eval), 1),
    }
    for k in range(2, n_members + 1):
        scores[f"seeds{k}"] = (averaged(members[:k], X_eval), k)
        scores[f"seeds{k}+tta_flip"] = (averaged(members[:k], X_eval, flip=True), k)
    return {way: (*score, fit_s) for way, score in scores.items()}


def bagging(seed, X, y, X_eval, n_members):
    """{way: (probabilities, fits, seconds)} of BaggingClassifier."""
    # BaggingClassifier's own validation takes 2-D X only: flat rows, read
    # back as images through image_shape.
    bag = BaggingClassifier(
        CNNClassifier(image_shape=X.shape[1:]),
        n_estimators=n_members,
        random_state=seed,
    )
    start = time.perf_counter()
    bag.fit(X.reshape(len(X), -1), y)
    fit_s = time.perf_counter() - start
    proba = bag.predict_proba(X_eval.reshape(len(X_eval), -1))[:, 1]
    return {f"bagging{n_members}": (proba, n_members, fit_s)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--n-minority", type=int, nargs="+", default=[25])
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--split", choices=["test", "val"], default="val")
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--bagging-only", action="store_true", help="fit the bagging rows alone"
    )
    args = parser.parse_args()
    path = data_path(args.data)
    out = Path(args.out) if args.out else RESULTS / "ensembles_A.jsonl"
    X_eval, y_eval = load_pneumoniamnist(args.split, path)
    print(f"# {machine()} -> {out}", flush=True)
    for n in args.n_minority:
        for seed in args.seeds:
            X, y = part_a_data(path, n, seed)
            scores = {}
            if not args.bagging_only:
                scores.update(ways_of_one_fit(seed, X, y, X_eval, args.members))
            scores.update(bagging(seed, X, y, X_eval, args.members))
            for method, (proba, n_fits, fit_s) in scores.items():
                row = {
                    "part": "A",
                    "split": args.split,
                    "method": method,
                    "n_minority": n,
                    "seed": seed,
                    "n_fits": n_fits,
                    "fit_s": fit_s,
                    "roc_auc": roc_auc_score(y_eval, proba),
                    "balanced_accuracy": balanced_accuracy_score(
                        y_eval, (proba >= 0.5).astype(int)
                    ),
                    **provenance(),
                }
                with open(out, "a") as f:
                    f.write(json.dumps(row) + "\n")
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
