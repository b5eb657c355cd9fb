"""Show what SuperpixelSampler makes of PneumoniaMNIST chest X-rays.

One row of real pneumonia images, then one row per mode of augmented images
made from them. Needs the plot extra (matplotlib) and pneumoniamnist.npz
(``--data``, or the GANSAMPLER_DATA folder, or ~/.medmnist/).

    python examples/plot_superpixel_samples.py --data ../shared/data/pneumoniamnist.npz
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from gansampler import SuperpixelSampler  # noqa: E402
from gansampler.datasets import load_pneumoniamnist  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", default=None)
parser.add_argument("--out", default="superpixel_samples.png")
args = parser.parse_args()

X, y = load_pneumoniamnist("train", path=args.data)
n_show = 8
real = X[y == 1][:n_show]
# Two real classes: a pool of pneumonia images and as many normal ones.
X_small = np.concatenate([X[y == 0][:50], X[y == 1][:n_show]])
y_small = np.r_[np.zeros(50, int), np.ones(n_show, int)]

rows = [("real", real)]
for mode in ("geometric", "superpixel", "both"):
    sampler = SuperpixelSampler(
        mode=mode, random_state=0, sampling_strategy={1: 2 * n_show}
    )
    X_res, _ = sampler.fit_resample(X_small, y_small)
    rows.append((mode, X_res[len(X_small) :]))

fig, axes = plt.subplots(len(rows), n_show, figsize=(n_show * 1.2, len(rows) * 1.3))
for r, (name, images) in enumerate(rows):
    for c in range(n_show):
        ax = axes[r, c]
        ax.imshow(images[c], cmap="gray", vmin=0, vmax=255)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[r, 0].set_ylabel(name, fontsize=8)
fig.suptitle("SuperpixelSampler on PneumoniaMNIST (CC BY 4.0, MedMNIST v2)", fontsize=9)
fig.tight_layout()
fig.savefig(args.out, dpi=100)
print(f"wrote {args.out}")
