"""The GAN family's private parts: the trainer, the steps, the networks, and
the conditional GAN generator that the GAN samplers hold.

As imbalanced-learn keeps its SMOTE family in ``over_sampling/_smote/``, the
public GAN samplers live beside this package and compose what is here. The
feature space has a place of its own, ``over_sampling/_features/``.
"""
