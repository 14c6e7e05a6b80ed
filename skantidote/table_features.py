"""From a raw table and the name of its label column to features a network can train on.

:func:`prepare_table` validates the label column (class labels, at least two classes of at
least two rows each) and sorts the other columns into numeric ones (numbers, booleans
excluded; dates and durations as seconds) and categorical ones (everything else, as text);
:func:`make_preprocessor` imputes and standardises the former and imputes and one-hot
encodes the latter; :func:`restore_dtype` gives relabelled targets the dtype of the
original column. Problems are :class:`~skantidote.tables.TableError` with a one-line
message that names the column, the bad values or rows, and what would be valid.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.multiclass import type_of_target

from skantidote.tables import TableError, _listing

__all__ = ["PreparedTable", "make_preprocessor", "prepare_table", "restore_dtype"]


@dataclass(frozen=True)
class PreparedTable:
    """Features and target of a table, as returned by :func:`prepare_table`.

    Attributes
    ----------
    X : pandas.DataFrame
        The feature columns, named by strings, in the order of the table: numeric ones as
        floats (missing values as NaN), categorical ones as text (missing values as NaN).
    y : numpy.ndarray
        The class labels: booleans, numbers (as in the table) or strings.
    numeric : list of str
        Names of the numeric columns of ``X``.
    categorical : list of str
        Names of the categorical columns of ``X``.
    empty_columns : list
        Columns of the table left out of ``X`` because they hold no value at all.
    """

    X: pd.DataFrame
    y: np.ndarray
    numeric: list[str]
    categorical: list[str]
    empty_columns: list[Hashable]


def _rows(mask: np.ndarray, index: pd.Index, limit: int = 5) -> str:
    """The rows of ``index`` selected by ``mask``, for a message."""
    rows = index[mask].tolist()
    return f"row{'s' if len(rows) > 1 else ''} {_listing(rows, limit)}"


def _labels(frame: pd.DataFrame, target: Hashable) -> np.ndarray:
    """The target column as class labels; :class:`TableError` if it cannot be."""
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
                f"{_listing(pd.unique(y_values)[:3].tolist())}), not class labels: "
                "skantidote clean is for classification"
            )
    else:
        y_values = y.astype(str).to_numpy(dtype=object)
    classes, counts = np.unique(y_values, return_counts=True)
    if len(classes) < 2:
        raise TableError(
            f"target column {target!r} has a single class ({_listing(classes.tolist())}): "
            "at least 2 classes are needed"
        )
    single = classes[counts == 1].tolist()
    if single:
        rows = frame.index[np.isin(y_values, single)].tolist()
        raise TableError(
            f"class{'es' if len(single) > 1 else ''} {_listing(single)} of target column "
            f"{target!r} {'have' if len(single) > 1 else 'has'} a single row "
            f"(row{'s' if len(rows) > 1 else ''} {_listing(rows)}): every class needs at "
            "least 2 rows; drop or merge it"
        )
    return y_values


def prepare_table(frame: pd.DataFrame, target: Hashable, *,
                  source: str | None = None) -> PreparedTable:
    """Split a table into features and class labels, and sort the features by kind.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table: one row per sample, the labels in column ``target``. It is not
        modified.
    target : hashable
        Name of the column of class labels: booleans, integers (or floats holding class
        codes), strings or any other values (compared as text). It must have no missing
        value and at least 2 classes of at least 2 rows each.
    source : str, default=None
        Where the table comes from (e.g. its file name), quoted in error messages;
        ``None`` says "the table".

    Returns
    -------
    prepared : PreparedTable
        The features ``X`` (every column but ``target`` and those without any value),
        the labels ``y``, and the names of the numeric and of the categorical columns.
        Numeric columns: numbers (booleans excepted), dates (as seconds since 1970) and
        durations (as seconds); every other column is categorical, as text.

    Raises
    ------
    TableError
        If the table has no row, ``target`` is not a column, the labels are missing,
        infinite, continuous, of a single class or have a class of a single row, a
        numeric feature is infinite, or no feature column is left.

    See Also
    --------
    make_preprocessor : The imputation, scaling and encoding of the prepared columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from skantidote.table_features import prepare_table
    >>> frame = pd.DataFrame({
    ...     "size": [1.0, 2.5, None, 4.0],
    ...     "colour": ["red", "blue", "red", None],
    ...     "notes": [None, None, None, None],
    ...     "label": ["cat", "dog", "cat", "dog"],
    ... })
    >>> prepared = prepare_table(frame, "label")
    >>> prepared.numeric, prepared.categorical, prepared.empty_columns
    (['size'], ['colour'], ['notes'])
    >>> prepared.y
    array(['cat', 'dog', 'cat', 'dog'], dtype=object)
    >>> prepare_table(frame, "kind")
    Traceback (most recent call last):
    ...
    skantidote.tables.TableError: target column 'kind' not found in the table; its columns ...
    """
    where = repr(str(source)) if source is not None else "the table"
    if len(frame) == 0:
        raise TableError(f"{where} has no data rows")
    if target not in frame.columns:
        raise TableError(
            f"target column {target!r} not found in {where}; its columns are "
            f"{_listing([str(c) for c in frame.columns], 12)}"
        )
    y = _labels(frame, target)

    features = frame.drop(columns=[target])
    empty = [c for c in features.columns if features[c].isna().all()]
    features = features.drop(columns=empty)
    if features.shape[1] == 0:
        raise TableError(f"{where} has no usable feature column besides the target {target!r}")
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
    return PreparedTable(features, y, numeric, categorical, empty)


def make_preprocessor(numeric: list[str], categorical: list[str]) -> ColumnTransformer:
    """The preprocessing of prepared features: dense, every column on a comparable scale.

    Parameters
    ----------
    numeric : list of str
        Columns imputed with their median and standardised.
    categorical : list of str
        Columns imputed with their most frequent value and one-hot encoded (categories
        unseen at fit time encode as all zeros).

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
                      ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
            categorical,
        ))
    return ColumnTransformer(transformers, sparse_threshold=0.0)


def restore_dtype(values: np.ndarray, original: pd.Series) -> np.ndarray:
    """Labels (e.g. corrected ones) in the dtype of the table's original label column.

    :func:`prepare_table` turns labels that are neither booleans nor numbers into strings,
    and a classifier's predictions may come back as another numeric type; writing the
    table back should not change the column's type.

    Parameters
    ----------
    values : numpy.ndarray
        The labels.
    original : pandas.Series
        The original label column.

    Returns
    -------
    values : numpy.ndarray
        ``values`` cast to the dtype of ``original`` if that is numeric or boolean and
        the cast is possible; otherwise ``values`` unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skantidote.table_features import restore_dtype
    >>> restore_dtype(np.array([1.0, 0.0]), pd.Series([0, 1], dtype="int32")).dtype
    dtype('int32')
    >>> restore_dtype(np.array(["a", "b"], dtype=object), pd.Series(["b", "a"]))
    array(['a', 'b'], dtype=object)
    """
    if pd.api.types.is_numeric_dtype(original) or pd.api.types.is_bool_dtype(original):
        try:
            return values.astype(original.dtype)
        except (TypeError, ValueError):
            return values
    return values
