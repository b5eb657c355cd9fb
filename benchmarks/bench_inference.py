"""What fixed inference chunks cost: predict_proba by chunk size.

Every inference in gansampler runs on chunks of exactly
``gansampler._torch.INFERENCE_CHUNK`` images, the last padded, so that an
image's result does not depend on the images predicted with it. A larger
chunk predicts large batches faster and single images slower. For each
network and chunk size this prints the median time of ``predict_proba`` on
1 image, on 7 and on 1,000 (random images; a fitted network's weights do not
change the time), over ``--repeats`` runs, with torch's default threads.
Chunk ``0`` is the code before fixed chunks: batches of up to 1,024, not
padded, whose results depended on the batch.

    python bench_inference.py --chunks 0 8 16 32 64 --repeats 3
"""

import argparse
import subprocess
import time
import warnings

import numpy as np
from _common import machine
from sklearn.exceptions import ConvergenceWarning

import gansampler._torch
from gansampler import CNNClassifier

NETWORKS = [("light", (28, 28)), ("resnet18", (64, 64))]
_padded = gansampler._torch.padded


def timed(method, X, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        method(X)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, nargs="+", default=[0, 8, 16, 32, 64])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"# {machine()}, commit {commit}, device cpu")
    rng = np.random.RandomState(0)
    print("network      size   chunk   1 image (s)  7 images (s)  1000 images (s)")
    for architecture, shape in NETWORKS:
        X = rng.randint(0, 256, size=(1000, *shape)).astype(np.uint8)
        y = np.arange(1000) % 2
        clf = CNNClassifier(architecture=architecture, n_epochs=1, random_state=0)
        with warnings.catch_warnings():
            # One epoch: the time of inference, not the fit, is measured.
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X[:64], y[:64])
        for chunk in args.chunks:
            gansampler._torch.INFERENCE_CHUNK = chunk or 1024
            gansampler._torch.padded = _padded if chunk else (lambda inputs: inputs)
            clf.predict_proba(X[:64])  # warm-up
            row = [timed(clf.predict_proba, X[:n], args.repeats) for n in (1, 7, 1000)]
            print(
                f"{architecture:<12} {shape[0]:>2}x{shape[1]:<3} {chunk:>5}   "
                + "  ".join(f"{t:>12.4f}" for t in row)
            )


if __name__ == "__main__":
    main()
