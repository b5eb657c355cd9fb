"""Parameter and attribute entries of the feature-space samplers' first stage
(FeatureGANSampler, FeatureSMOTESampler), written once."""

FEATURE_TEXT = """
    extractor : CNNClassifier, FrozenEstimator or None, default=None
        A fitted :class:`CNNClassifier` whose penultimate features
        (:meth:`CNNClassifier.embed`) are the feature space, for images like
        the training images. ``None`` trains an encoder. Grid search and
        cross-validation clone their estimators, which unfits a plain
        classifier; wrap it in :class:`sklearn.frozen.FrozenEstimator` to keep
        it fitted through clones. An extractor fitted on data that later
        serves as a test fold leaks that fold into the features.

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
"""
