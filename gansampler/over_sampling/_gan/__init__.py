"""The GAN family's private parts: trainer, steps, networks, feature space.

As imbalanced-learn keeps its SMOTE family in ``over_sampling/_smote/``, the
public GAN samplers live beside this package and compose what is here.
"""
