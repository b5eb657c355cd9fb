"""CNNClassifier: a PyTorch CNN behind scikit-learn's classifier API."""

import copy
import os
from dataclasses import replace
from numbers import Integral, Real

import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._docstrings import fill_doc
from .._fitted import commit, forget, forget_public
from .._images import images_to_tensor, validate_images
from .._torch import DEVICE_CONSTRAINTS, infer, usable_device
from .._training import warn_if_unconverged
from .._validation import own_random_state, reject_bool_numbers
from ._architectures import ARCHITECTURES
from ._backbones import BACKBONES
from ._docs import ARCHITECTURE_PARAMETERS, CNN_PARAMETERS, TRAINING_PARAMETERS
from ._fit import Fitted, TrainingOptions, first_state, next_state
from ._losses import LOSS_CONSTRAINTS, warn_if_corrections_stack
from ._train import train


@fill_doc(ARCHITECTURE_PARAMETERS, TRAINING_PARAMETERS, CNN_PARAMETERS)
class CNNClassifier(ClassifierMixin, BaseEstimator):
    """Convolutional neural network classifier for images, backed by PyTorch.

    Images go in as ``(n, H, W)``, ``(n, H, W, C)`` or flat ``(n, D)`` rows
    with ``image_shape``; ``uint8`` pixels are scaled to ``[0, 1]`` and every
    channel is standardised with statistics of the training images. The
    network is trained with cross-entropy (or a loss for imbalanced classes,
    ``loss``) and, by default, a learning rate that decays to zero on a
    cosine schedule, which keeps small CNNs from collapsing to one class on
    unlucky seeds.

    Read more in the :ref:`User Guide <cnn_classifier>`.

    Parameters
    ----------
    {architecture, weights, trainable_stages, max_side, normalization}

    {n_epochs, batch_size, learning_rate, lr_schedule, weight_decay, optimizer}

    {class_weight, loss, focal_gamma, logit_temperature, ldam_margin, ldam_scale}

    {rebalance, rebalance_start, reset_head}

    {augment, early_stopping, validation_fraction, n_iter_no_change, tol}

    {image_shape, device, random_state, verbose}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.

    n_features_in_ : int
        Pixel values per image, ``H * W * C``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names, when ``X`` was a DataFrame with string column names.

    module_ : torch.nn.Module
        The trained network, on the CPU. Called on NCHW float tensors scaled
        as described above, it returns logits; ``module_.embed`` returns the
        penultimate features.

    history_ : list of dict
        One entry per epoch: ``epoch``, ``phase`` (``"train"``, or the
        ``rebalance`` value in its re-balanced epochs), ``train_loss``,
        ``learning_rate``, ``duration`` (seconds), and with early stopping
        ``valid_loss`` and ``valid_score`` (balanced accuracy on the
        held-out images).

    class_count_ : ndarray of shape (n_classes,)
        Images of each class trained on, added up over :meth:`partial_fit`
        calls: the counts the losses take their prior and margins from.

    n_iter_ : int
        Epochs trained, over :meth:`fit` and later :meth:`partial_fit` calls.

    batch_size_ : int
        The batch size used, ``batch_size`` resolved for the training data.

    image_shape_ : tuple of int
        ``(H, W, C)`` of the training images.

    device_ : torch.device
        The device used for training and prediction.

    See Also
    --------
    gansampler.over_sampling : samplers that balance the images first.
    sklearn.neural_network.MLPClassifier : the same API on flat features.

    Notes
    -----
    A fit that fails or is interrupted leaves the estimator unfitted; a
    :meth:`partial_fit` that fails leaves it as it was before the call.

    A fit whose training loss is still falling steeply at its end, or has
    hardly moved from its start, raises
    :class:`~sklearn.exceptions.ConvergenceWarning` naming ``n_epochs``.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal loss
       for dense object detection", ICCV 2017.
    .. [2] A. K. Menon, S. Jayasumana, A. S. Rawat, H. Jain, A. Veit and
       S. Kumar, "Long-tail learning via logit adjustment", ICLR 2021.
    .. [3] J. Ren, C. Yu, S. Sheng, X. Ma, H. Zhao, S. Yi and H. Li,
       "Balanced meta-softmax for long-tailed visual recognition", NeurIPS
       2020.
    .. [4] K. Cao, C. Wei, A. Gaidon, N. Arechiga and T. Ma, "Learning
       imbalanced datasets with label-distribution-aware margin loss",
       NeurIPS 2019.
    .. [5] B. Kang, S. Xie, M. Rohrbach, Z. Yan, A. Gordo, J. Feng and
       Y. Kalantidis, "Decoupling representation and classifier for
       long-tailed recognition", ICLR 2020.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import CNNClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X.reshape(-1, 8, 8)
    >>> clf = CNNClassifier(random_state=0).fit(X[:200], y[:200])
    >>> clf.predict_proba(X[:3]).shape
    (3, 10)
    """

    _parameter_constraints = {
        # A torch.nn.Module is callable too; build_network tells them apart.
        "architecture": [StrOptions(set(ARCHITECTURES) | set(BACKBONES)), callable],
        "weights": [str, os.PathLike, None],
        "trainable_stages": [
            Interval(Integral, 0, None, closed="left"),
            StrOptions({"all"}),
        ],
        "max_side": [Interval(Integral, 1, None, closed="left"), None],
        "normalization": [StrOptions({"auto", "data", "imagenet"})],
        "n_epochs": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        # Batch normalisation cannot train on batches of one image.
        "batch_size": [
            Interval(Integral, 2, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions({"cosine", "constant"})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "optimizer": [StrOptions({"adam", "sgd"})],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "augment": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        **LOSS_CONSTRAINTS,
        "image_shape": [tuple, None],
        "device": DEVICE_CONSTRAINTS,
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        architecture="light",
        weights=None,
        trainable_stages="all",
        max_side=64,
        normalization="auto",
        n_epochs="auto",
        batch_size="auto",
        learning_rate=1e-3,
        lr_schedule="cosine",
        weight_decay=0.0,
        optimizer="adam",
        class_weight=None,
        augment=False,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        tol=1e-4,
        loss="cross_entropy",
        focal_gamma=2.0,
        logit_temperature=1.0,
        ldam_margin=0.5,
        ldam_scale=30.0,
        rebalance=None,
        rebalance_start=0.8,
        reset_head=False,
        image_shape=None,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.architecture = architecture
        self.weights = weights
        self.trainable_stages = trainable_stages
        self.max_side = max_side
        self.normalization = normalization
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.optimizer = optimizer
        self.class_weight = class_weight
        self.augment = augment
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.loss = loss
        self.focal_gamma = focal_gamma
        self.logit_temperature = logit_temperature
        self.ldam_margin = ldam_margin
        self.ldam_scale = ldam_scale
        self.rebalance = rebalance
        self.rebalance_start = rebalance_start
        self.reset_head = reset_head
        self.image_shape = image_shape
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit

    def fit(self, X, y, sample_weight=None):
        """Train a new network on images ``X`` with labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Training images.
        y : array-like of shape (n,)
            Class labels of any type scikit-learn accepts.
        sample_weight : array-like of shape (n,), default=None
            Non-negative weight of each image's loss, multiplied with its
            class weight; the product is scaled to average 1 over the
            training images. Images of weight 0 are left out of training
            (scikit-learn's convention: the same as removing them).

        Returns
        -------
        self : CNNClassifier
        """
        self._forget_fit()
        self._validate_params()
        warn_if_corrections_stack(self.loss, self.class_weight, self.rebalance)
        rng = own_random_state(self.random_state)
        try:
            state = first_state(
                self, X, y, rng, classes=None, sample_weight=sample_weight
            )
            stopped_early = train(TrainingOptions.of(self), state, rng)
        except BaseException:
            # Validation sets n_features_in_ early: a failed or interrupted
            # fit must not look fitted.
            self._forget_fit()
            raise
        commit(self, state.fitted(rng))
        if not stopped_early:
            warn_if_unconverged(
                self.history_,
                "train_loss",
                type(self).__name__,
                "raise n_epochs",
            )
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train the network for one more epoch on ``X`` and ``y``.

        The first call on an unfitted estimator builds the network; its
        ``classes`` (all labels that will ever be seen) default to the labels
        in ``y``, and with ``classes`` given its ``y`` may hold one class.
        Later calls go on from the current weights at the constant
        ``learning_rate``, with a fresh optimizer, and without early
        stopping, on the current ``device``; ``batch_size="auto"`` keeps the
        size the first call chose (``batch_size_``).

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Training images.
        y : array-like of shape (n,)
            Class labels, all in ``classes_``.
        classes : array-like of shape (n_classes,), default=None
            All class labels, required to be the first call's on later calls
            (or None).
        sample_weight : array-like of shape (n,), default=None
            Weight of each image's loss, as in :meth:`fit`; scaled to average
            1 within the call, so that only the relative weights of this
            call's images matter.

        Returns
        -------
        self : CNNClassifier
        """
        self._validate_params()
        # partial_fit does not re-balance.
        warn_if_corrections_stack(self.loss, self.class_weight, None)
        first_call = not hasattr(self, "module_")
        # Later calls go on drawing from the fit's random state, so that each
        # call shuffles, augments and drops out afresh. A copy, so that a
        # failed call leaves the estimator as it was.
        rng = (
            own_random_state(self.random_state)
            if first_call
            else copy.deepcopy(self._rng)
        )
        try:
            if first_call:
                state = first_state(
                    self, X, y, rng, classes=classes, sample_weight=sample_weight
                )
            else:
                state = next_state(
                    self, X, y, sample_weight=sample_weight, classes=classes
                )
            # One epoch at the constant learning rate, without early stopping.
            one_epoch = dict(
                n_epochs=1, lr_schedule="constant", early_stopping=False, rebalance=None
            )
            options = replace(TrainingOptions.of(self), **one_epoch)
            # The loss's class counts add up over the calls.
            earlier = None if first_call else torch.as_tensor(self.class_count_)
            train(options, state, rng, counts=earlier)
        except BaseException:
            if first_call:
                self._forget_fit()
            raise
        commit(self, state.fitted(rng))
        return self

    def _validate_params(self):
        super()._validate_params()
        reject_bool_numbers(self)
        if self.reset_head and self.rebalance != "retrain_head":
            raise ValueError(
                f"reset_head=True starts the head afresh when it is re-trained; "
                f"rebalance={self.rebalance!r} re-trains no head. Set "
                "rebalance='retrain_head', or leave reset_head=False."
            )

    def _forget_fit(self):
        forget(self, Fitted)
        # Also feature_names_in_, which validation sets for named columns only.
        forget_public(self)

    # -------------------------------------------------------------- predict

    def predict_proba(self, X):
        """Class probabilities of images ``X``.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Images like the training images.

        Returns
        -------
        proba : ndarray of shape (n, n_classes)
            Rows sum to one; columns follow ``classes_``.
        """
        logits = self._forward(X, "forward")
        proba = torch.softmax(logits.double(), dim=1).numpy()
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted class labels of images ``X``.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Images like the training images.

        Returns
        -------
        y : ndarray of shape (n,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def embed(self, X):
        """Penultimate-layer features of images ``X``.

        The input of the linear head: for a backbone or a
        :class:`torch.nn.Module` the features its head took; for a callable
        ``architecture``, the output of the user's module.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Images like the training images.

        Returns
        -------
        features : ndarray of shape (n, n_features_out)
        """
        return self._forward(X, "embed").numpy()

    def _forward(self, X, method):
        check_is_fitted(self)
        X, layout = validate_images(self, X, reset=False)
        images = images_to_tensor(X, layout)
        device = usable_device(self.device_)
        outputs = infer(self.module_, images, device, method)
        return outputs.to(torch.float64)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
