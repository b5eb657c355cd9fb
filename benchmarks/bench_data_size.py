"""Defaults against training-set size (issue 11): does a default fit learn?

Part ``cnn``: ``CNNClassifier()`` with its defaults, and scikit-learn's
``MLPClassifier()`` beside it, on

- PneumoniaMNIST: balanced subsets of 50, 100, 200, 500 and 1,000 training
  images (half of each class, drawn with the run's seed) and the whole
  training set (4,708 images), scored on the official test set;
- digits: the study's part B split (50/50, seed 0) with 10, 20 and 50
  training images a class drawn with the run's seed, scored on the test half.

It records test balanced accuracy, how many distinct classes the model
predicts (one means it learned nothing), and the fit time.

Part ``gan``: each GAN sampler with its defaults on 100 digit images (10 a
class). A ``CNNClassifier()`` fitted on those real images classifies 100 new
images of each class; the rate at which they are assigned to their own class
says whether the generator learned the classes. Also the fit time.

Each finished run is appended to a JSON-lines file at once, and a rerun skips
what is there. Run by hand, one job at a time on an idle machine:

    python benchmarks/bench_data_size.py --part cnn --seeds 0 1 2
    python benchmarks/bench_data_size.py --part gan --seeds 0 1 2
    python benchmarks/bench_data_size.py --report

``--label`` names the code measured (``before``/``after`` a change); the
report puts the labels side by side.
"""

import argparse
import json
import subprocess
import time
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
from _common import RESULTS, data_path, machine, mean_std
from sklearn.metrics import balanced_accuracy_score
from sklearn.neural_network import MLPClassifier

from gansampler import CNNClassifier, DCGANSampler, FeatureGANSampler, InfoGANSampler
from gansampler.datasets import load_pneumoniamnist

PNEUMONIA_SIZES = (50, 100, 200, 500, 1000, "all")
DIGIT_SIZES = (10, 20, 50)  # images a class
GAN_SAMPLERS = {
    "dcgan": DCGANSampler,
    "infogan": InfoGANSampler,
    "featuregan": FeatureGANSampler,
}
N_GENERATED = 100  # new images a class in part gan


def commit():
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return out + ("-dirty" if dirty else "")


def digits_split():
    """The study's part B split: 50/50, stratified, seed 0."""
    from bench_study import part_b_split

    return part_b_split()


def per_class_subset(y, n_per_class, seed):
    rng = np.random.RandomState(seed)
    keep = [
        rng.choice(np.flatnonzero(y == label), n_per_class, replace=False)
        for label in np.unique(y)
    ]
    return np.sort(np.concatenate(keep))


def cnn_tasks(path, seeds):
    X_train, y_train = load_pneumoniamnist("train", path)
    X_test, y_test = load_pneumoniamnist("test", path)
    for size in PNEUMONIA_SIZES:
        for seed in seeds:
            if size == "all":
                # The whole set draws nothing; the seed only seeds the fit.
                keep = np.arange(len(y_train))
            else:
                keep = per_class_subset(y_train, size // 2, seed)
            yield (
                "pneumonia",
                size,
                seed,
                X_train[keep],
                y_train[keep],
                X_test,
                y_test,
            )
    Xd_train, Xd_test, yd_train, yd_test = digits_split()
    for size in DIGIT_SIZES:
        for seed in seeds:
            keep = per_class_subset(yd_train, size, seed)
            yield (
                "digits",
                size,
                seed,
                Xd_train[keep],
                yd_train[keep],
                Xd_test,
                yd_test,
            )


def fit_and_score(model, X, y, X_test, y_test):
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    fit_s = time.perf_counter() - start
    pred = model.predict(X_test)
    return {
        "balanced_accuracy": balanced_accuracy_score(y_test, pred),
        "n_predicted_classes": int(len(np.unique(pred))),
        "fit_s": fit_s,
        "warnings": sorted({type(w.message).__name__ for w in caught}),
    }


def run_cnn(args, out, done):
    for data, size, seed, X, y, X_test, y_test in cnn_tasks(
        data_path(args.data), args.seeds
    ):
        for model_name in ("cnn", "mlp"):
            key = (args.label, "cnn", data, str(size), seed, model_name)
            if key in done:
                continue
            if model_name == "cnn":
                row = fit_and_score(
                    CNNClassifier(random_state=seed), X, y, X_test, y_test
                )
            else:
                # MLPClassifier takes rows of values near [0, 1]: pixels over
                # their maximum (255, or 16 for digits).
                top = 16.0 if data == "digits" else 255.0
                row = fit_and_score(
                    MLPClassifier(random_state=seed),
                    X.reshape(len(X), -1) / top,
                    y,
                    X_test.reshape(len(X_test), -1) / top,
                    y_test,
                )
            write(out, key, row, n_train=int(len(y)))


def run_gan(args, out, done):
    X_train, _, y_train, _ = digits_split()
    for seed in args.seeds:
        keep = per_class_subset(y_train, 10, seed)
        X, y = X_train[keep], y_train[keep]
        judge = CNNClassifier(random_state=seed).fit(X, y)
        for name, cls in GAN_SAMPLERS.items():
            key = (args.label, "gan", "digits", "10", seed, name)
            if key in done:
                continue
            sampler = cls(random_state=seed)
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                sampler.fit(X, y)
            fit_s = time.perf_counter() - start
            rates = []
            for label in sampler.classes_:
                made = sampler.sample(N_GENERATED, label, random_state=seed)
                rates.append(float(np.mean(judge.predict(made) == label)))
            row = {
                "own_class_rate": float(np.mean(rates)),
                "worst_class_rate": float(np.min(rates)),
                "fit_s": fit_s,
                "n_iter": int(sampler.n_iter_),
                "warnings": sorted({type(w.message).__name__ for w in caught}),
            }
            write(out, key, row, n_train=int(len(y)))


def write(out, key, row, **extra):
    label, part, data, size, seed, model = key
    record = {
        "label": label,
        "part": part,
        "data": data,
        "size": size,
        "seed": seed,
        "model": model,
        **extra,
        **row,
        "commit": commit(),
    }
    with open(out, "a") as f:
        f.write(json.dumps(record) + "\n")
    print(json.dumps(record), flush=True)


def load(out):
    if not out.exists():
        return []
    with open(out) as f:
        return [json.loads(line) for line in f]


def report(rows):
    groups = defaultdict(list)
    for r in rows:
        groups[(r["part"], r["data"], r["size"], r["model"], r["label"])].append(r)
    labels = sorted({r["label"] for r in rows})
    print("| part | data | size | model | " + " | ".join(labels) + " |")
    print("|---|---|---|---|" + "---|" * len(labels))
    for part, data, size, model in sorted(
        {k[:4] for k in groups}, key=lambda k: (k[0], k[1], _size_key(k[2]), k[3])
    ):
        cells = []
        for label in labels:
            rs = groups.get((part, data, size, model, label), [])
            if not rs:
                cells.append("")
            elif part == "cnn":
                single = sum(r["n_predicted_classes"] == 1 for r in rs)
                cells.append(
                    f"{mean_std([r['balanced_accuracy'] for r in rs])}, "
                    f"{mean_std([r['fit_s'] for r in rs])} s"
                    + (f", {single}/{len(rs)} one class" if single else "")
                )
            else:
                cells.append(
                    f"{mean_std([r['own_class_rate'] for r in rs])} "
                    f"(worst class {mean_std([r['worst_class_rate'] for r in rs])}), "
                    f"{mean_std([r['fit_s'] for r in rs])} s"
                )
        print(f"| {part} | {data} | {size} | {model} | " + " | ".join(cells) + " |")


def _size_key(size):
    return float("inf") if size == "all" else int(size)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["cnn", "gan"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--label", default="after")
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument("--out", default=str(RESULTS / "data_size.jsonl"))
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    rows = load(out)
    if args.report:
        report(rows)
        return
    done = {
        (r["label"], r["part"], r["data"], r["size"], r["seed"], r["model"])
        for r in rows
    }
    print(f"# {machine()} -> {out}", flush=True)
    if args.part == "cnn":
        run_cnn(args, out, done)
    else:
        run_gan(args, out, done)


if __name__ == "__main__":
    main()
