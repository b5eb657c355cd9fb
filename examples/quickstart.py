"""
Quickstart: an imbalanced digits problem, handled seven ways
============================================================

Two digit classes keep all their images and the eight others keep a tenth
(part B of the project's imbalance study). The same CNNClassifier, with its
defaults, learns with no handling, with class weights, with the
logit-adjusted loss (the best mean on this part over five seeds, level with
class weights seed by seed; see the benchmarks), and after four oversamplers
in imbalanced-learn pipelines: imbalanced-learn's RandomOverSampler and
gansampler's SuperpixelSampler, FeatureSMOTESampler and DCGANSampler. Each
is scored on an untouched, balanced test half, and one table is printed.
InfoGANSampler and FeatureGANSampler train for longer than this two-minute
tour allows; ``gansampler study --methods infogan featuregan`` compares
them, and runs the same comparison over seeds on your own images.
"""

import time

import numpy as np
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from gansampler import (
    CNNClassifier,
    DCGANSampler,
    FeatureSMOTESampler,
    SuperpixelSampler,
)

# Flat rows of 64 pixels: imbalanced-learn's own samplers take only 2-D X,
# and gansampler reads 64 columns back as 8 x 8 images.
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.5, stratify=y, random_state=0
)

# Keep classes 0 and 1 whole and a tenth of every other class.
rng = np.random.RandomState(0)
keep = np.concatenate(
    [
        idx
        if label in (0, 1)
        else rng.choice(idx, max(2, len(idx) // 10), replace=False)
        for label in np.unique(y_train)
        for idx in [np.flatnonzero(y_train == label)]
    ]
)
X_train, y_train = X_train[keep], y_train[keep]
print("training images per class:", np.bincount(y_train))


def cnn(**params):
    return CNNClassifier(random_state=0, **params)


models = {
    "no handling": cnn(),
    "class weights": cnn(class_weight="balanced"),
    "logit-adjusted loss": cnn(loss="logit_adjusted"),
    "RandomOverSampler": make_pipeline(RandomOverSampler(random_state=0), cnn()),
    "SuperpixelSampler": make_pipeline(SuperpixelSampler(random_state=0), cnn()),
    "FeatureSMOTESampler": make_pipeline(FeatureSMOTESampler(random_state=0), cnn()),
    "DCGANSampler": make_pipeline(DCGANSampler(random_state=0), cnn()),
}
print("\n| method | balanced accuracy | macro F1 | seconds |")
print("|---|---|---|---|")
for name, model in models.items():
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    y_pred = model.predict(X_test)
    print(
        f"| {name} | {balanced_accuracy_score(y_test, y_pred):.3f} | "
        f"{f1_score(y_test, y_pred, average='macro'):.3f} | {seconds:.0f} |"
    )
