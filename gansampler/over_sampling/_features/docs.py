"""Parameter and attribute entries of the feature-space samplers' first stage
(FeatureGANSampler, FeatureSMOTESampler), written once."""

FEATURE_TEXT = """
    extractor : CNNClassifier, FrozenEstimator or None, default=None
        A :class:`CNNClassifier` (or a FrozenEstimator or search of one)
        whose penultimate features (:meth:`CNNClassifier.embed`) are the
        feature space. An unfitted one is cloned and the clone fitted on the
        training images at each ``fit`` (your object stays unfitted; one
        whose ``image_shape`` is None reads flat rows with the sampler's
        ``image_shape``); a fitted one is used as it is, and must have been
        fitted on the classes of ``y`` and on images of their shape.
        ``None`` trains an encoder. Grid search and cross-validation clone
        the sampler, which unfits a fitted classifier: wrap it in
        :class:`sklearn.frozen.FrozenEstimator` to keep it fitted. An
        extractor fitted on data that later serves as a test fold leaks that
        fold into the features.

    decoding : {"residual", "direct"}, default="residual"
        How generated features become images. ``"direct"`` decodes them.
        ``"residual"`` adds to a random real image of the class the
        difference between the decoded generated features and the decoded
        features of that real image. The new image then changes what the
        features describe while keeping the real image's fine detail, which
        a decoder trained with squared error blurs away. The choice was made
        on validation data (see the user guide). It does not change the
        training.

    encoder_epochs : int or "auto", default="auto"
        Epochs of the first stage (encoder and decoder, or decoder alone with
        an ``extractor``). ``"auto"`` trains 10 epochs, or as many as make 200
        steps when 10 make fewer. Unused for tabular data.

    encoder_learning_rate : float, default=1e-3
        Adam learning rate of the first stage (encoder and decoder).

    reconstruction_weight : float, default=1.0
        Weight of the decoder's mean squared error (on images scaled to
        [-1, 1]) beside the encoder's classification loss.

    encoder_ : torch.nn.Module or None
        Maps NCHW images (``uint8`` scaled to [0, 1]) to features: the
        trained encoder, or the extractor's network; ``None`` for images
        under 8 pixels a side and tabular data, whose values are the features.

    decoder_ : torch.nn.Module or None
        Maps features to images scaled to [-1, 1] per channel; ``None`` where
        ``encoder_`` is.

    encoder_history_ : list of dict
        One entry per first-stage epoch: ``epoch``, ``classification_loss``
        and ``reconstruction_loss``; empty without an encoder.

    n_features_out_ : int
        Size of the feature space.

    extractor_ : CNNClassifier or None
        The fitted extractor whose network gave ``encoder_``: the fitted
        copy, or ``extractor`` itself when it came fitted; ``None`` without
        an ``extractor``.
"""
