"""Sample-quality measures that need no downloaded networks."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["frechet_distance"]


def _n_images(X):
    """Number of images in ``X``, or None when it cannot be told cheaply."""
    shape = getattr(X, "shape", None)
    if shape is not None and len(shape) > 0:
        return int(shape[0])
    try:
        return len(X)
    except TypeError:
        return None


def _check_count(n, name):
    if n is not None and n < 2:
        raise ValueError(
            f"{name} must hold at least 2 images to estimate a covariance; got {n}."
        )


def _features(embedder, X, name):
    """Embed ``X`` and return its features as a float64 matrix."""
    n = _n_images(X)
    features = np.asarray(embedder.embed(X), dtype=np.float64)
    if features.ndim != 2:
        raise ValueError(
            f"embedder.embed({name}) must return a 2-D array of shape "
            f"(n_images, n_features); got an array of shape {features.shape}."
        )
    if n is not None and features.shape[0] != n:
        raise ValueError(
            f"embedder.embed({name}) returned {features.shape[0]} rows for "
            f"{n} images; it must return one row per image."
        )
    _check_count(features.shape[0], name)
    if not np.isfinite(features).all():
        raise ValueError(
            f"embedder.embed({name}) returned NaN or infinite features; check "
            f"{name} for NaN or infinite pixels."
        )
    # Covariances square the features: beyond about 1e150 they overflow.
    if np.abs(features).max(initial=0) > 1e150:
        raise ValueError(
            f"embedder.embed({name}) returned features up to "
            f"{np.abs(features).max():.3g}, too large for their covariance in "
            "float64; scale the embedder's output."
        )
    return features


def _gaussian(features):
    """Mean and covariance (ddof=1) of the rows of ``features``."""
    mean = features.mean(axis=0)
    centred = features - mean
    cov = centred.T @ centred / (features.shape[0] - 1)
    return mean, cov


def _trace_sqrt_product(cov1, cov2):
    """``Tr(sqrt(cov1 @ cov2))`` for symmetric positive semi-definite matrices.

    ``cov1 @ cov2`` is not symmetric, but it is similar to the symmetric
    positive semi-definite ``sqrt(cov1) @ cov2 @ sqrt(cov1)``, so both have the
    same eigenvalues; those of the symmetric form come from ``eigvalsh``
    without the complex round-off of a general matrix square root.
    """
    eigenvalues, eigenvectors = np.linalg.eigh(cov1)
    sqrt_cov1 = (eigenvectors * np.sqrt(_drop_round_off(eigenvalues))) @ eigenvectors.T
    product = sqrt_cov1 @ cov2 @ sqrt_cov1
    product = (product + product.T) / 2.0
    return float(np.sqrt(_drop_round_off(np.linalg.eigvalsh(product))).sum())


def _drop_round_off(eigenvalues):
    """Set eigenvalues of a PSD matrix that are round-off to exactly 0.

    Negative values, and positive ones below the precision of the largest,
    are noise; left in, their square roots (about 1e-8 of the scale for a
    1e-16 error) would dominate the error of the trace.
    """
    if eigenvalues.size == 0:
        return eigenvalues
    tol = eigenvalues.size * np.finfo(np.float64).eps * max(eigenvalues.max(), 0.0)
    return np.where(eigenvalues > tol, eigenvalues, 0.0)


def frechet_distance(X_real, X_fake, embedder):
    r"""Frechet distance between real and generated images in a feature space.

    Gaussians are fitted to the features that ``embedder`` gives the real and
    the generated images, and the Frechet (2-Wasserstein) distance between
    them is returned:

    .. math::

        d^2 = \lVert \mu_r - \mu_g \rVert^2 + \operatorname{Tr}\left(
        \Sigma_r + \Sigma_g - 2 (\Sigma_r \Sigma_g)^{1/2} \right)

    With a :class:`~gansampler.CNNClassifier` trained on the task as the
    embedder, this is the Frechet Inception Distance (FID) with the
    classifier's penultimate features in place of Inception-v3's, so sample
    quality can be measured on images of any size and without downloaded
    weights. Lower is better; 0 means identical means and covariances.

    Parameters
    ----------
    X_real : array-like of shape (n_real, H, W), (n_real, H, W, C) or (n_real, D)
        Real images, in any layout that ``embedder`` accepts; passed to
        ``embedder.embed`` as given.

    X_fake : array-like of shape (n_fake, H, W), (n_fake, H, W, C) or (n_fake, D)
        Generated images, like ``X_real``.

    embedder : object
        A fitted estimator with an ``embed(X)`` method returning features of
        shape ``(n_images, n_features)``, such as a fitted
        :class:`~gansampler.CNNClassifier`.

    Returns
    -------
    distance : float
        The Frechet distance, ``>= 0``. It is the squared-distance form used
        for FID: in the units of the features squared.

    Raises
    ------
    TypeError
        If ``embedder`` has no ``embed`` method.

    sklearn.exceptions.NotFittedError
        If ``embedder`` is an unfitted scikit-learn estimator.

    ValueError
        If ``X_real`` or ``X_fake`` holds fewer than 2 images, or ``embed``
        returns something other than one finite feature row per image.

    See Also
    --------
    gansampler.CNNClassifier.embed : the penultimate features used here.

    Notes
    -----
    Means and covariances are computed in float64, and the trace of the
    matrix square root from the eigenvalues of the symmetric matrix
    ``sqrt(S_r) @ S_g @ sqrt(S_r)``, which is stable where a general matrix
    square root returns complex round-off. Eigenvalues at round-off level
    (negative, or below the precision of the largest) are set to 0 before
    their square roots are taken, and tiny negative round-off in the result
    is clipped to 0.

    The estimate is biased upward, and the bias shrinks as the number of
    images grows. With fewer images than feature dimensions the covariance
    matrices are singular and the bias is large. Compare distances only when
    they were computed with the same ``embedder`` and the same numbers of
    real and generated images; the figures are not comparable with FID
    values published for Inception-v3 features.

    References
    ----------
    .. [1] D. C. Dowson and B. V. Landau, "The Frechet distance between
       multivariate normal distributions", Journal of Multivariate Analysis,
       12(3), 450-455, 1982.
    .. [2] M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler and
       S. Hochreiter, "GANs Trained by a Two Time-Scale Update Rule Converge
       to a Local Nash Equilibrium", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from gansampler import CNNClassifier
    >>> from gansampler.metrics import frechet_distance
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X.reshape(-1, 8, 8)
    >>> clf = CNNClassifier(n_epochs=2, random_state=0).fit(X[:500], y[:500])
    >>> noise = np.random.RandomState(0).uniform(0, 16, size=(250, 8, 8))
    >>> round(frechet_distance(X[:250], X[:250], clf), 6)
    0.0
    >>> held_out = frechet_distance(X[:250], X[250:500], clf)
    >>> held_out < frechet_distance(X[:250], noise, clf)
    True
    """
    if not callable(getattr(embedder, "embed", None)):
        raise TypeError(
            "embedder must be a fitted estimator with an embed(X) method that "
            "returns features of shape (n_images, n_features), such as a "
            f"fitted CNNClassifier; got an object of type "
            f"{type(embedder).__name__} without one."
        )
    _check_count(_n_images(X_real), "X_real")
    _check_count(_n_images(X_fake), "X_fake")
    if hasattr(embedder, "fit"):
        check_is_fitted(embedder)

    features_real = _features(embedder, X_real, "X_real")
    features_fake = _features(embedder, X_fake, "X_fake")
    if features_real.shape[1] != features_fake.shape[1]:
        raise ValueError(
            f"embedder gave X_real {features_real.shape[1]} features per image "
            f"and X_fake {features_fake.shape[1]}; both sets must be images "
            "the embedder maps to the same feature space."
        )

    mean_real, cov_real = _gaussian(features_real)
    mean_fake, cov_fake = _gaussian(features_fake)
    diff = mean_real - mean_fake
    distance = (
        diff @ diff
        + np.trace(cov_real)
        + np.trace(cov_fake)
        - 2.0 * _trace_sqrt_product(cov_real, cov_fake)
    )
    return max(float(distance), 0.0)
