"""Quickstart: an imbalanced digits problem, with and without oversampling.

Two digit classes keep all their images and the eight others keep a tenth
(part B of the project's imbalance study). A CNNClassifier is fitted alone and
after imbalanced-learn's RandomOverSampler in an imblearn pipeline, and each
is scored on an untouched, balanced test half. Runs in about a minute on a
2-core CPU.
"""

import numpy as np
from imblearn.metrics import classification_report_imbalanced
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split

from gansampler import CNNClassifier

# Flat rows of 64 pixels: imbalanced-learn's own samplers take only 2-D X,
# and CNNClassifier reads 64 columns back as 8 x 8 images.
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

models = {
    "CNNClassifier alone": CNNClassifier(random_state=0),
    "RandomOverSampler + CNNClassifier": make_pipeline(
        RandomOverSampler(random_state=0),
        CNNClassifier(random_state=0),
    ),
}
for name, model in models.items():
    model.fit(X_train, y_train)
    y_pred = model.predict(X_test)
    print(f"\n{name}: balanced accuracy {balanced_accuracy_score(y_test, y_pred):.3f}")
    print(classification_report_imbalanced(y_test, y_pred, digits=2))
