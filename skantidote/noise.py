"""Synthetic label noise and target corruption.

Helpers to corrupt the labels of a clean data set in the ways used by the
noisy-label literature, so that a pipeline (or a noise-robust estimator such as
the ANTIDOTE classifier) can be stress-tested against a known ground truth, and
to corrupt the numeric targets of a regression data set in the same spirit
(:func:`outlier_targets`, :func:`shifted_targets`, :func:`swapped_targets`,
described at the end).

Every label-noise function returns a pair ``(y_noisy, noise_mask)``:

* ``y_noisy`` is a new NumPy array with the same dtype and label values as the
  input (strings, integers or any other sortable labels);
* ``noise_mask`` is a boolean array, ``True`` exactly where
  ``y_noisy != y``.

The input labels are never modified. Class order, wherever it matters (pair
flips, rows of a transition matrix), is the sorted order of the unique labels,
as in ``numpy.unique`` and scikit-learn's ``classes_``.

Randomness comes only from the ``random_state`` argument (``None``, an int, or a
``numpy.random.RandomState``), turned into a generator with
:func:`sklearn.utils.check_random_state`. The global NumPy random state is never
used or advanced: ``random_state=None`` draws from a fresh, unpredictably seeded
generator.

Conventions (see arXiv:2508.06622 and the papers it compares against):

* symmetric noise of rate ``eta``: in every class ``k`` exactly
  ``int(eta * n_k)`` samples are relabelled to a uniformly random *other*
  class, so the actual noise rate is ``eta`` up to rounding down;
* pair noise: the same counts, moved from class ``k`` to class ``k + 1``
  (modulo the number of classes);
* CIFAR-10 asymmetric noise: truck -> automobile, bird -> airplane,
  deer -> horse, cat <-> dog, ``int(eta * n_k)`` samples of each source class;
* class-conditional noise from an arbitrary transition matrix
  (:func:`transition_noise`), or from a random one drawn by
  :func:`random_noise_matrix` (row-stochastic, a chosen prior-weighted average
  noise rate, every class keeping most of its labels, some confusions exactly
  zero), both at once in :func:`class_conditional_noise`;
* instance-dependent noise, where the flip probability depends on ``x``.

Regression targets (1-D of shape ``(n_samples,)`` or multi-output of shape
``(n_samples, n_outputs)``) are corrupted a whole row at a time, in exactly
``round(rate * n_samples)`` rows chosen uniformly at random (a rate over all rows,
rounded as in :func:`instance_noise`):

* :func:`outlier_targets`: the rows' targets are replaced by wide uniform draws
  around the mean (sensor glitches);
* :func:`shifted_targets`: the rows are moved up or down by a fixed number of
  standard deviations (unit mix-ups, offsets);
* :func:`swapped_targets`: the rows exchange their targets among themselves
  (values typed into the wrong row, copy-paste shifts).

They return ``(y_corrupted, is_corrupted)``: ``y_corrupted`` holds float64 values
in ``y``'s container (a pandas Series or DataFrame keeps its index and names,
anything else becomes a NumPy array of ``y``'s shape), and ``is_corrupted`` is a
boolean NumPy array of shape ``(n_samples,)``, ``True`` exactly where a row's
targets changed (so a swap between rows with equal targets is not counted).
``rate`` lies in ``[0, 1)``, as for the labels, and the input is never modified.
Standard deviations are those of the clean ``y``, per output column, as
``numpy.std`` computes them (``ddof=0``).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils import check_array, check_random_state

from skantidote.exceptions import external_stacklevel
from skantidote.validation import check_missing_labels, check_positive_int, check_real

__all__ = [
    "symmetric_noise",
    "pair_noise",
    "transition_noise",
    "random_noise_matrix",
    "class_conditional_noise",
    "instance_noise",
    "cifar10_asymmetric_noise",
    "outlier_targets",
    "shifted_targets",
    "swapped_targets",
    "CIFAR10_ASYMMETRIC_MAP",
]

#: Source class -> target class of the CIFAR-10 asymmetric noise model, with the
#: usual class indices (0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog,
#: 6 frog, 7 horse, 8 ship, 9 truck).
CIFAR10_ASYMMETRIC_MAP: dict[int, int] = {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------


#: Symmetric and pair noise flip ``int(rate * n_k)`` rows of every class ``k``; below this
#: share of ``rate`` the rounding has eaten the noise (small classes), and they warn.
ROUNDING_SHORTFALL_WARNING = 0.9


def _rng(random_state):
    """Return a RandomState without ever touching NumPy's global generator."""
    if random_state is None or random_state is np.random:
        return np.random.RandomState()
    return check_random_state(random_state)


def _check_labels(y, name="y"):
    """Return ``y`` as a 1-D NumPy array (lists, arrays, pandas Series) of labels, none
    missing: a NaN is no class (it is not even equal to itself)."""
    y_arr = np.asarray(y)
    if y_arr.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-D array of labels, got an array of shape {y_arr.shape}; "
            "pass a 1-D sequence such as a list, a 1-D NumPy array or a pandas Series."
        )
    check_missing_labels(y_arr)
    return y_arr


def _encode(y, min_classes=2):
    """Sorted unique classes and the integer code of every label."""
    try:
        classes, codes = np.unique(y, return_inverse=True)
    except TypeError as exc:
        raise TypeError(
            f"the labels in y cannot be sorted ({exc}); use labels of a single type, "
            "for example all strings or all integers."
        ) from exc
    if len(classes) < min_classes:
        raise ValueError(
            f"y must contain at least {min_classes} distinct classes to inject label "
            f"noise, got {len(classes)} ({classes.tolist()!r})."
        )
    return classes, codes.reshape(-1)


def _check_rate(rate):
    """Validate a noise rate: a real number in [0, 1)."""
    if (
        isinstance(rate, (bool, np.bool_))
        or not isinstance(rate, numbers.Real)
        or not np.isfinite(rate)
        or not 0 <= rate < 1
    ):
        shown = rate.item() if isinstance(rate, np.generic) else rate
        raise ValueError(f"rate must be a real number in [0, 1), got {shown!r}.")
    return float(rate)


def _per_class_flips(codes, n_classes, rate, rng, target):
    """Flip exactly ``int(rate * n_k)`` samples of every class ``k``.

    ``target(k, m)`` returns the ``m`` new class codes for class ``k``.
    """
    noisy = codes.copy()
    for k in range(n_classes):
        idx = np.flatnonzero(codes == k)
        m = int(rate * idx.size)
        if m == 0:
            continue
        chosen = rng.choice(idx, size=m, replace=False)
        noisy[chosen] = target(k, m)
    flipped = float(np.mean(noisy != codes))
    if flipped < ROUNDING_SHORTFALL_WARNING * rate:
        smallest = int(np.bincount(codes, minlength=n_classes).min())
        warnings.warn(
            f"rate={rate:g} corrupted {flipped:.1%} of the labels: each class flips "
            f"int(rate * its rows) of its rows, which rounds down to few or none in small "
            f"classes (the smallest has {smallest} rows). Use a larger rate or more rows per "
            "class, or transition_noise with a noise matrix (which draws each row's label).",
            UserWarning,
            stacklevel=external_stacklevel(),
        )
    return noisy


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def symmetric_noise(y, rate, *, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Inject symmetric (uniform) label noise.

    In every class ``k`` (with ``n_k`` samples) exactly ``int(rate * n_k)``
    samples, chosen uniformly at random, are relabelled to a class drawn
    uniformly from the *other* classes. The fraction of corrupted labels is
    therefore ``rate`` up to rounding down, and a label is never "flipped" to
    itself.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Clean labels: a list, NumPy array or pandas Series of any sortable
        labels (integers, strings, ...). At least two distinct classes.
    rate : float
        Fraction of each class to corrupt, in ``[0, 1)``.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator. ``None`` uses a fresh, unpredictably seeded
        generator; the global NumPy random state is never used.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        Noisy labels, same dtype and label values as ``y``.
    noise_mask : ndarray of bool, shape (n_samples,)
        ``True`` where the label was changed (``y_noisy != y``).

    See Also
    --------
    pair_noise : Structured class ``k -> k + 1`` noise.
    transition_noise : Noise from an arbitrary transition matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.noise import symmetric_noise
    >>> y = np.repeat(["cat", "dog", "fish"], 10)
    >>> y_noisy, mask = symmetric_noise(y, 0.3, random_state=0)
    >>> int(mask.sum())
    9
    >>> bool(np.all(y_noisy[mask] != y[mask]))
    True
    >>> [int(mask[y == c].sum()) for c in ["cat", "dog", "fish"]]
    [3, 3, 3]
    """
    y = _check_labels(y)
    rate = _check_rate(rate)
    classes, codes = _encode(y)
    n_classes = len(classes)
    rng = _rng(random_state)

    def target(k, m):
        # uniform over the K - 1 classes other than k
        return (k + rng.randint(1, n_classes, size=m)) % n_classes

    noisy_codes = _per_class_flips(codes, n_classes, rate, rng, target)
    return classes[noisy_codes], noisy_codes != codes


def pair_noise(y, rate, *, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Inject pair-flip noise: class ``k`` becomes class ``k + 1`` (mod ``K``).

    Classes are ordered as ``numpy.unique(y)`` orders them. In every class
    ``k`` exactly ``int(rate * n_k)`` samples, chosen uniformly at random, are
    relabelled to the next class; the last class wraps around to the first.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Clean labels (list, NumPy array or pandas Series), at least two
        distinct classes.
    rate : float
        Fraction of each class to corrupt, in ``[0, 1)``. Note that for
        ``rate >= 0.5`` the corrupted labels of a class outnumber its clean
        ones.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator. ``None`` uses a fresh, unpredictably seeded
        generator; the global NumPy random state is never used.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        Noisy labels, same dtype and label values as ``y``.
    noise_mask : ndarray of bool, shape (n_samples,)
        ``True`` where the label was changed.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.noise import pair_noise
    >>> y = np.array([0] * 10 + [1] * 10 + [2] * 10)
    >>> y_noisy, mask = pair_noise(y, 0.2, random_state=0)
    >>> y_noisy[mask].tolist()  # class 0 -> 1, 1 -> 2, 2 -> 0
    [1, 1, 2, 2, 0, 0]
    """
    y = _check_labels(y)
    rate = _check_rate(rate)
    classes, codes = _encode(y)
    n_classes = len(classes)
    rng = _rng(random_state)

    def target(k, m):
        return np.full(m, (k + 1) % n_classes)

    noisy_codes = _per_class_flips(codes, n_classes, rate, rng, target)
    return classes[noisy_codes], noisy_codes != codes


def transition_noise(
    y, transition_matrix, *, classes=None, random_state=None
) -> tuple[np.ndarray, np.ndarray]:
    """Inject class-conditional noise from a transition matrix.

    Each sample of true class ``i`` receives, independently, the noisy class
    ``j`` with probability ``T[i, j] = P(noisy = j | true = i)``. Unlike
    :func:`symmetric_noise`, the number of flipped samples is random (its
    expectation in class ``i`` is ``n_i * (1 - T[i, i])``).

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Clean labels (list, NumPy array or pandas Series).
    transition_matrix : array-like of shape (n_classes, n_classes)
        Row-stochastic matrix: non-negative entries, every row summing to 1
        (within ``1e-8``). Row and column ``i`` refer to ``classes[i]``.
    classes : array-like of shape (n_classes,), default=None
        The label of each row/column of ``transition_matrix``. It must contain
        every label of ``y`` and may contain labels absent from ``y`` (which
        can then appear in ``y_noisy``). ``None`` means the sorted unique
        labels of ``y``.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator. ``None`` uses a fresh, unpredictably seeded
        generator; the global NumPy random state is never used.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        Noisy labels, taken from ``classes`` (with its dtype).
    noise_mask : ndarray of bool, shape (n_samples,)
        ``True`` where the label was changed.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.noise import transition_noise
    >>> T = np.array([[0.8, 0.2, 0.0],
    ...               [0.0, 1.0, 0.0],
    ...               [0.0, 0.3, 0.7]])
    >>> y = np.repeat(["a", "b", "c"], 1000)
    >>> y_noisy, mask = transition_noise(y, T, random_state=0)
    >>> sorted(set(y_noisy[y == "a"].tolist()))
    ['a', 'b']
    >>> bool(mask[y == "b"].any())
    False
    >>> bool(abs(mask[y == "c"].mean() - 0.3) < 0.05)
    True
    """
    y = _check_labels(y)
    if classes is None:
        classes, codes = _encode(y)
    else:
        classes = _check_labels(classes, name="classes")
        if len(classes) < 2:
            raise ValueError(
                f"classes must list at least 2 distinct classes, got {classes.tolist()!r}."
            )
        try:
            order = np.argsort(classes, kind="stable")
        except TypeError as exc:
            raise TypeError(
                f"the labels in classes cannot be sorted ({exc}); use labels of a single type."
            ) from exc
        sorted_classes = classes[order]
        if np.any(sorted_classes[1:] == sorted_classes[:-1]):
            raise ValueError(f"classes must not contain duplicates, got {classes.tolist()!r}.")
        pos = np.clip(np.searchsorted(sorted_classes, y), 0, len(classes) - 1)
        unknown = sorted_classes[pos] != y
        if np.any(unknown):
            missing = np.unique(y[unknown]).tolist()
            raise ValueError(
                f"y contains labels {missing!r} that are not in classes "
                f"{classes.tolist()!r}; classes must contain every label of y."
            )
        codes = order[pos]

    n_classes = len(classes)
    T = np.asarray(transition_matrix, dtype=float)
    if T.ndim != 2 or T.shape[0] != T.shape[1]:
        raise ValueError(f"transition_matrix must be a square 2-D array, got shape {T.shape}.")
    if T.shape[0] != n_classes:
        raise ValueError(
            f"transition_matrix has shape {T.shape} but there are {n_classes} classes "
            f"({classes.tolist()!r}); it must have shape ({n_classes}, {n_classes})."
        )
    if not np.all(np.isfinite(T)) or np.any(T < 0):
        bad = np.argwhere(~np.isfinite(T) | (T < 0))[0]
        raise ValueError(
            "transition_matrix entries must be finite and non-negative, got "
            f"T[{bad[0]}, {bad[1]}] = {float(T[bad[0], bad[1]])!r}."
        )
    row_sums = T.sum(axis=1)
    bad_rows = np.flatnonzero(np.abs(row_sums - 1.0) > 1e-8)
    if bad_rows.size:
        i = int(bad_rows[0])
        raise ValueError(
            "every row of transition_matrix must sum to 1 (within 1e-8), but row "
            f"{i} sums to {float(row_sums[i])!r}."
        )

    rng = _rng(random_state)
    noisy_codes = codes.copy()
    for i in range(n_classes):
        idx = np.flatnonzero(codes == i)
        if idx.size == 0:
            continue
        cdf = np.cumsum(T[i])
        cdf[-1] = 1.0
        # side="right" never selects a zero-probability class
        draws = np.searchsorted(cdf, rng.random_sample(idx.size), side="right")
        noisy_codes[idx] = np.minimum(draws, n_classes - 1)
    return classes[noisy_codes], noisy_codes != codes


#: Largest per-class noise rate :func:`random_noise_matrix` draws: every class keeps
#: more than half of its labels (``T[i, i] > 1/2``), so the noise stays learnable.
_MAX_CLASS_NOISE = 0.5


def _check_prior(class_prior, n_classes):
    """A probability vector of length ``n_classes`` (uniform when ``None``)."""
    if class_prior is None:
        return np.full(n_classes, 1.0 / n_classes)
    p = np.asarray(class_prior, dtype=float)
    if p.shape != (n_classes,):
        raise ValueError(
            f"class_prior must have shape ({n_classes},) (one probability per class), "
            f"got shape {p.shape}."
        )
    if not np.all(np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1.0) > 1e-8:
        raise ValueError(
            "class_prior must be a probability vector: finite, non-negative entries "
            f"summing to 1 (within 1e-8), got {p.tolist()!r} (sum {float(p.sum())!r})."
        )
    return p


def random_noise_matrix(
    n_classes, noise_rate, *, frac_zero_noise_rates=0.0, class_prior=None, random_state=None
) -> np.ndarray:
    """Draw a random class-conditional noise (transition) matrix.

    The matrix follows :func:`transition_noise`'s convention, so it can be passed
    to it directly: it is *row-stochastic*, ``T[i, j] = P(noisy = j | true = i)``,
    every row summing to 1. Its construction:

    1. Per-class noise rates ``r_i = 1 - T[i, i]`` vary randomly around
       ``noise_rate``: ``r_i = noise_rate + s * c_i`` with ``c_i = u_i - sum_k
       p_k u_k``, ``u_i`` uniform on ``[-1, 1]`` and ``p = class_prior``, so the
       prior-weighted average noise rate ``sum_i p_i r_i`` is exactly
       ``noise_rate`` (up to float rounding, well below ``1e-9``). The spread
       ``s`` is ``noise_rate / 2`` (rates roughly within ``[0, 2 * noise_rate]``),
       shrunk as needed to keep every ``r_i`` strictly inside ``(0, 1/2)``.
    2. The floor: every class keeps more than half of its labels,
       ``T[i, i] > 1/2``, hence every diagonal entry exceeds every off-diagonal
       entry of its row and the noise stays learnable. ``noise_rate`` must
       therefore be below ``1/2``.
    3. ``round(frac_zero_noise_rates * K * (K - 1))`` of the ``K * (K - 1)``
       off-diagonal entries (``K = n_classes``; halves rounded up) are exactly 0,
       chosen at random, but every row keeps at least one non-zero off-diagonal
       entry when ``noise_rate > 0``, so at most ``K * (K - 2)`` entries are zeroed
       (a larger fraction behaves like ``(K - 2) / (K - 1)``). When
       ``noise_rate == 0`` the result is the identity matrix.
    4. Each row's noise mass ``r_i`` is split over its remaining off-diagonal
       entries with uniform (Dirichlet(1)) weights: a few classes are confused
       with a few others.

    Parameters
    ----------
    n_classes : int
        Number of classes ``K``, at least 2.
    noise_rate : float
        Prior-weighted average noise rate, ``sum_i p_i (1 - T[i, i])``, in
        ``[0, 1/2)``.
    frac_zero_noise_rates : float, default=0.0
        Fraction of the off-diagonal entries that are exactly 0, in ``[0, 1]``
        (rounded to whole entries as described above).
    class_prior : array-like of shape (n_classes,), default=None
        Probability of each true class, weighting the average noise rate.
        ``None`` means uniform.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator. ``None`` uses a fresh, unpredictably seeded
        generator; the global NumPy random state is never used.

    Returns
    -------
    noise_matrix : ndarray of shape (n_classes, n_classes)
        Row-stochastic matrix, ``T[i, j] = P(noisy = j | true = i)``.

    See Also
    --------
    transition_noise : Inject noise from such a matrix.
    class_conditional_noise : Draw a matrix and inject its noise in one call.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.noise import random_noise_matrix
    >>> T = random_noise_matrix(4, 0.3, frac_zero_noise_rates=0.5, random_state=0)
    >>> T.shape, bool(np.allclose(T.sum(axis=1), 1.0))
    ((4, 4), True)
    >>> round(float(1 - np.trace(T) / 4), 12)  # the average noise rate under a uniform prior
    0.3
    >>> int(np.sum(T[~np.eye(4, dtype=bool)] == 0))  # half of the 12 off-diagonal entries
    6
    >>> bool(np.all(np.diag(T) > 0.5))
    True
    """
    n_classes = check_positive_int("n_classes", n_classes, minimum=2)
    noise_rate = check_real("noise_rate", noise_rate, 0.0, _MAX_CLASS_NOISE, high_open=True)
    frac = check_real("frac_zero_noise_rates", frac_zero_noise_rates, 0.0, 1.0)
    p = _check_prior(class_prior, n_classes)
    rng = _rng(random_state)
    T = np.eye(n_classes)
    if noise_rate == 0:
        return T

    # 1-2. per-class rates with prior-weighted mean noise_rate, strictly inside (0, 1/2)
    u = rng.uniform(-1.0, 1.0, size=n_classes)
    c = u - p @ u
    spread = noise_rate / 2
    with np.errstate(divide="ignore"):
        up = np.where(c > 0, (_MAX_CLASS_NOISE - noise_rate) / c, np.inf)
        down = np.where(c < 0, noise_rate / -c, np.inf)
    spread = min(spread, 0.99 * up.min(), 0.99 * down.min())
    rates = noise_rate + spread * c
    rates += noise_rate - p @ rates  # remove the float rounding of p @ c == 0

    # 3. zero entries: every row keeps one random off-diagonal entry non-zero
    n_off = n_classes * (n_classes - 1)
    n_zero = min(int(np.floor(frac * n_off + 0.5)), n_classes * (n_classes - 2))
    keep = np.zeros((n_classes, n_classes), dtype=bool)
    for i in range(n_classes):
        others = np.delete(np.arange(n_classes), i)
        keep[i, rng.choice(others)] = True
    candidates = np.flatnonzero(~keep & ~np.eye(n_classes, dtype=bool))
    zeroed = np.zeros(n_classes * n_classes, dtype=bool)
    zeroed[rng.choice(candidates, size=n_zero, replace=False)] = True
    nonzero = ~zeroed.reshape(n_classes, n_classes) & ~np.eye(n_classes, dtype=bool)

    # 4. split each row's noise over its non-zero off-diagonal entries
    for i in range(n_classes):
        cols = np.flatnonzero(nonzero[i])
        T[i, cols] = rates[i] * rng.dirichlet(np.ones(cols.size))
        T[i, i] = 1.0 - rates[i]
    return T


def class_conditional_noise(
    y, noise_rate, *, frac_zero_noise_rates=0.5, random_state=None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Inject class-conditional noise from a randomly drawn noise matrix.

    Draws ``T = random_noise_matrix(K, noise_rate, ...)`` with the empirical class
    frequencies of ``y`` as ``class_prior`` (so the expected fraction of
    corrupted labels is ``noise_rate``), then relabels every sample of class
    ``i`` independently to class ``j`` with probability ``T[i, j]``, as
    :func:`transition_noise` does. The matrix is returned too, so that
    benchmarks can compare estimated against true per-class noise.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Clean labels (list, NumPy array or pandas Series), at least two
        distinct classes.
    noise_rate : float
        Expected fraction of corrupted labels, in ``[0, 1/2)``.
    frac_zero_noise_rates : float, default=0.5
        Fraction of the off-diagonal entries of the matrix that are 0, in
        ``[0, 1]``; see :func:`random_noise_matrix`.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator, used both for the matrix and for the labels.
        ``None`` uses a fresh, unpredictably seeded generator; the global NumPy
        random state is never used.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        Noisy labels, same dtype and label values as ``y``.
    noise_mask : ndarray of bool, shape (n_samples,)
        ``True`` where the label was changed.
    noise_matrix : ndarray of shape (n_classes, n_classes)
        The row-stochastic matrix used, ``T[i, j] = P(noisy = j | true = i)``,
        rows and columns in the order of ``numpy.unique(y)``.

    See Also
    --------
    random_noise_matrix : How the matrix is drawn.
    transition_noise : Noise from a given matrix.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.noise import class_conditional_noise
    >>> y = np.repeat(["a", "b", "c"], 2000)
    >>> y_noisy, mask, T = class_conditional_noise(y, 0.2, random_state=0)
    >>> bool(abs(mask.mean() - 0.2) < 0.03)
    True
    >>> observed = [np.mean(y_noisy[y == c] != c) for c in ["a", "b", "c"]]
    >>> bool(np.allclose(observed, 1 - np.diag(T), atol=0.03))
    True
    """
    y = _check_labels(y)
    classes, codes = _encode(y)
    rng = _rng(random_state)
    prior = np.bincount(codes, minlength=len(classes)) / codes.size
    T = random_noise_matrix(
        len(classes),
        noise_rate,
        frac_zero_noise_rates=frac_zero_noise_rates,
        class_prior=prior,
        random_state=rng,
    )
    y_noisy, mask = transition_noise(y, T, classes=classes, random_state=rng)
    return y_noisy, mask, T


def instance_noise(X, y, rate, *, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Inject instance-dependent noise: confusable samples flip more often.

    The scheme:

    1. Standardise ``X`` and fit a multinomial
       :class:`~sklearn.linear_model.LogisticRegression` (``C=1``) on
       ``(X, y)``; let ``p[i, j]`` be its predicted probability of class
       ``j`` for sample ``i``.
    2. For every sample, its *most confusable other class* is
       ``c_i = argmax_{j != y_i} p[i, j]`` and its *confusability* is
       ``s_i = p[i, c_i]``.
    3. Exactly ``round(rate * n_samples)`` samples are drawn without
       replacement, with probability proportional to ``s_i`` (weighted
       sampling in the sense of Efraimidis & Spirakis, 2006), and each drawn
       sample is relabelled to ``c_i``.

    So samples near a decision boundary are the likeliest to be mislabelled,
    and always to the class they resemble most, which mimics human annotation
    errors better than class-conditional noise. Per-class counts are not
    fixed.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Numeric features used to judge how confusable each sample is.
    y : array-like of shape (n_samples,)
        Clean labels (list, NumPy array or pandas Series), at least two
        distinct classes.
    rate : float
        Fraction of *all* samples to corrupt, in ``[0, 1)``.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator for the sampling. ``None`` uses a fresh,
        unpredictably seeded generator; the global NumPy random state is never
        used. (The logistic-regression fit itself is deterministic.)

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        Noisy labels, same dtype and label values as ``y``.
    noise_mask : ndarray of bool, shape (n_samples,)
        ``True`` where the label was changed.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skantidote.noise import instance_noise
    >>> X, y = load_iris(return_X_y=True)
    >>> y_noisy, mask = instance_noise(X, y, 0.2, random_state=0)
    >>> int(mask.sum())
    30
    >>> # most flips hit the overlapping classes versicolor (1) and virginica (2)
    >>> bool(mask[y == 0].sum() < mask[y != 0].sum() / 3)
    True
    """
    y = _check_labels(y)
    rate = _check_rate(rate)
    X = check_array(X, accept_sparse=("csr", "csc"), dtype=np.float64)
    if X.shape[0] != y.shape[0]:
        raise ValueError(
            f"X and y have inconsistent numbers of samples: X has {X.shape[0]} rows, "
            f"y has {y.shape[0]} labels."
        )
    classes, codes = _encode(y)
    n_samples = y.shape[0]
    rng = _rng(random_state)

    X_scaled = StandardScaler(with_mean=not sparse.issparse(X)).fit_transform(X)
    clf = LogisticRegression(C=1.0, max_iter=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=ConvergenceWarning)
        clf.fit(X_scaled, codes)
    proba = clf.predict_proba(X_scaled)  # columns follow codes 0..K-1

    other = proba.copy()
    other[np.arange(n_samples), codes] = -np.inf
    confusable_class = np.argmax(other, axis=1)
    score = other[np.arange(n_samples), confusable_class]

    m = int(round(rate * n_samples))
    # Efraimidis-Spirakis: keep the m largest keys log(u) / w. Samples with a
    # zero score come last, in random order (second sort key).
    with np.errstate(divide="ignore"):
        keys = np.where(score > 0, np.log(rng.random_sample(n_samples)) / score, -np.inf)
    order = np.lexsort((rng.random_sample(n_samples), -keys))
    flipped = order[:m]

    noisy_codes = codes.copy()
    noisy_codes[flipped] = confusable_class[flipped]
    return classes[noisy_codes], noisy_codes != codes


def cifar10_asymmetric_noise(y, rate, *, random_state=None) -> tuple[np.ndarray, np.ndarray]:
    """Inject the standard CIFAR-10 asymmetric (class-dependent) noise.

    With the usual CIFAR-10 class indices, truck (9) -> automobile (1),
    bird (2) -> airplane (0), deer (4) -> horse (7), cat (3) -> dog (5) and
    dog (5) -> cat (3) (see :data:`CIFAR10_ASYMMETRIC_MAP`). For each of these
    source classes exactly ``int(rate * n_k)`` samples, chosen uniformly at
    random, are relabelled; the other classes are left untouched, so the
    overall noise rate is about ``rate / 2`` on balanced data.

    Parameters
    ----------
    y : array-like of int, shape (n_samples,)
        Clean CIFAR-10 labels, integers in ``0..9``.
    rate : float
        Fraction of each source class to corrupt, in ``[0, 1)``.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator. ``None`` uses a fresh, unpredictably seeded
        generator; the global NumPy random state is never used.

    Returns
    -------
    y_noisy : ndarray of shape (n_samples,)
        Noisy labels, same dtype as ``y``.
    noise_mask : ndarray of bool, shape (n_samples,)
        ``True`` where the label was changed.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.noise import cifar10_asymmetric_noise
    >>> y = np.repeat(np.arange(10), 100)
    >>> y_noisy, mask = cifar10_asymmetric_noise(y, 0.4, random_state=0)
    >>> [int(mask[y == k].sum()) for k in range(10)]
    [0, 0, 40, 40, 40, 40, 0, 0, 0, 40]
    >>> sorted(set(y_noisy[(y == 9) & mask].tolist()))
    [1]
    """
    y = _check_labels(y)
    rate = _check_rate(rate)
    if y.dtype.kind not in "iu":
        raise ValueError(
            f"y must hold integer CIFAR-10 class indices 0..9, got an array of dtype "
            f"{y.dtype}; encode the labels as integers first."
        )
    out_of_range = (y < 0) | (y > 9)
    if np.any(out_of_range):
        bad = np.unique(y[out_of_range]).tolist()
        raise ValueError(f"y must hold CIFAR-10 class indices in 0..9, got values {bad!r}.")
    rng = _rng(random_state)
    noisy = y.copy()
    for source, target in CIFAR10_ASYMMETRIC_MAP.items():
        idx = np.flatnonzero(y == source)
        m = int(rate * idx.size)
        if m:
            noisy[rng.choice(idx, size=m, replace=False)] = target
    return noisy, noisy != y


# ---------------------------------------------------------------------------
# regression targets
# ---------------------------------------------------------------------------


def _check_targets(y) -> np.ndarray:
    """Return numeric, finite targets as a new 2-D float64 array (n_samples, n_outputs)."""
    if isinstance(y, (pd.Series, pd.DataFrame)):
        dtypes = {y.name: y.dtype} if isinstance(y, pd.Series) else dict(y.dtypes.items())
        for column, dtype in dtypes.items():
            # .kind covers NumPy and pandas' nullable Int64/Float64 dtypes alike
            if getattr(dtype, "kind", "O") not in "iuf":
                where = "y" if isinstance(y, pd.Series) else f"column {column!r} of y"
                raise ValueError(
                    f"regression targets must be numeric, but {where} has dtype {dtype}; "
                    "convert it to numbers (for example with astype(float)) first."
                )
        # nullable dtypes' missing values become NaN and are reported as non-finite below
        values = y.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = np.asarray(y)
        if values.dtype.kind not in "iuf":
            raise ValueError(
                f"regression targets must be numeric (an integer or float dtype), got an "
                f"array of dtype {values.dtype}; convert it to numbers (for example with "
                "astype(float)) first."
            )
        # always a copy, so the caller's array is never written to
        values = values.astype(np.float64)
    if values.ndim not in (1, 2) or values.ndim == 2 and values.shape[1] == 0:
        raise ValueError(
            "y must have shape (n_samples,) or (n_samples, n_outputs) with at least one "
            f"output, got shape {values.shape}."
        )
    if values.shape[0] == 0:
        raise ValueError("y is empty: there are no targets to corrupt.")
    values = values.reshape(values.shape[0], -1)
    bad_rows = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
    if bad_rows.size:
        row = int(bad_rows[0])
        shown = values[row].tolist() if values.shape[1] > 1 else float(values[row, 0])
        raise ValueError(
            f"regression targets must be finite, but {bad_rows.size} row(s) of y hold NaN, "
            f"infinite or missing values, first at row position {row} ({shown!r}); drop or "
            "impute them first."
        )
    return values


def _like(values: np.ndarray, y):
    """Put 2-D float64 ``values`` back in the shape and container of the original ``y``."""
    if isinstance(y, pd.DataFrame):
        return pd.DataFrame(values, index=y.index, columns=y.columns)
    if isinstance(y, pd.Series):
        return pd.Series(values[:, 0], index=y.index, name=y.name)
    return values.reshape(np.shape(y))


def _n_corrupted(rate: float, n_samples: int) -> int:
    """The number of rows to corrupt, rounded as :func:`instance_noise` rounds it."""
    return int(round(rate * n_samples))


def _spread(values: np.ndarray, factor: float, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean of ``values`` and ``factor`` standard deviations, both finite."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = values.mean(axis=0)
        std = values.std(axis=0)
        spread = factor * std
        peak = np.abs(values).max(axis=0)
        # bounds every shifted value, every outlier bound and the outliers' range width
        extreme = peak + 2 * spread
    for j in range(values.shape[1]):
        where = "y" if values.shape[1] == 1 else f"the column at position {j} of y"
        if std[j] == 0:
            raise ValueError(
                f"{where} is constant (standard deviation 0): {name} is measured in "
                "standard deviations of the targets, so there is nothing to scale it by."
            )
        if not np.isfinite(extreme[j]):
            raise ValueError(
                f"{name}={factor!r} standard deviations of {where} do not fit in float64 "
                f"(its values reach {float(peak[j]):.3g}); rescale y or use a smaller {name}."
            )
    return mean, spread


def _derangement(m: int, rng: np.random.RandomState) -> np.ndarray:
    """A uniformly random permutation of ``range(m)`` without fixed points, for ``m != 1``.

    Rejection sampling: a random permutation has no fixed point with probability about
    ``1/e``, so this takes about 2.7 draws on average, and every derangement is equally
    likely (unlike Sattolo's algorithm, which only makes single cycles).
    """
    identity = np.arange(m)
    while True:
        perm = rng.permutation(m)
        if not np.any(perm == identity):
            return perm


def outlier_targets(
    y, rate: float, *, scale: float = 10.0, random_state=None
) -> tuple[np.ndarray | pd.Series | pd.DataFrame, np.ndarray]:
    """Replace the targets of random rows by wide uniform draws ("sensor glitches").

    Exactly ``round(rate * n_samples)`` rows, chosen uniformly at random, get new
    targets drawn independently, per output column ``j``, from the uniform
    distribution on ``[mean_j - scale * std_j, mean_j + scale * std_j]``, where
    ``mean_j`` and ``std_j`` are the mean and standard deviation (``ddof=0``) of
    column ``j`` of the clean ``y``.

    A uniform rather than a Gaussian draw: a glitching sensor reports anything in
    its range, and bounded draws put a known ceiling (``scale`` standard
    deviations) on the damage a single row can do to a squared loss, so that runs
    with different seeds stay comparable. Most draws are far from the clean
    targets (a fraction ``1 - k / scale`` lies more than ``k`` standard deviations
    from the mean), a few land among them by chance; those rows are still marked
    as corrupted, since their targets changed.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Clean numeric, finite targets: a list, NumPy array, pandas Series or
        DataFrame. No column may be constant.
    rate : float
        Fraction of the rows to corrupt, in ``[0, 1)``.
    scale : float, default=10.0
        Half-width of the uniform distribution, in standard deviations of ``y``;
        positive and finite.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator. ``None`` uses a fresh, unpredictably seeded
        generator; the global NumPy random state is never used.

    Returns
    -------
    y_corrupted : ndarray, pandas.Series or pandas.DataFrame
        Float64 targets of ``y``'s shape; a Series or DataFrame keeps its index
        and names, any other input gives a NumPy array.
    is_corrupted : ndarray of bool, shape (n_samples,)
        ``True`` exactly for the rows whose targets changed.

    See Also
    --------
    shifted_targets : Move rows by a fixed number of standard deviations.
    swapped_targets : Exchange targets between rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.noise import outlier_targets
    >>> y = np.linspace(0.0, 1.0, 100)
    >>> y_corrupted, is_corrupted = outlier_targets(y, 0.2, random_state=0)
    >>> int(is_corrupted.sum())
    20
    >>> bool(np.all(y_corrupted[~is_corrupted] == y[~is_corrupted]))
    True
    >>> distance = np.abs(y_corrupted[is_corrupted] - y.mean()) / y.std()
    >>> bool(distance.max() <= 10.0), int(np.sum(distance > 3))  # most land far away
    (True, 14)
    """
    rate = _check_rate(rate)
    scale = check_real("scale", scale, 0.0, low_open=True)
    values = _check_targets(y)
    mean, spread = _spread(values, scale, "scale")
    rng = _rng(random_state)
    n_samples, n_outputs = values.shape
    chosen = rng.choice(n_samples, size=_n_corrupted(rate, n_samples), replace=False)
    corrupted = values.copy()
    corrupted[chosen] = rng.uniform(mean - spread, mean + spread, size=(chosen.size, n_outputs))
    return _like(corrupted, y), np.any(corrupted != values, axis=1)


def shifted_targets(
    y, rate: float, *, shift: float = 3.0, random_state=None
) -> tuple[np.ndarray | pd.Series | pd.DataFrame, np.ndarray]:
    """Move the targets of random rows by a fixed offset ("unit mix-ups, offsets").

    Exactly ``round(rate * n_samples)`` rows, chosen uniformly at random, are
    moved by ``shift * std_j`` in every output column ``j``, where ``std_j`` is
    the standard deviation (``ddof=0``) of column ``j`` of the clean ``y``. Each
    row goes up or down with probability 1/2, the same direction for all its
    outputs (one mistake corrupts the whole record). Random directions keep the
    mean of ``y`` unchanged on average, so the corruption cannot be absorbed into
    a model's intercept and must be found row by row.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Clean numeric, finite targets: a list, NumPy array, pandas Series or
        DataFrame. No column may be constant.
    rate : float
        Fraction of the rows to corrupt, in ``[0, 1)``.
    shift : float, default=3.0
        Size of the offset, in standard deviations of ``y``; positive and finite.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator. ``None`` uses a fresh, unpredictably seeded
        generator; the global NumPy random state is never used.

    Returns
    -------
    y_corrupted : ndarray, pandas.Series or pandas.DataFrame
        Float64 targets of ``y``'s shape; a Series or DataFrame keeps its index
        and names, any other input gives a NumPy array.
    is_corrupted : ndarray of bool, shape (n_samples,)
        ``True`` exactly for the rows whose targets changed. (A shift smaller
        than the float64 resolution of a target, about ``1e-16`` of its
        magnitude, would leave it unchanged and unmarked.)

    See Also
    --------
    outlier_targets : Replace rows by wide random draws.
    swapped_targets : Exchange targets between rows.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skantidote.noise import shifted_targets
    >>> y = pd.Series(np.arange(10.0), index=list("abcdefghij"), name="price")
    >>> y_corrupted, is_corrupted = shifted_targets(y, 0.3, shift=2.0, random_state=0)
    >>> y_corrupted.index.equals(y.index), y_corrupted.name
    (True, 'price')
    >>> y.index[is_corrupted].tolist()
    ['c', 'e', 'i']
    >>> (y_corrupted - y)[is_corrupted] / y.std(ddof=0)
    c   -2.0
    e   -2.0
    i    2.0
    Name: price, dtype: float64
    """
    rate = _check_rate(rate)
    shift = check_real("shift", shift, 0.0, low_open=True)
    values = _check_targets(y)
    _, spread = _spread(values, shift, "shift")
    rng = _rng(random_state)
    n_samples = values.shape[0]
    chosen = rng.choice(n_samples, size=_n_corrupted(rate, n_samples), replace=False)
    signs = rng.choice([-1.0, 1.0], size=(chosen.size, 1))
    corrupted = values.copy()
    corrupted[chosen] += signs * spread
    return _like(corrupted, y), np.any(corrupted != values, axis=1)


def swapped_targets(
    y, rate: float, *, random_state=None
) -> tuple[np.ndarray | pd.Series | pd.DataFrame, np.ndarray]:
    """Exchange the targets of random rows among themselves ("copy-paste shifts").

    Exactly ``round(rate * n_samples)`` rows, chosen uniformly at random, pass
    their targets (whole rows of outputs) on to each other by a uniformly random
    derangement, a permutation without fixed points: no chosen row keeps its own
    targets, and the corrupted targets are the clean values in the wrong rows,
    so their distribution is unchanged and no single value looks suspicious.

    Because a derangement needs at least two rows, ``rate * n_samples`` must
    round to 0 (nothing is corrupted) or to at least 2; a rate that picks a
    single row raises a ``ValueError`` rather than silently doing nothing.

    Tied targets: a chosen row that receives targets equal to its own (another
    row had the same values) is unchanged and is *not* marked as corrupted, so
    ``is_corrupted.sum()`` is ``round(rate * n_samples)`` when the targets of the
    rows are distinct and can be smaller when they repeat.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Clean numeric, finite targets: a list, NumPy array, pandas Series or
        DataFrame.
    rate : float
        Fraction of the rows to corrupt, in ``[0, 1)``.
    random_state : int, numpy.random.RandomState or None, default=None
        Seed or generator. ``None`` uses a fresh, unpredictably seeded
        generator; the global NumPy random state is never used.

    Returns
    -------
    y_corrupted : ndarray, pandas.Series or pandas.DataFrame
        Float64 targets of ``y``'s shape; a Series or DataFrame keeps its index
        and names, any other input gives a NumPy array.
    is_corrupted : ndarray of bool, shape (n_samples,)
        ``True`` exactly for the rows whose targets changed.

    See Also
    --------
    outlier_targets : Replace rows by wide random draws.
    shifted_targets : Move rows by a fixed number of standard deviations.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.noise import swapped_targets
    >>> y = np.arange(10.0)
    >>> y_corrupted, is_corrupted = swapped_targets(y, 0.4, random_state=0)
    >>> y_corrupted.tolist()
    [0.0, 1.0, 8.0, 3.0, 9.0, 5.0, 6.0, 7.0, 4.0, 2.0]
    >>> int(is_corrupted.sum()), sorted(y_corrupted[is_corrupted]) == sorted(y[is_corrupted])
    (4, True)
    """
    rate = _check_rate(rate)
    values = _check_targets(y)
    n_samples = values.shape[0]
    m = _n_corrupted(rate, n_samples)
    if m == 1:
        raise ValueError(
            f"swapped_targets exchanges targets between at least 2 rows, but rate={rate!r} "
            f"of {n_samples} rows picks 1; use a larger rate (rate * n_samples must round "
            "to 0 or to at least 2)."
        )
    rng = _rng(random_state)
    chosen = rng.choice(n_samples, size=m, replace=False)
    corrupted = values.copy()
    corrupted[chosen] = values[chosen[_derangement(m, rng)]]
    return _like(corrupted, y), np.any(corrupted != values, axis=1)
