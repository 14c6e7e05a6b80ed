"""Checks of user input shared by the estimators, with errors that say what to do."""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator

import numpy as np

__all__ = [
    "check_missing_labels",
    "check_positive_int",
    "check_real",
    "check_sizes",
    "naming_non_numeric_columns",
]


@contextlib.contextmanager
def naming_non_numeric_columns(X) -> Iterator[None]:
    """Turn a failed float conversion of ``X`` into an error naming its non-numeric columns.

    Parameters
    ----------
    X : array-like or DataFrame
        The input being converted inside the block.

    Raises
    ------
    ValueError
        Naming the non-numeric columns of a DataFrame and how to encode them.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skantidote.validation import naming_non_numeric_columns
    >>> frame = pd.DataFrame({"age": [30, 40], "job": ["Private", "State"]})
    >>> try:
    ...     with naming_non_numeric_columns(frame):
    ...         np.asarray(frame, dtype=float)
    ... except ValueError as error:
    ...     print(str(error)[:57])
    X must be numeric, but it has values that are not numbers
    """
    try:
        yield
    except ValueError as exc:
        if "could not convert" not in str(exc):
            raise
        columns = []
        dtypes = getattr(X, "dtypes", None)
        if dtypes is not None and hasattr(dtypes, "items"):
            import pandas as pd

            columns = [c for c, dt in dtypes.items() if not pd.api.types.is_numeric_dtype(dt)]
        where = f" in the non-numeric columns {columns!r}" if columns else ""
        raise ValueError(
            f"X must be numeric, but it has values that are not numbers{where} ({exc}). "
            "Encode categorical or text features first, e.g. with OneHotEncoder or "
            "OrdinalEncoder in a ColumnTransformer."
        ) from exc


def check_missing_labels(y) -> None:
    """Raise a ValueError, naming the first, when labels contain None or NaN.

    Parameters
    ----------
    y : array-like
        Labels.

    Examples
    --------
    >>> from skantidote.validation import check_missing_labels
    >>> try:
    ...     check_missing_labels(["a", None])
    ... except ValueError as error:
    ...     print(str(error)[:64])
    Input y contains 1 missing labels (None or NaN), first at positi
    """
    y = np.asarray(y)
    if (y.dtype == object or y.dtype.kind == "f") and y.ndim:
        import pandas as pd

        missing = np.flatnonzero(pd.isna(y))
        if missing.size:
            raise ValueError(
                f"Input y contains {missing.size} missing labels (None or NaN), first at "
                f"position {int(missing[0])}; drop those rows or give them a label."
            )


def check_real(
    name: str,
    value: object,
    low: float,
    high: float = math.inf,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """A real number argument of a torch-side class (a loss, a divergence), as a float.

    The estimators validate their parameters declaratively (scikit-learn's
    ``_parameter_constraints``); the losses and divergences are plain torch classes that
    users also build directly, and check their arguments here.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        The value given.
    low : float
        Lower bound of the valid range.
    high : float, default=inf
        Upper bound of the valid range.
    low_open, high_open : bool, default=False
        Whether the bounds are excluded.
    allow_inf : bool, default=False
        Whether an infinite ``high`` is itself valid.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        Naming the argument, the bad value and the valid range.

    Examples
    --------
    >>> from skantidote.validation import check_real
    >>> check_real("q", 0.7, 0.0, 1.0, low_open=True)
    0.7
    >>> check_real("q", 1.5, 0.0, 1.0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: q must be a finite number in (0, 1], got 1.5.
    """
    # int and float first: the divergences check their arguments on every batch, and an
    # abstract-class check alone costs several times more.
    ok = isinstance(value, (float, int, numbers.Real)) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = not math.isnan(v) and (allow_inf or math.isfinite(v))
        ok = ok and (v > low if low_open else v >= low)
        ok = ok and (v < high if high_open else v <= high)
    if not ok:
        lo = "(" if low_open else "["
        hi = "]" if allow_inf or not (high_open or math.isinf(high)) else ")"
        interval = f"{lo}{low:g}, {'inf' if math.isinf(high) else f'{high:g}'}{hi}"
        kind = "a number" if allow_inf else "a finite number"
        raise ValueError(f"{name} must be {kind} in {interval}, got {value!r}.")
    return float(value)


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    """An integer argument of a torch-side class (a module's size), as an int.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    value : object
        The value given (Python and NumPy integers; not bool).
    minimum : int, default=1
        The smallest valid value.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer.
    ValueError
        If it is below ``minimum``.

    Examples
    --------
    >>> from skantidote.validation import check_positive_int
    >>> check_positive_int("n_classes", 3, minimum=2)
    3
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer >= {minimum}, got {value!r} of type "
            f"{type(value).__name__}."
        )
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    return int(value)


def check_sizes(name: str, sizes: object, *, allow_empty: bool) -> tuple[int, ...]:
    """A sequence of positive integers (layer widths, an image shape), as a tuple.

    Parameters
    ----------
    name : str
        The argument's name, for the message.
    sizes : int or iterable of int
        The value given; a single integer is a sequence of one.
    allow_empty : bool
        Whether an empty sequence is valid.

    Returns
    -------
    tuple of int

    Raises
    ------
    TypeError
        If ``sizes`` is not a sequence of integers.
    ValueError
        If an entry is below 1, or the sequence is empty and must not be.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.validation import check_sizes
    >>> check_sizes("hidden_layer_sizes", np.array([64, 32]), allow_empty=True)
    (64, 32)
    """
    if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
        sizes = (sizes,)
    error = TypeError(
        f"{name} must be a sequence of positive integers such as (256, 256), got {sizes!r}."
    )
    if isinstance(sizes, str | bytes):
        raise error
    try:
        # Any iterable (tuple, list, NumPy array); NumPy integers become Python ints.
        sizes = tuple(sizes.tolist() if hasattr(sizes, "tolist") else sizes)
    except TypeError:
        raise error from None
    sizes = tuple(check_positive_int(f"each entry of {name}", s) for s in sizes)
    if not sizes and not allow_empty:
        raise ValueError(f"{name} must contain at least one entry, got {sizes!r}.")
    return sizes
