"""From a raw table and the name of its target column to features a network can train on.

:func:`prepare_table` validates the target column, as class labels (at least two classes
of at least two rows each) or as numeric regression targets (finite numbers, at least two
distinct values), and sorts the other columns into numeric ones (numbers, booleans
excluded; dates and durations as seconds) and categorical ones (everything else, as text);
:func:`detect_task` is its rule for telling the two kinds of target apart;
:func:`make_preprocessor` imputes and standardises the numeric columns and imputes and
one-hot encodes the categorical ones (the categories of a single row in one shared
column); :func:`restore_dtype` gives relabelled targets the dtype of the original
column; :func:`target_issues` is the regression counterpart of
:class:`~skantidote.NoisyLabelFilter`'s ``label_issues_`` report. Problems are
:class:`~skantidote.tables.TableError` with a one-line message that names the column, the
bad values or rows, and what would be valid.
"""

from __future__ import annotations

import contextlib
import numbers
from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.multiclass import type_of_target

from skantidote.tables import TableError, listing
from skantidote.target_tasks import MAX_AUTO_CLASSES, TASKS

__all__ = [
    "MAX_AUTO_CLASSES",
    "MIN_CATEGORY_ROWS",
    "TASKS",
    "PreparedTable",
    "detect_task",
    "make_preprocessor",
    "prepare_table",
    "restore_dtype",
    "target_issues",
]


#: Rows a category needs for a one-hot column of its own; rarer ones share one column.
MIN_CATEGORY_ROWS = 2


@dataclass(frozen=True)
class PreparedTable:
    """Features and target of a table, as returned by :func:`prepare_table`.

    Attributes
    ----------
    X : pandas.DataFrame
        The feature columns, named by strings, in the order of the table: numeric ones as
        floats (missing values as NaN), categorical ones as text (missing values as NaN).
    y : numpy.ndarray
        For classification, the class labels: booleans, numbers (as in the table) or
        strings; for regression, the targets as float64.
    numeric : list of str
        Names of the numeric columns of ``X``.
    categorical : list of str
        Names of the categorical columns of ``X``.
    empty_columns : list
        Columns of the table left out of ``X`` because they hold no value at all.
    task : {"classification", "regression"}, default="classification"
        What ``y`` is for (``task="auto"`` of :func:`prepare_table` resolved).
    identifier_columns : list
        Columns of the table left out of ``X`` because they are identifiers: text whose
        every value is different (IDs, names, free text). They describe no row like any
        other, and one-hot encoded they would let the network memorise every row's label,
        wrong ones included.
    single_row_classes : dict
        For class labels, each class that only one row has, and that row's index label: a
        label seen once is often a typo (the most common wrong label of all), which a
        filter can flag, so such classes are kept, not refused.
    """

    X: pd.DataFrame
    y: np.ndarray
    numeric: list[str]
    categorical: list[str]
    empty_columns: list[Hashable]
    task: str = "classification"
    identifier_columns: list[Hashable] = field(default_factory=list)
    single_row_classes: dict[Hashable, Hashable] = field(default_factory=dict)


def _rows(mask: np.ndarray, index: pd.Index, limit: int = 5) -> str:
    """The rows of ``index`` selected by ``mask``, for a message."""
    rows = index[mask].tolist()
    return f"row{'s' if len(rows) > 1 else ''} {listing(rows, limit)}"


def _labels(frame: pd.DataFrame, target: Hashable) -> tuple[np.ndarray, dict]:
    """The target column as class labels, and its classes of a single row (each with its
    row's index label); :class:`TableError` if the column cannot be labels."""
    y = frame[target]
    missing = y.isna().to_numpy()
    if missing.any():
        raise TableError(
            f"target column {target!r} has {int(missing.sum())} missing value(s) "
            f"({_rows(missing, frame.index)}); fill or drop those rows first"
        )
    if pd.api.types.is_bool_dtype(y):
        y_values = y.to_numpy(dtype=bool)
    elif pd.api.types.is_numeric_dtype(y):
        y_values = y.to_numpy()
        infinite = ~np.isfinite(y_values.astype(float))
        if infinite.any():
            raise TableError(
                f"target column {target!r} has infinite values ({_rows(infinite, frame.index)})"
            )
        if type_of_target(y_values) == "continuous":
            raise TableError(
                f"target column {target!r} holds continuous numbers (e.g. "
                f"{listing(pd.unique(y_values)[:3].tolist())}), not class labels: "
                "prepare it as a regression target (task='regression' or 'auto'; on the "
                "command line, --task regression or auto)"
            )
    else:
        y_values = y.astype(str).to_numpy(dtype=object)
    classes, first_row, counts = np.unique(y_values, return_index=True, return_counts=True)
    if len(classes) < 2:
        raise TableError(
            f"target column {target!r} has a single class ({listing(classes.tolist())}): "
            "at least 2 classes are needed"
        )
    once = counts == 1
    return y_values, dict(zip(classes[once].tolist(), frame.index[first_row[once]], strict=True))


def _regression_targets(frame: pd.DataFrame, target: Hashable) -> np.ndarray:
    """The target column as float64 regression targets; :class:`TableError` if it cannot be."""
    y = frame[target]
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        examples = listing(pd.unique(y.dropna())[:3].tolist())
        raise TableError(
            f"target column {target!r} is not numeric (e.g. {examples}): a regression "
            "target holds numbers; for class labels use task='classification' (on the "
            "command line, --task classification)"
        )
    missing = y.isna().to_numpy()
    if missing.any():
        raise TableError(
            f"target column {target!r} has {int(missing.sum())} missing value(s) "
            f"({_rows(missing, frame.index)}); fill or drop those rows first"
        )
    values = y.to_numpy(dtype=np.float64)
    infinite = np.isinf(values)
    if infinite.any():
        raise TableError(
            f"target column {target!r} has infinite values ({_rows(infinite, frame.index)})"
        )
    if np.all(values == values[0]):
        raise TableError(
            f"target column {target!r} is constant ({values[0]:g}): a regression target "
            "needs at least 2 distinct values"
        )
    return values


def detect_task(y: pd.Series) -> str:
    """Whether a target column holds class labels or regression targets.

    The rule of ``task="auto"`` in :func:`prepare_table` (and of ``skantidote clean
    --task auto``): a numeric column (booleans excepted) is a regression target when one
    of its values has a fractional part (``2.5``), or when its values are whole numbers
    (``3`` or ``3.0``) of more than :data:`MAX_AUTO_CLASSES` distinct values; every other
    column (booleans, text, categories, dates, whole numbers of at most
    :data:`MAX_AUTO_CLASSES` values) holds class labels. Missing and infinite values are
    left out of the decision.

    Parameters
    ----------
    y : pandas.Series
        The target column.

    Returns
    -------
    task : {"classification", "regression"}
        The kind of target.

    Examples
    --------
    >>> import pandas as pd
    >>> from skantidote.table_features import detect_task
    >>> detect_task(pd.Series([0.5, 1.25, 3.0]))
    'regression'
    >>> detect_task(pd.Series([1, 2, 3, 1]))  # few whole numbers: class codes
    'classification'
    >>> detect_task(pd.Series(range(100)))  # many whole numbers: a count, a price ...
    'regression'
    >>> detect_task(pd.Series(["cat", "dog"])), detect_task(pd.Series([True, False]))
    ('classification', 'classification')
    """
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return "classification"
    values = y.to_numpy(dtype=np.float64, na_value=np.nan)
    values = values[np.isfinite(values)]
    if np.any(values != np.round(values)) or len(np.unique(values)) > MAX_AUTO_CLASSES:
        return "regression"
    return "classification"


def prepare_table(frame: pd.DataFrame, target: Hashable, *, task: str = "classification",
                  source: str | None = None) -> PreparedTable:
    """Split a table into features and target, and sort the features by kind.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table: one row per sample, the labels or targets in column ``target``. It is
        not modified.
    target : hashable
        Name of the target column. It must have no missing value. Class labels:
        booleans, integers (or floats holding class codes), strings or any other values
        (compared as text), at least 2 classes. Regression
        targets: finite numbers (booleans excepted), at least 2 distinct values.
    task : {"classification", "regression", "auto"}, default="classification"
        What the target column holds; ``"auto"`` decides with :func:`detect_task`.
    source : str, default=None
        Where the table comes from (e.g. its file name), quoted in error messages;
        ``None`` says "the table".

    Returns
    -------
    prepared : PreparedTable
        The features ``X`` (every column but ``target``, those without any value and
        the identifiers: text columns whose every value is different), the labels or
        targets ``y``, the names of the numeric and of the categorical columns, and the
        ``task``. Numeric columns: numbers (booleans excepted), dates (as
        seconds since 1970) and durations (as seconds); every other column is
        categorical, as text.

    Raises
    ------
    ValueError
        If ``task`` is not one of :data:`TASKS`.
    TableError
        If the table has no row, ``target`` is not a column, the target has missing or
        infinite values, class labels are continuous or of a single class, regression
        targets are not numeric or are constant, a numeric feature is infinite, or no
        feature column is left.

    See Also
    --------
    make_preprocessor : The imputation, scaling and encoding of the prepared columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from skantidote.table_features import prepare_table
    >>> frame = pd.DataFrame({
    ...     "id": ["A1", "B7", "C3", "D9"],
    ...     "size": [1.0, 2.5, None, 4.0],
    ...     "colour": ["red", "blue", "red", None],
    ...     "notes": [None, None, None, None],
    ...     "label": ["cat", "dog", "cat", "dog"],
    ... })
    >>> prepared = prepare_table(frame, "label")
    >>> prepared.numeric, prepared.categorical
    (['size'], ['colour'])
    >>> prepared.empty_columns, prepared.identifier_columns
    (['notes'], ['id'])
    >>> prepared.y
    array(['cat', 'dog', 'cat', 'dog'], dtype=object)
    >>> frame["price"] = [9.5, 12.0, 8.25, 30.0]
    >>> prepared = prepare_table(frame.drop(columns="label"), "price", task="auto")
    >>> prepared.task, prepared.y
    ('regression', array([ 9.5 , 12.  ,  8.25, 30.  ]))
    >>> prepare_table(frame, "kind")
    Traceback (most recent call last):
    ...
    skantidote.tables.TableError: target column 'kind' not found in the table; its columns ...
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {listing(list(TASKS))}, got {task!r}")
    where = repr(str(source)) if source is not None else "the table"
    if len(frame) == 0:
        raise TableError(f"{where} has no data rows")
    if target not in frame.columns:
        raise TableError(
            f"target column {target!r} not found in {where}; its columns are "
            f"{listing([str(c) for c in frame.columns], 12)}"
        )
    if task == "auto":
        task = detect_task(frame[target])
    if task == "regression":
        y, single = _regression_targets(frame, target), {}
    else:
        y, single = _labels(frame, target)

    features = frame.drop(columns=[target])
    empty = [c for c in features.columns if features[c].isna().all()]
    features = features.drop(columns=empty)
    for column in features.columns:
        values = features[column]
        if pd.api.types.is_complex_dtype(values):
            raise TableError(
                f"column {column!r} holds complex numbers, which the network cannot take: "
                "split it into real and imaginary (or magnitude and phase) columns"
            )
        if pd.api.types.is_object_dtype(values) and _holds_numbers_only(values):
            # Numbers kept as Python objects (Decimal from SQL, JSON) are numbers, not
            # categories or identifiers; pd.NA among them is a missing value.
            with contextlib.suppress(TypeError, ValueError, OverflowError):
                features[column] = pd.to_numeric(values).astype(float)
    identifiers = [c for c in features.columns if _is_identifier(features[c])]
    features = features.drop(columns=identifiers)
    if features.shape[1] == 0:
        left_out = (f" (left out as identifiers, every value different: "
                    f"{listing(identifiers)})" if identifiers else "")
        raise TableError(
            f"{where} has no usable feature column besides the target {target!r}{left_out}"
        )
    numeric, categorical = [], []
    for column in features.columns:
        values = features[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            # Dates as seconds since 1970 (standardised like any number).
            values = (values - pd.Timestamp(0, tz=getattr(values.dt, "tz", None))).dt
            values = values.total_seconds()
        elif pd.api.types.is_timedelta64_dtype(values):
            values = values.dt.total_seconds()
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            as_float = values.to_numpy(dtype=float, na_value=np.nan)
            infinite = np.isinf(as_float)
            if infinite.any():
                raise TableError(
                    f"numeric column {column!r} has {int(infinite.sum())} infinite value(s) "
                    f"({_rows(infinite, frame.index)}); replace them (missing values are "
                    "fine: they are imputed)"
                )
            features[column] = as_float
            numeric.append(str(column))
        else:
            # Categories as text (mixed types sort), missing values as NaN for the imputer.
            missing = values.isna().to_numpy()
            text = values.astype(str).to_numpy(dtype=object)
            text[missing] = np.nan
            features[column] = text
            categorical.append(str(column))
    features.columns = [str(c) for c in features.columns]
    return PreparedTable(features, y, numeric, categorical, empty, task, identifiers, single)


def _holds_numbers_only(values: pd.Series) -> bool:
    """Whether every value of an object column that is not missing is a real number."""
    present = values.dropna()
    return len(present) > 0 and all(
        isinstance(v, numbers.Number) and not isinstance(v, bool | np.bool_ | complex)
        for v in present
    )


def _is_identifier(values: pd.Series) -> bool:
    """Whether a feature column is text whose every value is different, over 2 rows or more."""
    kind = values.dtype
    if not (pd.api.types.is_object_dtype(kind) or pd.api.types.is_string_dtype(kind)
            or isinstance(kind, pd.CategoricalDtype)):
        return False
    present = values.dropna()
    return len(present) >= 2 and present.astype(str).nunique() == len(present)


def make_preprocessor(numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """The preprocessing of prepared features: dense, every column on a comparable scale.

    Parameters
    ----------
    numeric : list of str
        Columns imputed with their median and standardised.
    categorical : list of str
        Columns imputed with their most frequent value and one-hot encoded. The
        categories of a single row share one column, as do categories unseen at fit time
        (all zeros where every category has several rows): a category that names one row
        describes nothing the network could learn from other rows, and as a column of its
        own it would let the network memorise that row's label, wrong or not.

    Returns
    -------
    preprocessor : sklearn.compose.ColumnTransformer
        An unfitted transformer with a dense output, for the ``X`` of
        :func:`prepare_table`; the numeric columns come first.

    Examples
    --------
    >>> import pandas as pd
    >>> from skantidote.table_features import make_preprocessor
    >>> X = pd.DataFrame({"size": [1.0, None, 3.0], "colour": ["red", "blue", None]})
    >>> make_preprocessor(["size"], ["colour"]).fit_transform(X).round(2)
    array([[-1.22,  0.  ,  1.  ],
           [ 0.  ,  1.  ,  0.  ],
           [ 1.22,  1.  ,  0.  ]])
    """
    transformers = []
    if numeric:
        transformers.append((
            "numeric",
            Pipeline([("impute", SimpleImputer(strategy="median")),
                      ("scale", StandardScaler())]),
            numeric,
        ))
    if categorical:
        transformers.append((
            "categorical",
            Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                      ("onehot", OneHotEncoder(
                          min_frequency=MIN_CATEGORY_ROWS,
                          handle_unknown="infrequent_if_exist", sparse_output=False,
                      ))]),
            categorical,
        ))
    return ColumnTransformer(transformers, sparse_threshold=0.0)


def restore_dtype(values: np.ndarray, original: pd.Series) -> np.ndarray:
    """Labels or targets (e.g. corrected ones) in the dtype of the table's original column.

    :func:`prepare_table` turns labels that are neither booleans nor numbers into strings,
    a classifier's predictions may come back as another numeric type, and a regressor's
    predictions are floats; writing the table back should not change the column's type.

    Parameters
    ----------
    values : numpy.ndarray
        The labels or targets.
    original : pandas.Series
        The original column.

    Returns
    -------
    values : numpy.ndarray or pandas.api.extensions.ExtensionArray
        ``values`` cast to the dtype of ``original`` if that is numeric or boolean and
        the cast is possible: floats going to an integer column are rounded to the
        nearest integer first (halves to even) instead of truncated, and clipped to the
        dtype's range instead of wrapped around (a count predicted at -0.6 is 0 in a
        ``uint8`` column, not 255); a nullable dtype (``"Int64"``, ``"boolean"``) comes
        back as a pandas array of it. Otherwise (other columns, or NaN for a plain
        integer column) ``values`` unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skantidote.table_features import restore_dtype
    >>> restore_dtype(np.array([1.0, 0.0]), pd.Series([0, 1], dtype="int32")).dtype
    dtype('int32')
    >>> restore_dtype(np.array([2.7, 40.2]), pd.Series([3, 41]))  # predicted counts
    array([ 3, 40])
    >>> restore_dtype(np.array([-0.6, 300.2]), pd.Series([1, 2], dtype="uint8"))
    array([  0, 255], dtype=uint8)
    >>> restore_dtype(np.array(["a", "b"], dtype=object), pd.Series(["b", "a"]))
    array(['a', 'b'], dtype=object)
    """
    dtype = original.dtype
    if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
        return values
    nullable = isinstance(dtype, pd.api.extensions.ExtensionDtype)
    cast = values
    if pd.api.types.is_integer_dtype(dtype) and np.issubdtype(values.dtype, np.floating):
        if not nullable and not np.isfinite(values).all():
            return values  # NaN or inf is no integer: the column stays floats
        limits = np.iinfo(dtype.numpy_dtype if nullable else dtype)
        cast = np.clip(np.rint(values), limits.min, limits.max)
    try:
        return pd.array(cast, dtype=dtype) if nullable else cast.astype(dtype)
    except (TypeError, ValueError):
        return values


def target_issues(y: np.ndarray, predictions: np.ndarray, weights: np.ndarray, *,
                  forget_rate: float | str = "auto") -> pd.DataFrame:
    """Flag the rows of a regression data set whose targets look corrupted.

    The regression counterpart of :class:`~skantidote.NoisyLabelFilter`'s
    ``label_issues_``, from the outputs of an :class:`~skantidote.AntidoteRegressor`
    fitted on the rows: its ``sample_weights_`` and its in-sample predictions. Rows
    are ranked by weight, lowest first (ties, such as weights that underflowed to 0,
    by absolute residual, largest first), and flagged:

    * ``forget_rate="auto"``: the rows the model forgot, whose weight is below
      :data:`~skantidote.loss.FORGOTTEN_WEIGHT` (0.1; an average row has weight 1).
      The number of flagged rows then estimates the number of corrupted ones;
    * ``forget_rate=r``: the first ``int(r * n_samples)`` rows of the ranking.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The given (possibly corrupted) targets.
    predictions : array-like of shape (n_samples,)
        The model's predictions for the same rows.
    weights : array-like of shape (n_samples,)
        The rows' ANTIDOTE weights (``sample_weights_``).
    forget_rate : float in [0, 1) or "auto", default="auto"
        The flagging rule.

    Returns
    -------
    issues : pandas.DataFrame
        One row per sample, in the input order, with the columns ``is_label_issue``
        (bool), ``sample_weight``, ``given_target``, ``predicted_target`` and
        ``residual`` (given minus predicted).

    Raises
    ------
    ValueError
        If the arrays are not 1-D of one length, or ``forget_rate`` is neither "auto" nor
        a number in [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote.table_features import target_issues
    >>> y = np.array([1.0, 2.0, 30.0, 4.0, 5.0])
    >>> predictions = np.array([1.1, 2.0, 3.0, 3.8, 5.2])
    >>> weights = np.array([1.2, 1.25, 0.01, 1.2, 1.2])
    >>> target_issues(y, predictions, weights)
       is_label_issue  sample_weight  given_target  predicted_target  residual
    0           False           1.20           1.0               1.1      -0.1
    1           False           1.25           2.0               2.0       0.0
    2            True           0.01          30.0               3.0      27.0
    3           False           1.20           4.0               3.8       0.2
    4           False           1.20           5.0               5.2      -0.2
    >>> # 2 rows: the forgotten one, then the largest residual of the weight-1.2 tie
    >>> target_issues(y, predictions, weights, forget_rate=0.4)["is_label_issue"].tolist()
    [False, False, True, True, False]
    """
    from skantidote.loss import FORGOTTEN_WEIGHT  # torch: only once a model was trained

    y, predictions, weights = (np.asarray(a, dtype=np.float64)
                               for a in (y, predictions, weights))
    if not (y.ndim == predictions.ndim == weights.ndim == 1
            and len(y) == len(predictions) == len(weights)):
        raise ValueError(
            "y, predictions and weights must be 1-D arrays of one length, got shapes "
            f"{y.shape}, {predictions.shape} and {weights.shape}"
        )
    residual = y - predictions
    if isinstance(forget_rate, str) and forget_rate == "auto":
        flagged = weights < FORGOTTEN_WEIGHT
    elif (isinstance(forget_rate, numbers.Real) and not isinstance(forget_rate, bool | np.bool_)
          and 0.0 <= forget_rate < 1.0):
        # Lowest weight first, then largest absolute residual, then position.
        order = np.lexsort((-np.abs(residual), weights))
        flagged = np.zeros(len(y), dtype=bool)
        flagged[order[:int(forget_rate * len(y))]] = True
    else:
        raise ValueError(f"forget_rate must be 'auto' or a number in [0, 1), got {forget_rate!r}")
    return pd.DataFrame({
        "is_label_issue": flagged,
        "sample_weight": weights,
        "given_target": y,
        "predicted_target": predictions,
        "residual": residual,
    })
