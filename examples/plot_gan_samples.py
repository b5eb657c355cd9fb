"""
Balance a digits problem with DCGANSampler and look at what it made
===================================================================

Digits 0 to 3, with 3 cut to 15 images; a class-conditional DCGAN learns all
four classes and fills class 3 up. The Frechet distance of the new 3s to
held-out real 3s (in the feature space of a CNNClassifier) is printed beside
that of SMOTE's interpolated 3s, and real images are shown beside generated
ones, class by class. About a minute on a 2-core CPU; needs the plot extra
(matplotlib).
"""

import numpy as np
from imblearn.over_sampling import SMOTE
from sklearn.datasets import load_digits

from gansampler import CNNClassifier, DCGANSampler
from gansampler.metrics import frechet_distance
from gansampler.plotting import plot_samples

X, y = load_digits(n_class=4, return_X_y=True)
X = X.reshape(-1, 8, 8)
rng = np.random.RandomState(0)
held_out = rng.rand(len(y)) < 0.5
X_train, y_train, X_test, y_test = X[~held_out], y[~held_out], X[held_out], y[held_out]
keep = (y_train != 3) | (np.cumsum(y_train == 3) <= 15)
X_train, y_train = X_train[keep], y_train[keep]
print("training images per class:", np.bincount(y_train))

sampler = DCGANSampler(random_state=0)
X_res, y_res = sampler.fit_resample(X_train, y_train)
print("after DCGANSampler:", np.bincount(y_res))

embedder = CNNClassifier(random_state=0).fit(X, y)
real_3 = X_test[y_test == 3]
gan_3 = sampler.sample(len(real_3), y=3, random_state=1)
smote_X, smote_y = SMOTE(random_state=0, k_neighbors=5).fit_resample(
    X_train.reshape(len(X_train), -1), y_train
)
smote_3 = smote_X[len(X_train) :][smote_y[len(X_train) :] == 3][: len(real_3)].reshape(
    -1, 8, 8
)
train_3 = X_train[y_train == 3]
print(f"Frechet distance to held-out 3s ({len(real_3)} images each):")
print(f"  DCGANSampler {frechet_distance(real_3, gan_3, embedder):8.2f}")
print(f"  SMOTE        {frechet_distance(real_3, smote_3, embedder):8.2f}")
print(f"  (the 15 real training 3s: {frechet_distance(real_3, train_3, embedder):.2f})")

# %%
# Real images (left) beside generated ones (right), eight of each class:

fig = plot_samples(
    X_train,
    y_train,
    X_res[len(X_train) :],
    y_res[len(X_train) :],
    n_per_class=8,
    random_state=0,
)
