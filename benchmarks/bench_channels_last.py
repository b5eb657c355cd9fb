"""Is channels-last memory worth it on this machine? (issue 34)

Times short default-setting fits with the library's ``channels_last``
context as it is, and with it replaced by a no-op (the plain NCHW layout),
each fit in its own process, the two layouts alternating turn by turn.
Cases: CNNClassifier on 3,000 PneumoniaMNIST images at 28x28 (3 epochs) and
on 600 at 128x128 RGB (2 epochs); DCGANSampler on 220 images (20 minority)
at 64x64 and 128x128 RGB (4 epochs). Appends to
benchmarks/results/channels_last.jsonl; ``--report`` prints plain / cl per
turn. About 6 minutes a turn on 2 cores:

    python benchmarks/bench_channels_last.py --turns 2
    python benchmarks/bench_channels_last.py --report
"""

import argparse
import contextlib
import json
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from _common import RESULTS, data_path, machine, mean_std, provenance

OUT = RESULTS / "channels_last.jsonl"
CASES = ("cnn28", "cnn128", "gan64", "gan128")


def images(n, side):
    data = np.load(data_path())
    X, y = data["train_images"][:n], data["train_labels"].ravel()[:n]
    if side == 28:
        return X, y
    X = torch.tensor(X / 255.0, dtype=torch.float32)[:, None]
    X = F.interpolate(X, size=side, mode="bilinear").numpy()
    return np.repeat(X.transpose(0, 2, 3, 1), 3, axis=3), y


def fit(case, layout):
    from gansampler import CNNClassifier, DCGANSampler

    if layout == "plain":
        # Imported here only: so that another checkout without them (such as
        # b8f319b, run with PYTHONPATH) can time its own layout with "cl".
        import gansampler.neural_network._train as train
        import gansampler.over_sampling._gan.trainer as trainer

        @contextlib.contextmanager
        def plain(modules, data):
            yield data

        train.channels_last = trainer.channels_last = plain
    side = int(case[3:])
    if case.startswith("cnn"):
        X, y = images(3000 if side == 28 else 600, side)
        estimator = CNNClassifier(n_epochs=3 if side == 28 else 2)
    else:
        X, _ = images(220, side)
        y = np.r_[np.zeros(200, int), np.ones(20, int)]
        estimator = DCGANSampler(n_epochs=4)
    start = time.perf_counter()
    estimator.set_params(random_state=0).fit(X, y)
    return time.perf_counter() - start


def report():
    rows = [json.loads(line) for line in OUT.open()]
    print("| case | plain s | channels-last s | plain / channels-last per turn", end="")
    print(" | commit | device |")
    print("|---|---|---|---|---|---|")
    for case in CASES:
        got = {
            layout: [r for r in rows if r["case"] == case and r["layout"] == layout]
            for layout in ("plain", "cl")
        }
        n = min(len(got["plain"]), len(got["cl"]))
        if not n:
            continue
        plain = [r["seconds"] for r in got["plain"][-n:]]
        cl = [r["seconds"] for r in got["cl"][-n:]]
        ratio = np.array(plain) / np.array(cl)
        last = got["cl"][-1]
        print(
            f"| {case} | {mean_std(plain)} | {mean_std(cl)} | {mean_std(ratio)} "
            f"(n={n}) | {last['commit']} | {last['device']} |"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=CASES)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.report:
        return report()
    if args.one:
        print(json.dumps(fit(*args.one)))
        return
    for turn in range(args.turns):
        for case in args.cases:
            for layout in ("plain", "cl") if turn % 2 == 0 else ("cl", "plain"):
                done = subprocess.run(
                    [sys.executable, __file__, "--one", case, layout],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                row = {
                    "case": case,
                    "layout": layout,
                    "turn": turn,
                    "seconds": json.loads(done.stdout.strip().splitlines()[-1]),
                    **provenance(),
                    "machine": machine(),
                }
                with OUT.open("a") as out:
                    out.write(json.dumps(row) + "\n")
                print(row["case"], layout, f"{row['seconds']:.1f} s", flush=True)


if __name__ == "__main__":
    main()
