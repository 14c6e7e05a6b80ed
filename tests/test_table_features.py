"""skantidote.table_features: from a raw table and its target column to features."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from skantidote.loss import FORGOTTEN_WEIGHT
from skantidote.table_features import (
    MAX_AUTO_CLASSES,
    TASKS,
    PreparedTable,
    detect_task,
    make_preprocessor,
    prepare_table,
    restore_dtype,
    target_issues,
)
from skantidote.tables import TableError


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "size": [1.0, 2.5, np.nan, 4.0, 5.5, 6.0],
        "count": pd.array([1, 2, None, 4, 5, 6], dtype="Int64"),
        "flag": [True, False, True, False, True, False],
        "colour": ["red", "blue", None, "red", "blue", "red"],
        "mixed": [1, "a", 2.5, "a", 1, None],
        "when": pd.to_datetime(["1970-01-02", "2000-01-01", None, "2020-06-01",
                                "1999-12-31", "2010-01-01"]),
        "took": pd.to_timedelta([1, 2, 3, 4, 5, 6], unit="min"),
        "nothing": [np.nan] * 6,
        "label": ["cat", "dog", "cat", "dog", "cat", "dog"],
    })


def test_columns_are_split_into_numeric_and_categorical(frame):
    prepared = prepare_table(frame, "label")
    assert isinstance(prepared, PreparedTable)
    assert prepared.numeric == ["size", "count", "when", "took"]
    assert prepared.categorical == ["flag", "colour", "mixed"]
    assert prepared.empty_columns == ["nothing"]
    assert list(prepared.X.columns) == ["size", "count", "flag", "colour", "mixed", "when",
                                        "took"]
    np.testing.assert_array_equal(prepared.y, frame["label"].to_numpy())


def test_numeric_columns_become_floats_with_nan(frame):
    X = prepare_table(frame, "label").X
    for column in ("size", "count", "when", "took"):
        assert X[column].dtype == float
    assert np.isnan(X.loc[2, "count"]) and np.isnan(X.loc[2, "when"])
    assert X.loc[0, "when"] == 86400.0  # dates as seconds since 1970
    assert X.loc[1, "took"] == 120.0  # durations as seconds


def test_categorical_columns_become_text_with_nan(frame):
    X = prepare_table(frame, "label").X
    assert X["flag"].tolist() == ["True", "False"] * 3
    assert X.loc[1, "mixed"] == "a" and X.loc[0, "mixed"] == "1"
    assert pd.isna(X.loc[2, "colour"])
    assert pd.isna(X.loc[5, "mixed"])


def test_the_table_is_not_modified(frame):
    before = frame.copy()
    prepare_table(frame, "label")
    pd.testing.assert_frame_equal(frame, before)


def test_column_names_become_strings():
    frame = pd.DataFrame({0: [1.0, 2.0, 3.0, 4.0], 1: ["a", "b", "a", "b"],
                          "y": [0, 1, 0, 1]})
    prepared = prepare_table(frame, "y")
    assert prepared.numeric == ["0"] and prepared.categorical == ["1"]
    assert list(prepared.X.columns) == ["0", "1"]


@pytest.mark.parametrize("labels, dtype", [
    ([True, False, True, False], bool),
    ([3, 7, 3, 7], np.int64),
    ([1.0, 2.0, 1.0, 2.0], np.float64),
])
def test_boolean_and_numeric_labels_keep_their_type(labels, dtype):
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": labels})
    y = prepare_table(frame, "y").y
    assert y.dtype == dtype
    np.testing.assert_array_equal(y, labels)


def test_other_labels_are_compared_as_text():
    frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0],
                          "y": pd.Categorical(["b", "a", "b", "a"])})
    y = prepare_table(frame, "y").y
    assert y.dtype == object and y.tolist() == ["b", "a", "b", "a"]


# (table, target, source, fragments of the message)
_X = [0.0, 1.0, 2.0, 3.0, 4.0]
BAD_TABLES = [
    ("no-rows", pd.DataFrame({"x": [], "y": []}), "y", "d.csv",
     ["'d.csv' has no data rows"]),
    ("missing-target", pd.DataFrame({"x": _X, "y": list("ababa")}), "z", None,
     ["target column 'z' not found in the table", "its columns are 'x', 'y'"]),
    ("nan-target", pd.DataFrame({"x": _X, "y": ["a", None, "b", "a", "b"]}), "y", None,
     ["1 missing value(s) (row 1)", "fill or drop"]),
    ("inf-target", pd.DataFrame({"x": _X, "y": [1.0, np.inf, 2.0, 1.0, 2.0]}), "y", None,
     ["infinite values (row 1)"]),
    ("continuous-target", pd.DataFrame({"x": _X, "y": [0.1, 0.25, 0.3, 0.45, 0.5]}), "y",
     None, ["holds continuous numbers (e.g. 0.1, 0.25, 0.3)", "not class labels"]),
    ("single-class", pd.DataFrame({"x": _X, "y": ["a"] * 5}), "y", None,
     ["single class ('a')", "at least 2 classes"]),
    ("inf-feature", pd.DataFrame({"x": [0.0, np.inf, 1.0, -np.inf, 2.0], "y": list("aabba")}),
     "y", None, ["numeric column 'x' has 2 infinite value(s) (rows 1, 3)", "replace them"]),
    ("no-feature", pd.DataFrame({"x": [np.nan] * 5, "y": list("aabba")}), "y", "d.csv",
     ["'d.csv' has no usable feature column besides the target 'y'"]),
]


@pytest.mark.parametrize("table, target, source, fragments", [c[1:] for c in BAD_TABLES],
                         ids=[c[0] for c in BAD_TABLES])
def test_bad_tables_name_the_problem(table, target, source, fragments):
    with pytest.raises(TableError) as exc:
        prepare_table(table, target, source=source)
    message = str(exc.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_preprocessor_scales_numbers_and_encodes_categories(frame):
    prepared = prepare_table(frame, "label")
    preprocessor = make_preprocessor(prepared.numeric, prepared.categorical)
    Z = preprocessor.fit_transform(prepared.X)
    assert isinstance(Z, np.ndarray) and np.isfinite(Z).all()
    n_categories = 2 + 2 + 3  # flag, colour (missing imputed), mixed (missing imputed)
    assert Z.shape == (len(frame), len(prepared.numeric) + n_categories)
    np.testing.assert_allclose(Z[:, :4].mean(axis=0), 0.0, atol=1e-12)
    one_hot = Z[:, 4:]
    assert set(np.unique(one_hot)) == {0.0, 1.0}
    np.testing.assert_array_equal(one_hot.sum(axis=1), 3.0)  # one category per column


@pytest.mark.parametrize("numeric, categorical", [(["size"], []), ([], ["colour"])])
def test_preprocessor_with_one_kind_of_column(frame, numeric, categorical):
    X = prepare_table(frame, "label").X
    Z = make_preprocessor(numeric, categorical).fit_transform(X)
    assert Z.shape[0] == len(frame) and np.isfinite(Z).all()


def test_single_row_categories_share_a_column_with_unseen_ones():
    X = pd.DataFrame({"colour": ["red", "blue", "red", "green", "blue"]})
    preprocessor = make_preprocessor([], ["colour"]).fit(X)
    np.testing.assert_array_equal(  # blue, red, then green (one row) and any unseen one
        preprocessor.transform(pd.DataFrame({"colour": ["red", "blue", "green", "pink"]})),
        [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]],
    )


def test_unseen_category_encodes_as_zeros_when_every_category_has_rows():
    X = pd.DataFrame({"colour": ["red", "blue", "red", "blue"]})
    preprocessor = make_preprocessor([], ["colour"]).fit(X)
    np.testing.assert_array_equal(
        preprocessor.transform(pd.DataFrame({"colour": ["green"]})), [[0.0, 0.0]]
    )


def test_identifier_columns_are_left_out(frame):
    frame = frame.assign(
        id=[f"R{i}" for i in range(len(frame))],
        code=pd.Categorical(["a", "b", None, "c", "d", "e"]),  # missing values aside
        flag2=[True, False] * 3,
        repeats=["x", "y", "z", "x", "w", "v"],
        number=np.arange(len(frame), dtype=float),  # numbers are never identifiers
    )
    prepared = prepare_table(frame, "label")
    assert prepared.identifier_columns == ["id", "code"]
    assert "repeats" in prepared.categorical and "number" in prepared.numeric
    assert not {"id", "code"} & set(prepared.X.columns)


def test_classes_of_a_single_row_are_kept_and_named():
    """A label seen once (a typo) is the commonest wrong label: the table is taken, and
    the class named with its row, so that a filter can flag it."""
    frame = pd.DataFrame(
        {"x": _X + [5.0], "y": ["a", "a", "aple", "b", "b", "zz"]},
        index=[10, 11, 12, 13, 14, 15],
    )
    prepared = prepare_table(frame, "y")
    assert prepared.single_row_classes == {"aple": 12, "zz": 15}
    np.testing.assert_array_equal(prepared.y, frame["y"].to_numpy(dtype=object))
    assert prepare_table(frame.replace({"aple": "a", "zz": "b"}), "y").single_row_classes == {}
    regression = prepare_table(frame.assign(t=[0.5, 1.5, 2.5, 3.5, 4.5, 5.5]), "t",
                               task="regression")
    assert regression.single_row_classes == {}


def test_a_table_of_identifiers_only_says_so():
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "label": [0, 1, 0, 1]})
    with pytest.raises(TableError, match=r"no usable feature column.*identifiers.*'id'"):
        prepare_table(frame, "label")


@pytest.mark.parametrize("values, original, expected_dtype", [
    (np.array([1, 0, 1]), pd.Series([0, 1, 1], dtype="int32"), np.int32),
    (np.array([1.0, 0.0]), pd.Series([0, 1], dtype=np.int64), np.int64),
    (np.array([True, False]), pd.Series([False, True]), bool),
    (np.array([2.0, 3.0]), pd.Series([0.5, 1.5]), np.float64),
])
def test_restore_dtype_of_numeric_and_boolean_columns(values, original, expected_dtype):
    restored = restore_dtype(values, original)
    assert restored.dtype == expected_dtype
    np.testing.assert_array_equal(restored, values)


def test_restore_dtype_leaves_text_and_impossible_casts_alone():
    text = np.array(["cat", "dog"], dtype=object)
    assert restore_dtype(text, pd.Series(["dog", "cat"])) is text
    categorical = pd.Series(pd.Categorical(["a", "b"]))
    assert restore_dtype(text, categorical) is text
    # Strings that are not numbers cannot go back to an integer column: kept as they are.
    assert restore_dtype(text, pd.Series([1, 2])) is text


def test_float_values_going_to_an_integer_column_are_rounded_not_truncated():
    restored = restore_dtype(np.array([2.7, -0.6, 3.2]), pd.Series([1, 2, 3]))
    assert restored.dtype == np.int64
    np.testing.assert_array_equal(restored, [3, -1, 3])
    # Integers (class labels) and floats going to a float column are not rounded.
    np.testing.assert_array_equal(restore_dtype(np.array([4, 5]), pd.Series([1, 2])), [4, 5])
    np.testing.assert_array_equal(
        restore_dtype(np.array([2.7]), pd.Series([1.5])), [2.7]
    )


# ---------------------------------------------------------------------------
# regression targets
# ---------------------------------------------------------------------------

_MANY = list(range(MAX_AUTO_CLASSES + 1))


@pytest.mark.parametrize("values, task", [
    ([0.5, 1.0, 2.0, 1.0], "regression"),                    # a fractional value
    ([1.0, 2.0, 1.0, 2.0], "classification"),                # whole numbers as floats
    (list(range(MAX_AUTO_CLASSES)) * 2, "classification"),   # at most 20 whole numbers
    (_MANY, "regression"),                                   # more than 20
    ([float(v) for v in _MANY], "regression"),
    (pd.array([*_MANY, None], dtype="Int64"), "regression"),  # nullable, missing ignored
    ([1.0, 2.0, np.nan, np.inf, 1.0], "classification"),     # NaN and inf ignored
    ([True, False] * 20, "classification"),
    (["1.5", "2.5"], "classification"),                       # text is never numbers
    (pd.Categorical([0.5, 1.5, 0.5]), "classification"),
    (pd.to_datetime(["2020-01-01", "2021-01-01"]), "classification"),
])
def test_detect_task(values, task):
    assert detect_task(pd.Series(values)) == task


def test_the_command_line_uses_the_same_tasks_and_rule():
    # skantidote.cli cannot import this module at start-up (pandas), so it has copies.
    from skantidote import cli

    assert cli.TASKS == TASKS
    assert cli.MAX_AUTO_CLASSES == MAX_AUTO_CLASSES


def test_regression_targets_are_float64_with_the_same_features(frame):
    table = frame.assign(price=[10, 12, 9, 30, 11, 13])
    regression = prepare_table(table.drop(columns="label"), "price", task="regression")
    assert regression.task == "regression"
    assert regression.y.dtype == np.float64
    np.testing.assert_array_equal(regression.y, [10.0, 12.0, 9.0, 30.0, 11.0, 13.0])
    classification = prepare_table(frame, "label")
    assert classification.task == "classification"
    assert regression.numeric == classification.numeric
    assert regression.categorical == classification.categorical
    pd.testing.assert_frame_equal(regression.X, classification.X)


def test_auto_task_follows_detect_task(frame):
    prepared = prepare_table(frame, "label", task="auto")
    assert prepared.task == "classification"
    np.testing.assert_array_equal(prepared.y, frame["label"].to_numpy())
    continuous = frame.assign(label=[0.5, 1.5, 2.25, 3.0, 4.0, 5.0])
    prepared = prepare_table(continuous, "label", task="auto")
    assert prepared.task == "regression" and prepared.y.dtype == np.float64
    # Without task="auto" the default is classification, which refuses continuous labels.
    with pytest.raises(TableError, match="task='regression' or 'auto'"):
        prepare_table(continuous, "label")


BAD_REGRESSION_TABLES = [
    ("text-target", pd.DataFrame({"x": _X, "y": list("ababa")}),
     ["target column 'y' is not numeric (e.g. 'a', 'b')", "task='classification'"]),
    ("boolean-target", pd.DataFrame({"x": _X, "y": [True, False, True, False, True]}),
     ["target column 'y' is not numeric"]),
    ("nan-target", pd.DataFrame({"x": _X, "y": [1.0, np.nan, 2.0, np.nan, 3.0]}),
     ["2 missing value(s) (rows 1, 3)", "fill or drop"]),
    ("inf-target", pd.DataFrame({"x": _X, "y": [1.0, 2.5, -np.inf, 1.0, 2.0]}),
     ["infinite values (row 2)"]),
    ("constant-target", pd.DataFrame({"x": _X, "y": [2.5] * 5}),
     ["target column 'y' is constant (2.5)", "at least 2 distinct values"]),
    ("no-feature", pd.DataFrame({"x": [np.nan] * 5, "y": [0.5, 1.0, 2.0, 3.0, 4.0]}),
     ["no usable feature column besides the target 'y'"]),
]


@pytest.mark.parametrize("table, fragments", [c[1:] for c in BAD_REGRESSION_TABLES],
                         ids=[c[0] for c in BAD_REGRESSION_TABLES])
def test_bad_regression_tables_name_the_problem(table, fragments):
    with pytest.raises(TableError) as exc:
        prepare_table(table, "y", task="regression")
    message = str(exc.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_unknown_task_names_the_valid_ones(frame):
    with pytest.raises(ValueError, match="task must be one of 'auto', 'classification', "
                                         "'regression', got 'regresion'"):
        prepare_table(frame, "label", task="regresion")


# ---------------------------------------------------------------------------
# target_issues
# ---------------------------------------------------------------------------


def test_target_issues_auto_flags_the_forgotten_rows():
    y = np.array([1.0, 2.0, 50.0, 4.0, -40.0, 6.0])
    predictions = np.array([1.5, 2.0, 3.0, 4.5, 5.0, 5.0])
    weights = np.array([1.3, 1.3, FORGOTTEN_WEIGHT, 1.3, 0.0, 0.9])
    issues = target_issues(y, predictions, weights)
    assert list(issues.columns) == [
        "is_label_issue", "sample_weight", "given_target", "predicted_target", "residual",
    ]
    # Strictly below FORGOTTEN_WEIGHT: the row at exactly 0.1 is kept.
    assert issues["is_label_issue"].tolist() == [False, False, False, False, True, False]
    np.testing.assert_array_equal(issues["residual"], y - predictions)
    np.testing.assert_array_equal(issues["given_target"], y)
    np.testing.assert_array_equal(issues["predicted_target"], predictions)
    np.testing.assert_array_equal(issues["sample_weight"], weights)


def test_target_issues_rate_flags_the_lowest_weights_then_largest_residuals():
    y = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    predictions = np.array([1.0, -9.0, 2.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    weights = np.array([0.0, 0.0, 0.0, 1.2, 0.5, 1.2, 1.2, 1.2, 1.2, 1.2])
    flagged = target_issues(y, predictions, weights, forget_rate=0.2)["is_label_issue"]
    # The three weights of 0 tie: the two largest absolute residuals win (rows 1, 2).
    assert np.flatnonzero(flagged).tolist() == [1, 2]
    flagged = target_issues(y, predictions, weights, forget_rate=0.45)["is_label_issue"]
    assert np.flatnonzero(flagged).tolist() == [0, 1, 2, 4]  # int(0.45 * 10) = 4 rows
    assert not target_issues(y, predictions, weights, forget_rate=0.0)["is_label_issue"].any()


@pytest.mark.parametrize("forget_rate", [1.0, -0.1, "half", True, None])
def test_target_issues_bad_forget_rate(forget_rate):
    with pytest.raises(ValueError, match="forget_rate must be 'auto' or a number in"):
        target_issues(np.zeros(3), np.zeros(3), np.ones(3), forget_rate=forget_rate)


def test_target_issues_arrays_of_different_shapes():
    with pytest.raises(ValueError, match=r"got shapes \(3,\), \(2,\) and \(3,\)"):
        target_issues(np.zeros(3), np.zeros(2), np.ones(3))


def test_numbers_kept_as_objects_are_numeric_features():
    frame = pd.DataFrame({
        "amount": [Decimal(i) / 7 for i in range(6)],  # as from SQL: Python objects
        "count": pd.Series([1.0, 2, None, 4, 5, 6], dtype=object),
        "label": list("ababab"),
    })
    prepared = prepare_table(frame, "label")
    assert prepared.numeric == ["amount", "count"] and prepared.identifier_columns == []
    np.testing.assert_allclose(prepared.X["amount"], np.arange(6) / 7)
    # pd.NA among them is missing; an integer beyond floats leaves the column as it was.
    odd = frame.assign(
        amount=pd.Series([Decimal(1), pd.NA, Decimal(3), 4, 5, 6], dtype=object),
        huge=pd.Series([10**400, 1, 2, 3, 4, 5], dtype=object),
    )
    prepared = prepare_table(odd, "label")
    assert "amount" in prepared.numeric and np.isnan(prepared.X["amount"][1])
    assert "huge" not in prepared.numeric
    with pytest.raises(TableError, match="column 'c' holds complex numbers"):
        prepare_table(frame.assign(c=np.full(6, 1 + 2j)), "label")


def test_restored_integers_are_clipped_not_wrapped():
    counts = pd.Series([1, 2], dtype="uint8")
    np.testing.assert_array_equal(restore_dtype(np.array([-0.6, 300.2]), counts), [0, 255])
    # NaN is no integer: a plain integer column gets the floats back ...
    restored = restore_dtype(np.array([1.0, np.nan]), pd.Series([1, 2]))
    assert restored.dtype == np.float64
    # ... a nullable one keeps its dtype, with NA.
    nullable = restore_dtype(np.array([1.4, np.nan]), pd.Series([1, 2], dtype="Int64"))
    assert nullable.dtype == "Int64" and nullable[0] == 1 and pd.isna(nullable[1])
    assert restore_dtype(np.array([1.0, 0.0]), pd.Series([True], dtype="boolean")).dtype == (
        "boolean"
    )


def test_target_issues_takes_numpy_rates():
    y = np.arange(5.0)
    flagged = target_issues(y, np.zeros(5), np.ones(5), forget_rate=np.float32(0.4))
    assert flagged["is_label_issue"].sum() == 2
    with pytest.raises(ValueError, match="forget_rate must be 'auto' or a number"):
        target_issues(y, np.zeros(5), np.ones(5), forget_rate=np.bool_(True))
