"""
What SuperpixelSampler makes of chest X-rays
============================================

One row of real pneumonia images from PneumoniaMNIST, then one row per mode
of SuperpixelSampler (geometric, SLIC superpixel, both) of images made from
them. Needs the plot extra (matplotlib) and ``pneumoniamnist.npz``, found as
:func:`gansampler.datasets.load_pneumoniamnist` looks for it: the folder in
the ``GANSAMPLER_DATA`` environment variable, or ``~/.medmnist/``.
"""

import matplotlib.pyplot as plt
import numpy as np

from gansampler import SuperpixelSampler
from gansampler.datasets import load_pneumoniamnist

X, y = load_pneumoniamnist("train")
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
