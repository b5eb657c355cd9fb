"""
Grid search over ways of handling imbalance
===========================================

Which handling of imbalance suits a data set is a hyper-parameter like any
other. Here the sampler step of an imbalanced-learn pipeline is searched
over: no resampling (``"passthrough"``), imbalanced-learn's
RandomOverSampler and SMOTE, and each gansampler sampler; a second grid
tries class weights without resampling. Every candidate is scored by
stratified cross-validation on the training images only, and the best one
is refitted and scored once on held-out images.

Digits 0 to 3, with 3 cut to 20 training images. About 10 minutes on a
2-core CPU: the three GAN samplers take most of it.
"""

# %%
# An imbalanced problem
# ---------------------
# Flat rows of 64 pixels: imbalanced-learn's own samplers take only 2-D X,
# and gansampler reads 64 columns back as 8 x 8 images.
import matplotlib.pyplot as plt
import numpy as np
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureGANSampler,
    FeatureSMOTESampler,
    InfoGANSampler,
    SuperpixelSampler,
)

X, y = load_digits(n_class=4, return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)
keep = (y_train != 3) | (np.cumsum(y_train == 3) <= 20)
X_train, y_train = X_train[keep], y_train[keep]
print("training images per class:", np.bincount(y_train))

# %%
# The search
# ----------
# One pipeline; the grid swaps its sampler step. ``"passthrough"`` is no
# resampling, and the second grid adds class weights to it.
pipe = Pipeline([("sampler", "passthrough"), ("cnn", CNNClassifier(random_state=0))])
samplers = [
    "passthrough",
    RandomOverSampler(random_state=0),
    SMOTE(random_state=0),
    SuperpixelSampler(random_state=0),
    FeatureSMOTESampler(random_state=0),
    DCGANSampler(random_state=0),
    InfoGANSampler(random_state=0),
    FeatureGANSampler(random_state=0),
]
param_grid = [
    {"sampler": samplers},
    {"sampler": ["passthrough"], "cnn__class_weight": ["balanced"]},
]
search = GridSearchCV(
    pipe,
    param_grid,
    scoring="balanced_accuracy",
    cv=StratifiedKFold(3, shuffle=True, random_state=0),
)
search.fit(X_train, y_train)


def name(params):
    sampler = params["sampler"]
    text = sampler if isinstance(sampler, str) else type(sampler).__name__
    return text + (" + class weights" if "cnn__class_weight" in params else "")


handling = np.array([name(p) for p in search.cv_results_["params"]])
mean = search.cv_results_["mean_test_score"]
std = search.cv_results_["std_test_score"]
order = np.argsort(mean)
for i in order[::-1]:
    print(f"{handling[i]:>36}  {mean[i]:.3f} +- {std[i]:.3f}")

# %%
# The cross-validated balanced accuracy of each candidate (mean and
# standard deviation over the 3 folds):
fig, ax = plt.subplots(figsize=(6, 4))
ax.barh(handling[order], mean[order], xerr=std[order], color="0.6")
ax.set_xlabel("balanced accuracy (3-fold cross-validation)")
ax.set_xlim(max(0.0, mean.min() - 0.1), 1.0)
fig.tight_layout()

# %%
# The winner, refitted on all training images, on the held-out half
# -----------------------------------------------------------------
# The held-out images played no part in the choice.
held_out = balanced_accuracy_score(y_test, search.predict(X_test))
print(f"best: {name(search.best_params_)}, held-out balanced accuracy {held_out:.3f}")
