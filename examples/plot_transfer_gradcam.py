"""
Fine-tune a ResNet-18 on chest X-rays and see where it looks
============================================================

A ResNet-18 learns to tell pneumonia from normal chest X-rays
(PneumoniaMNIST, 28x28), and Grad-CAM shows which parts of each image its
decision rests on, for right and for wrong predictions.

With ImageNet weights the network starts from what it learned there: give
the path of torchvision's ``resnet18-f37072fd.pth`` in the environment
variable ``RESNET18_WEIGHTS``, or keep the file where torchvision puts it
(``~/.cache/torch/hub/checkpoints/``). Without it the network trains from
scratch; the example says which. It reads ``pneumoniamnist.npz`` where
:func:`gansampler.datasets.load_pneumoniamnist` looks for it (the folder in
``GANSAMPLER_DATA``, or ``~/.medmnist/``). A few minutes on a 2-core CPU.
"""

# %%
# Data and weights
# ----------------
import os
from pathlib import Path

import numpy as np
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

from gansampler import CNNClassifier
from gansampler.datasets import load_pneumoniamnist
from gansampler.inspection import grad_cam
from gansampler.plotting import plot_cam

X_train, y_train = load_pneumoniamnist("train")
X_test, y_test = load_pneumoniamnist("test")
# 1,000 training images keep the fit to minutes on a CPU.
rng = np.random.RandomState(0)
keep = np.sort(rng.choice(len(y_train), 1000, replace=False))
X_train, y_train = X_train[keep], y_train[keep]
print("training images per class:", np.bincount(y_train))

cache = (
    Path.home() / ".cache" / "torch" / "hub" / "checkpoints" / "resnet18-f37072fd.pth"
)
weights = os.environ.get("RESNET18_WEIGHTS") or (str(cache) if cache.exists() else None)
print(
    "ResNet-18",
    f"from the ImageNet weights in {weights}" if weights else "from scratch",
)

# %%
# Fine-tuning
# -----------
# With pretrained weights the stem and the first two stages stay as they
# were learned on ImageNet (batch-norm statistics included) and the last two
# stages and the new head train; from scratch, everything trains. The
# images are classified at their own 28x28 pixels.
clf = CNNClassifier(
    architecture="resnet18",
    weights=weights,
    trainable_stages=2 if weights else "all",
    class_weight="balanced",
    random_state=0,
)
clf.fit(X_train, y_train)
proba = clf.predict_proba(X_test)[:, 1]
predicted = clf.predict(X_test)
print(f"test balanced accuracy {balanced_accuracy_score(y_test, predicted):.3f}")
print(f"test ROC AUC {roc_auc_score(y_test, proba):.3f}")

# %%
# Where the network looks
# -----------------------
# At 28x28 pixels ResNet-18's last stage is a single position, so its map
# would be flat (``grad_cam`` refuses it), and ``layer3`` has 2x2;
# ``layer2``, at 4x4 positions, shows more of the layout. Eight right and
# eight wrong predictions, each map for the predicted class.
right = np.flatnonzero(predicted == y_test)[:8]
wrong = np.flatnonzero(predicted != y_test)[:8]
shown = np.concatenate([right, wrong])
maps = grad_cam(clf, X_test[shown], layer="features.layer2")
names = {0: "normal", 1: "pneumonia"}
titles = [f"{'right' if i in right else 'WRONG'}: {names[predicted[i]]}" for i in shown]
fig = plot_cam(X_test[shown], maps, titles=titles, n_cols=8)
