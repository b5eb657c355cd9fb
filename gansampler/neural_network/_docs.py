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
