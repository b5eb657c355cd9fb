"""The feature space that FeatureGANSampler and FeatureSMOTESampler share.

An encoder (trained, or a user's fitted extractor), a decoder back to images
and a linear feature classifier (:mod:`.space`), and the generator that
turns another generator's new features into images (:mod:`.generator`).
Neither sampler inherits from anything here; each holds one.
"""
