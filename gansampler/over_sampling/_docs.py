"""Parameter entries of every sampler that trains networks of its own (the
GAN samplers, FeatureSMOTESampler, VarianceTransferSampler), written once.

The GAN family's text (``_gan/docs.py``) includes them; the feature-space
samplers that train no GAN take them from here. A docstring names the
entries it takes (``{image_shape, device}``) and
:func:`gansampler._docstrings.fill_doc` fills them in.
"""

NETWORK_TEXT = """
    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input. Without it, flat rows
        of a square number of features are square grayscale images and other
        rows are tabular data.

    device : {"auto", "cpu", "cuda"}, "cuda:N" or torch.device, default="auto"
        Where to train. ``"auto"`` uses CUDA when available. Mixed precision
        (bfloat16) is used on CUDA only.
"""
