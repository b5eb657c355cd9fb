"""The base class of every gansampler sampler.

A sampler holds a *generator*: an object that learns from the training
images (:meth:`Generator.fit`) and draws new images of a class
(:meth:`Generator.draw`). The sampler itself is thin: its parameters, their
validation, and which generator to build (``_make_generator``). This class
does the rest for every sampler: it checks the images and the sampling
strategy, composes the filter around the generator's draws, and returns the
originals first, then the new images, in the caller's layout and dtype.
"""

from numbers import Integral, Real

import numpy as np
import torch
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy, check_target_type
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from ._docstrings import fill_doc
from ._filtering import FILTER_TEXT, Filter
from ._fitted import commit, forget, forget_public
from ._generator import OwnHooks, SamplerState, Training
from ._images import (
    check_labels,
    images_to_numpy,
    images_to_tensor,
    validate_images,
)
from ._validation import (
    binary_one_hot,
    check_class_sizes,
    check_fits_in_memory,
    class_indices,
    own_random_state,
    reject_bool_numbers,
)


@fill_doc(FILTER_TEXT)
class BaseImageSampler(BaseOverSampler):
    """Base class for oversamplers that make new images of a class.

    A subclass says only how to make ``n_samples`` new images from the real
    images of one class, in :meth:`_generate`; this class validates the
    images (``(n, H, W)``, ``(n, H, W, C)`` or flat ``(n, D)`` rows with
    ``image_shape``), turns ``sampling_strategy`` into per-class counts
    exactly as imbalanced-learn does, and returns the original samples first,
    unchanged, followed by the new ones, in the caller's layout and dtype.

    Samplers that learn from all classes at once override
    :meth:`_fit_generator`, which runs once before the per-class calls. The
    samplers of this package hold a generator object instead (see the user
    guide's "How the samplers are built").

    Parameters
    ----------
    sampling_strategy : float, str, dict or callable, default="auto"
        How many images each class should have after resampling, as in
        imbalanced-learn: a float (binary problems: the wanted ratio of
        minority to majority count), ``"auto"`` (= ``"not majority"``),
        ``"minority"``, ``"not minority"``, ``"not majority"``, ``"all"``, a
        dict ``{label: wanted count}``, or a callable ``y -> dict``.
    random_state : int, RandomState instance or None, default=None
        Seeds everything the sampler draws.
    image_shape : tuple of int or None, default=None
        ``(H, W)`` or ``(H, W, C)`` of flat 2-D input.
    {filter_threshold, filter_classifier}

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of new images made for each class.
    n_features_in_ : int
        Pixel values per image.
    {filter_rejection_rate_, filter_classifier_}

    Examples
    --------
    A sampler that oversamples with mirrored copies of real images:

    >>> from gansampler.base import BaseImageSampler
    >>> class MirrorSampler(BaseImageSampler):
    ...     def _generate(self, X_class, n_samples, rng):
    ...         picks = rng.randint(len(X_class), size=n_samples)
    ...         return X_class[picks].flip(-1)
    >>> import numpy as np
    >>> X = np.arange(5 * 4 * 4, dtype=np.uint8).reshape(5, 4, 4)
    >>> X_res, y_res = MirrorSampler().fit_resample(X, [0, 0, 0, 1, 1])
    >>> X_res.shape, np.bincount(y_res)
    ((6, 4, 4), array([3, 3]))
    """

    _parameter_constraints = {
        **BaseOverSampler._parameter_constraints,
        "image_shape": [tuple, None],
        "filter_threshold": [Interval(Real, 0, 1, closed="neither"), None],
        "filter_classifier": [HasMethods(["fit", "predict_proba"]), None],
    }

    # Fewest real images a class needs before this sampler can oversample it.
    _min_class_size = 1

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        image_shape=None,
        filter_threshold=None,
        filter_classifier=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.image_shape = image_shape
        self.filter_threshold = filter_threshold
        self.filter_classifier = filter_classifier

    def fit(self, X, y, **params):
        """Check the images and the sampling strategy.

        Use :meth:`fit_resample` to oversample; this only validates, as in
        imbalanced-learn. A failed call leaves the sampler unfitted.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Images.
        y : array-like of shape (n,)
            Class labels.
        **params : dict
            Passed on to imbalanced-learn's ``fit``.

        Returns
        -------
        self : object
        """
        return self._unfitted_on_error(super().fit, X, y, **params)

    def fit_resample(self, X, y, **params):
        """Resample: the original images first, then the new ones.

        A failed or interrupted call leaves the sampler unfitted, also when it
        was fitted before, so that it never looks fitted on a mix of the two
        calls' data.

        Parameters
        ----------
        X : array-like of shape (n, H, W), (n, H, W, C) or (n, D)
            Images.
        y : array-like of shape (n,)
            Class labels.
        **params : dict
            Passed on to imbalanced-learn's ``fit_resample``.

        Returns
        -------
        X_resampled : ndarray
            The images of ``X`` followed by the new ones, in the layout and
            dtype of ``X``.
        y_resampled : ndarray of shape (n_resampled,)
            Their labels.
        """
        self._forget_fit()
        one_hot, source = binary_one_hot(y), y
        if one_hot is not None:
            # imbalanced-learn gives a one-hot binary y back as one column;
            # resample its labels and give back the two columns that came in.
            y = one_hot.argmax(axis=1)
        X_res, y_res = self._unfitted_on_error(super().fit_resample, X, y, **params)
        if one_hot is None:
            return X_res, y_res
        y_res = np.eye(2, dtype=one_hot.dtype)[y_res]
        if type(source).__module__.startswith("pandas"):  # a DataFrame: one out
            y_res = type(source)(y_res, columns=source.columns)
        return X_res, y_res

    def _unfitted_on_error(self, fit, X, y, **params):
        # imbalanced-learn sets n_features_in_, _layout and sampling_strategy_
        # one after the other, so a failure part way would leave them behind.
        self._forget_fit()
        try:
            # imbalanced-learn sorts the labels first, which fails on None.
            check_labels(y)
            return fit(X, y, **params)
        except BaseException:
            self._forget_fit()
            raise

    def _forget_fit(self):
        forget_public(self)
        forget(self, SamplerState)

    def _make_generator(self):
        """The generator this sampler holds, built from its parameters.

        By default the sampler's own :meth:`_fit_generator` and
        :meth:`_generate`; the samplers of this package return their own
        generator objects.
        """
        return OwnHooks(self)

    def _learn(self, X, y, rng):
        """Fit a new generator on the checked ``X`` and ``y``; keep it."""
        classes, targets = np.unique(y, return_inverse=True)
        training = Training(
            X=X,
            labels=y,
            images=images_to_tensor(X, self._layout),
            targets=targets,
            classes=classes,
            layout=self._layout,
            wanted=self.sampling_strategy_,
            rng=rng,
        )
        generator = self._make_generator()
        generator.fit(training)
        for fitted in generator.attributes():
            commit(self, fitted)
        commit(self, SamplerState(self._layout, generator))
        return training

    def _fit(self, X, y, check_memory=False):
        """Validate and fit the generator without resampling.

        Returns the checked labels, the :class:`Training` and the random
        state, or leaves the sampler unfitted. Samplers that learn (the GANs)
        fit through this. ``check_memory``: refuse, before training, a
        ``sampling_strategy`` whose new samples would not fit in memory (for
        a caller that makes them next).
        """
        self._forget_fit()
        self._validate_params()
        rng = own_random_state(self.random_state)
        try:
            check_labels(y)
            check_classification_targets(y)
            X, y, _ = self._check_X_y(X, y)
            self.sampling_strategy_ = check_sampling_strategy(
                self.sampling_strategy, y, self._sampling_type
            )
            self._check_class_sizes(y)
            if check_memory:
                self._check_strategy_memory()
            training = self._learn(X, y, rng)
        except BaseException:
            self._forget_fit()
            raise
        return y, training, rng

    def _fit_resample(self, X, y):
        rng = own_random_state(self.random_state)
        self._check_class_sizes(y)
        self._check_strategy_memory()
        training = self._learn(X, y, rng)
        stage = None
        if self.filter_threshold is not None:
            # Fitted after the generator, from the same random state.
            stage = Filter.fit(self, X, y, rng)
            self.filter_classifier_ = stage.judge
        self.filter_rejection_rate_ = {}
        new_X, new_y = [X], [y]
        for label, n_samples in self.sampling_strategy_.items():
            if n_samples == 0:
                continue
            index = int(np.flatnonzero(training.classes == label)[0])
            real = training.images[torch.from_numpy(y == label)]

            def draw(n, index=index, real=real, label=label):
                made = self._generator.draw(
                    np.full(n, index), rng, real, **self._draw_options()
                )
                self._check_generated(made, real, n, label)
                return images_to_numpy(made, self._layout).reshape((n,) + X.shape[1:])

            if stage is None:
                made = draw(n_samples)
            else:
                made, rate = stage.keep(draw, label, n_samples)
                self.filter_rejection_rate_[label] = rate
            new_X.append(made)
            new_y.append(np.full(n_samples, label, dtype=y.dtype))
        return np.concatenate(new_X), np.concatenate(new_y)

    def _sample(self, n_samples, y, random_state, **options):
        """``n_samples`` new images of labels ``y`` from the fitted generator,
        in the training images' layout; ``options`` go to its ``draw``."""
        self._check_sample_call(n_samples)
        class_index = self._class_index(n_samples, y)
        rng = own_random_state(random_state)
        options = {**self._draw_options(), **options}
        made = self._generator.draw(class_index, rng, None, **options)
        return images_to_numpy(made, self._layout)

    def _draw_options(self):
        """Keyword arguments of every draw: parameters that act after the
        fit (FeatureGAN's ``decoding``); none by default."""
        return {}

    # Checks of a call that draws from a fitted sampler (``sample``).

    def _check_sample_call(self, n_samples):
        check_is_fitted(self, "classes_")
        if (
            not isinstance(n_samples, Integral)
            or isinstance(n_samples, bool)
            or n_samples < 1
        ):
            raise ValueError(
                f"n_samples must be a positive integer; got n_samples={n_samples!r}."
            )
        check_fits_in_memory(n_samples, self._layout, f"n_samples={n_samples}")

    def _class_index(self, n_samples, y):
        return class_indices(y, self.classes_, n_samples, "y")

    def _validate_params(self):
        super()._validate_params()
        reject_bool_numbers(self)

    def _check_X_y(self, X, y, accept_sparse=None):
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        X, y, layout = validate_images(
            self, X, y, reset=True, image_shape=self.image_shape
        )
        self._layout = layout
        return X, y, binarize_y

    def _check_strategy_memory(self):
        check_fits_in_memory(
            sum(self.sampling_strategy_.values()),
            self._layout,
            f"sampling_strategy={self.sampling_strategy!r}",
        )

    def _check_class_sizes(self, y):
        check_class_sizes(
            self.sampling_strategy_,
            y,
            self._min_class_size,
            type(self).__name__,
            self.sampling_strategy,
        )

    def _check_generated(self, made, X_class, n_samples, label):
        expected = (n_samples,) + tuple(X_class.shape[1:])
        if not isinstance(made, torch.Tensor) or tuple(made.shape) != expected:
            got = tuple(made.shape) if hasattr(made, "shape") else type(made).__name__
            raise RuntimeError(
                f"{type(self).__name__}._generate returned {got} for class "
                f"{label!r}; expected a tensor of shape {expected}."
            )

    def _fit_generator(self, images, y, rng):
        """Learn from all images before generating; nothing by default.

        Parameters
        ----------
        images : torch.Tensor of shape (n, C, H, W)
            All training images, float32, ``uint8`` input scaled to [0, 1].
        y : ndarray of shape (n,)
            Their labels.
        rng : numpy.random.RandomState
            The sampler's random state.
        """

    def _generate(self, X_class, n_samples, rng):
        """Make ``n_samples`` new images of one class.

        Parameters
        ----------
        X_class : torch.Tensor of shape (n_class, C, H, W)
            The real images of the class, float32; ``uint8`` input is scaled
            to [0, 1], other dtypes keep their values.
        n_samples : int
            How many images to make.
        rng : numpy.random.RandomState
            The sampler's random state; draw everything from it.

        Returns
        -------
        torch.Tensor of shape (n_samples, C, H, W)
        """
        raise NotImplementedError

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.three_d_array = True
        return tags
