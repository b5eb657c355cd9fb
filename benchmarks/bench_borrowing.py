"""Time of the samplers that borrow from the larger classes (issue 27).

On part A's data at ``n_minority`` pneumonia images (100 by default, with all
1214 normal ones, drawn with the seed), for each seed, one after the other:

- ``M2mSampler().fit_resample`` at its defaults, whose default classifier is
  fitted inside, and the translation alone: the same sampler given that
  classifier fitted, in a ``FrozenEstimator``;
- ``VarianceTransferSampler().fit_resample`` and
  ``FeatureSMOTESampler().fit_resample``, the time it is held to.

Each result line records the commit, the device and the thread count, and
an M2m line (``m2m``, ``m2m_translation``) the sampler's
``acceptance_rate_`` of pneumonia.

    cd benchmarks && python bench_borrowing.py --seeds 0 1 2
"""

import argparse
import json
import time
from pathlib import Path

from _common import RESULTS, data_path, machine, provenance
from bench_study import part_a_data
from sklearn.frozen import FrozenEstimator

from gansampler import FeatureSMOTESampler, M2mSampler, VarianceTransferSampler


def timed(sampler, X, y):
    """The fitted ``sampler`` and the seconds its ``fit_resample`` took."""
    start = time.perf_counter()
    sampler.fit_resample(X, y)
    return sampler, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-minority", type=int, default=100)
    parser.add_argument("--data", default=None, help="path to pneumoniamnist.npz")
    parser.add_argument("--out", default=str(RESULTS / "borrowing_time.jsonl"))
    args = parser.parse_args()
    out = Path(args.out)
    print(f"# {machine()} -> {out}", flush=True)
    for seed in args.seeds:
        X, y = part_a_data(data_path(args.data), args.n_minority, seed)
        m2m, seconds = timed(M2mSampler(random_state=seed), X, y)
        runs = {"m2m": (m2m, seconds)}
        frozen = FrozenEstimator(m2m.classifier_)
        runs["m2m_translation"] = timed(
            M2mSampler(classifier=frozen, random_state=seed), X, y
        )
        runs["variance_transfer"] = timed(
            VarianceTransferSampler(random_state=seed), X, y
        )
        runs["featuresmote"] = timed(FeatureSMOTESampler(random_state=seed), X, y)
        for method, (sampler, seconds) in runs.items():
            # A sampler that accepts or rejects its new images says how many
            # it accepted: here, of pneumonia (class 1).
            rate = getattr(sampler, "acceptance_rate_", None)
            row = {
                "method": method,
                "n_minority": args.n_minority,
                "seed": seed,
                "seconds": seconds,
                **({"acceptance_rate": rate[1]} if rate else {}),
                **provenance(),
            }
            with open(out, "a") as f:
                f.write(json.dumps(row) + "\n")
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
