"""Choose the GAN samplers' defaults on the validation split.

Part A's training data at ``n_minority`` pneumonia images (100, seed 0);
each setting of DCGANSampler is fitted and scored by the Frechet distance
between the validation split's pneumonia images and as many generated ones,
in the feature space of part C's embedder. Never the test split.

    python benchmarks/bench_gan_settings.py
"""

import argparse
import json
import time

from _common import RESULTS, data_path, machine
from bench_quality import embedder
from bench_study import part_a_data

from gansampler import DCGANSampler
from gansampler.datasets import load_pneumoniamnist
from gansampler.metrics import frechet_distance

# Named as the parameters are now; the rows of these settings in
# docs/benchmarks_archive.md keep their former names, loss and augment (issue 35).
SETTINGS = [
    {"adversarial_loss": "bce", "spectral_norm": False, "diff_augment": False},
    {"adversarial_loss": "hinge", "spectral_norm": True, "diff_augment": True},
    {"adversarial_loss": "hinge", "spectral_norm": True, "diff_augment": False},
    {
        "adversarial_loss": "hinge",
        "spectral_norm": True,
        "diff_augment": True,
        "learning_rate": 1e-3,
    },
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-minority", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    print(f"# {machine()}", flush=True)
    path = data_path()
    model = embedder(path)
    X_val, y_val = load_pneumoniamnist("val", path)
    real = X_val[y_val == 1]
    X, y = part_a_data(path, args.n_minority, args.seed)
    print(
        json.dumps(
            {
                "setting": "real training images",
                "fd_val": frechet_distance(real, X[y == 1], model),
            }
        ),
        flush=True,
    )
    for setting in SETTINGS:
        start = time.perf_counter()
        sampler = DCGANSampler(random_state=args.seed, **setting).fit(X, y)
        seconds = time.perf_counter() - start
        made = sampler.sample(len(real), 1, random_state=args.seed)
        row = {
            "setting": setting,
            "fit_s": seconds,
            "fd_val": frechet_distance(real, made, model),
        }
        with open(RESULTS / "gan_settings.jsonl", "a") as f:
            f.write(json.dumps(row) + "\n")
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
