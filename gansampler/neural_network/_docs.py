"""CNNClassifier's network and training-budget parameters, documented here to
keep the estimator's module short."""

ARCHITECTURE_PARAMETERS = """\
    architecture : str, callable or torch.nn.Module, default="light"
        The network. Small networks trained from scratch: ``"light"``, about
        0.1M parameters in three double-convolution blocks with global
        average pooling, after small networks that sort chest X-ray views;
        ``"lenet5"``: LeNet-5, needs images of at least 12x12; ``"vgg"``: a
        small VGG-style stack; ``"resnet"``: a small residual network.

        Standard backbones for transfer learning: ``"resnet18"``,
        ``"resnet34"``, ``"resnet50"`` and ``"densenet121"``, with
        torchvision's module and parameter names, so that torchvision's
        weights files load into them (``weights``). ``"densenet121"`` needs
        images of at least 32x32 after ``max_side``.

        A :class:`torch.nn.Module` (for example a torchvision model built
        with its weights) is copied, never changed; its head (the first of
        ``fc``, ``classifier``, ``head`` or ``heads`` that is, or ends in, a
        linear layer) is replaced by a new one for the classes, and a first
        convolution for another number of channels is adapted as for
        ``weights``.

        A callable is called as ``architecture(n_channels, n_classes)`` and
        must return a :class:`torch.nn.Module` mapping ``(N, C, H, W)`` float
        tensors to ``(N, n_classes)`` logits.

    weights : str, path or None, default=None
        Weights for a backbone: the path of a state dict saved with
        ``torch.save`` (a torchvision weights file such as
        ``~/.cache/torch/hub/checkpoints/resnet18-f37072fd.pth``, or a
        ``state_dict()`` of a torchvision model), or, where torchvision
        imports, a torchvision weights name such as ``"IMAGENET1K_V1"``, which
        torchvision downloads. The file's head is left out. For images with
        other than 3 channels, each channel of the first convolution gets the
        sum of its RGB weights divided by the number of channels (a grey
        image gets the summed weights). ``None`` trains from scratch.

    trainable_stages : int or "all", default="all"
        How much of a backbone or module trains; the new head always does.
        An integer ``k`` trains the last ``k`` stages and freezes the others,
        batch-norm statistics included. The stages of a ResNet are its stem
        and ``layer1`` to ``layer4``; of a DenseNet, its stem and each dense
        block with the layer after it; of another module, its top-level
        children that hold parameters. ``0`` trains the head alone. The
        network of a callable ``architecture`` ends in its own head (its
        last child with parameters), which trains as the new head would.
        Frozen stages run in evaluation mode while the rest trains.

    max_side : int or None, default=64
        Images whose shorter side is over ``max_side`` pixels are
        average-pooled by 2 until it is not: a 224x224 image is classified at
        56x56. The default keeps training time on a CPU in minutes for the
        small networks, which were designed for 64 pixels or less. ``None``
        classifies images at their own size, for example the backbones at
        their usual 224x224 on a GPU.

    normalization : {"auto", "data", "imagenet"}, default="auto"
        The channel statistics that standardise the images. ``"data"``: the
        mean and standard deviation of the training images. ``"imagenet"``:
        ImageNet's, which pretrained weights expect (for grey images, the
        averages of its three channels). ``"auto"`` is ``"imagenet"`` with
        ``weights`` or a :class:`torch.nn.Module` architecture, ``"data"``
        otherwise. ImageNet's statistics expect pixels in [0, 1]: uint8
        images are scaled there; floats keep their values, so give them in
        [0, 1] with ``"imagenet"``."""


TRAINING_PARAMETERS = """\
    n_epochs : int or "auto", default="auto"
        Passes over the training data in :meth:`fit`. ``"auto"`` trains for
        15 epochs, or for as many as make 500 optimizer steps when 15 epochs
        make fewer (small data sets): ``max(15, ceil(500 /
        steps_per_epoch))``. An integer is that many epochs.

    batch_size : int or "auto", default="auto"
        Images per gradient step (capped at the number of images). ``"auto"``
        is 128, or an eighth of the training images when that is smaller,
        but at least 16: ``min(128, max(16, n_samples // 8))``.

    learning_rate : float, default=1e-3
        Initial learning rate.

    lr_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"`` anneals the learning rate to zero over the fit's epochs;
        :meth:`partial_fit` always uses the constant ``learning_rate``.

    weight_decay : float, default=0.0
        L2 penalty passed to the optimizer.

    optimizer : {"adam", "sgd"}, default="adam"
        Adam, or SGD with Nesterov momentum 0.9."""


# The imbalance, regularisation and run settings; the losses cite the papers
# whose formulas gansampler/neural_network/_losses.py implements.
CNN_PARAMETERS = """
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss. ``"balanced"`` weights each class
        inversely to its frequency, ``n_samples / (n_classes * count)``; a
        dict maps class labels to weights (unlisted classes weigh 1). They
        multiply each image's term of any ``loss``, as ``sample_weight`` does.

    loss : {"cross_entropy", "focal", "logit_adjusted", "ldam"}, \
            default="cross_entropy"
        The training loss. ``"focal"``: ``-(1 - p_t)^gamma log p_t``, which
        leaves well-classified images out as their probability nears 1 [1]_.
        ``"logit_adjusted"``: cross-entropy of the logits plus
        ``logit_temperature`` times the log of each class's share of the
        training images, so that the raw logits, which predict, are those of
        balanced classes [2]_; at temperature 1 it is the balanced softmax
        [3]_. ``"ldam"``: LDAM as its paper defines it [4]_: the network's
        head becomes a cosine head (features and class weights normalised,
        no bias, logits ``ldam_scale * cos``), and the true class's cosine is
        lowered by a margin ``C / n_j^(1/4)`` for a class of ``n_j`` images,
        the rarest class's margin ``ldam_margin``: 0.5 on the cosine, 15
        logits at the scale of 30. It needs a network with a head to replace
        (a built-in name, a backbone or a :class:`torch.nn.Module`, not a
        callable that ends in its classes). Class counts are those of the
        images trained on, added up over :meth:`partial_fit` calls (a class
        not yet seen counts one). ``"logit_adjusted"`` corrects for the class
        prior by itself: with ``class_weight``, ``rebalance="reweight"`` or
        ``"resample"``, or inside a :class:`~gansampler.ResampledClassifier`
        that weighs classes, it corrects twice, and the fit warns.

    focal_gamma : float in [0, 5], default=2.0
        The focal loss's exponent (the paper's best); 0 is cross-entropy.
        The paper tries up to 5; far beyond, every term of the loss is 0
        and the network never moves.

    logit_temperature : float in [0, 5], default=1.0
        The logit-adjusted loss's temperature ``tau``; 0 is cross-entropy.
        The papers use 1; far beyond 5, every image goes to one class.

    ldam_margin : float in [0, 1], default=0.5
        LDAM's margin on the cosine for the rarest class (the paper's).

    ldam_scale : float, default=30.0
        The scale ``s`` of LDAM's cosine logits (the paper's).

    rebalance : {"reweight", "resample", "retrain_head"} or None, default=None
        Deferred re-balancing: train as set for the first ``rebalance_start``
        of the epochs, then re-balance for the rest [4]_ [5]_.
        ``"reweight"``: each image's weight times its class's balanced
        weight, ``n_samples / (n_classes * count)`` (deferred re-weighting,
        DRW). ``"resample"``: class-balanced batches (a class drawn
        uniformly, then an image of it). ``"retrain_head"``: the head
        trained on alone with plain cross-entropy on class-balanced
        batches, every other weight and batch statistic frozen, with a
        cosine schedule of its own (classifier re-training, cRT [5]_); it
        goes on from its trained weights unless ``reset_head``. Each works
        with every ``loss``; with ``class_weight`` (or a logit-adjusted loss
        for the first two) it corrects for the prior twice and warns. With
        ``early_stopping``, only the last phase that trains the whole
        network may stop early (the re-balanced one for ``"reweight"`` and
        ``"resample"``, the first for ``"retrain_head"``), so that the fit
        always reaches re-balancing, and the best epoch is chosen among
        that phase's epochs; ``history_`` names each epoch's ``phase``.
        :meth:`partial_fit` does not re-balance.

    rebalance_start : float in (0, 1), default=0.8
        The share of the epochs trained before re-balancing starts (the
        paper's 160 of 200), rounded, with at least one epoch on each side;
        a fit of one epoch cannot re-balance, and warns.

    reset_head : bool, default=False
        With ``rebalance="retrain_head"``, start the head from fresh random
        weights, as Kang et al. do, and train it for at least 300 steps, in
        which a new head reaches the balanced optimum (tests/test_phases.py);
        otherwise it goes on from its trained weights in the fit's last
        epochs.

    augment : bool, default=False
        Random horizontal flips, shifts of up to 10% and rotations of up to
        10 degrees, drawn per image and per epoch on the training device.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified),
        stop when the validation loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and keep the weights of the best epoch.

    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping=True``.

    n_iter_no_change : int, default=5
        Epochs without improvement before early stopping.

    tol : float, default=1e-4
        Smallest decrease of the validation loss that counts as improvement.

    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input. Ignored for 3-D and 4-D
        input, where it must match if given. Without it, flat rows of a square
        number of features are square grayscale images and other rows are
        ``1 x D`` strips.

    device : {"auto", "cpu", "cuda"}, "cuda:N" or torch.device, default="auto"
        Where to train. ``"auto"`` uses CUDA when available. Mixed precision
        (bfloat16) is used on CUDA only.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, augmentation, dropout and the
        validation split. The same integer gives identical results on CPU.

    verbose : int, default=0
        0 is silent; 1 or more shows a progress bar over epochs with the
        latest losses.
"""
