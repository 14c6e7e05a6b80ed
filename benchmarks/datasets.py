"""The data sets of every benchmark, their one split and preprocessing, and the label noise.

Every data set is split 70/30 (stratified for classification, ``random_state=seed``);
preprocessing is fitted on the training split only; only the training labels are corrupted,
the test labels stay clean. Labels are integer codes ``0..K-1`` in sorted order of the
original labels.

* ``digits``: scikit-learn's 8x8 digits, pixel values divided by 16 (1,797 rows, 10
  classes), as in the committed suite, filter and cost results. (The classifier accuracy
  experiment puts a ``StandardScaler`` in front of its classifier, as the committed
  ``classifier_accuracy.md`` did on the raw pixels; standardising is the same on raw and on
  divided pixels.)
* ``letter``: UCI letter recognition (``benchmarks/data/letter.csv``, target ``letter``;
  20,000 rows, 26 classes), standardised.
* ``adult``: UCI adult (``benchmarks/data/adult.csv``, target ``income``; 30,162 rows,
  2 classes): 6 numeric columns standardised, 8 categorical columns one-hot encoded, by a
  ``ColumnTransformer`` fitted on the training split.
* ``synthetic`` / ``synthetic-<n>``: ``make_classification`` with 20 features (10
  informative), 4 classes, ``n`` rows (default 10,000; e.g. ``synthetic-1000000``),
  standardised.

Regression data sets (float64 targets, a plain 70/30 split, ``Split.n_classes`` ``None``;
their targets are corrupted by the experiments with :mod:`skantidote.noise`'s
``*_targets`` functions):

* ``diabetes``: scikit-learn's diabetes (442 rows, 10 features, disease progression after
  one year), standardised.
* ``friedman1``: ``make_friedman1(n_samples=2000, noise=1.0, random_state=0)`` (10
  features, 5 of them used by the target), standardised.
* ``friedman3``: ``make_friedman3(n_samples=2000, noise=0.05, random_state=0)`` (4
  features; the target, an arctangent of a ratio, is heavy-tailed and its errors
  heteroscedastic), standardised.
* ``adult-age``: UCI adult with ``age`` as the target (30,162 rows): the other 5 numeric
  columns standardised, the 8 categorical columns and ``income`` one-hot encoded, as for
  ``adult``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import (
    load_diabetes,
    load_digits,
    make_classification,
    make_friedman1,
    make_friedman3,
)
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from benchmarks.paths import DATA
from skantidote.noise import class_conditional_noise, instance_noise, pair_noise, symmetric_noise

ADULT_NUMERIC = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hr_per_week"]
ADULT_CATEGORICAL = [
    "type_employer", "education", "marital", "occupation", "relationship", "race", "sex",
    "country",
]
#: adult's feature columns by data set: (standardised numeric, one-hot categorical).
ADULT_FEATURES = {
    "adult": (ADULT_NUMERIC, ADULT_CATEGORICAL),
    "adult-age": ([c for c in ADULT_NUMERIC if c != "age"], [*ADULT_CATEGORICAL, "income"]),
}

DATASETS = ("digits", "letter", "adult", "synthetic")
REGRESSION_DATASETS = ("diabetes", "friedman1", "friedman3", "adult-age")
NOISES = ("sym", "pair", "instance", "classcond")


@dataclass
class Split:
    """One seed's train/test split, preprocessed; ``y_*`` are integer codes 0..K-1, or
    float64 targets for a regression data set (``n_classes`` ``None``)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int | None
    image_shape: tuple | None = None


@lru_cache(maxsize=4)
def _features_and_labels(name: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The whole data set before the split: features (digits already / 16) and labels
    (regression: targets)."""
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        return pd.DataFrame(X / 16.0), y
    if name == "letter":
        frame = pd.read_csv(DATA / "letter.csv")
        y = frame.pop("letter").to_numpy()
        return frame.astype(np.float64), y
    if name in ADULT_FEATURES:
        frame = pd.read_csv(DATA / "adult.csv", skipinitialspace=True)
        y = frame.pop("income" if name == "adult" else "age").to_numpy()
        numeric, categorical = ADULT_FEATURES[name]
        return frame[numeric + categorical], y
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        return pd.DataFrame(X), y
    if name == "friedman1":
        X, y = make_friedman1(n_samples=2000, noise=1.0, random_state=0)
        return pd.DataFrame(X), y
    if name == "friedman3":
        X, y = make_friedman3(n_samples=2000, noise=0.05, random_state=0)
        return pd.DataFrame(X), y
    if name.startswith("synthetic"):
        n = int(name.split("-", 1)[1]) if "-" in name else 10_000
        X, y = make_classification(
            n_samples=n, n_features=20, n_informative=10, n_redundant=5, n_classes=4,
            n_clusters_per_class=2, class_sep=1.0, flip_y=0.0, random_state=0,
        )
        return pd.DataFrame(X), y
    raise ValueError(
        f"unknown data set {name!r}; known: {DATASETS + REGRESSION_DATASETS} (or "
        "synthetic-<n>)."
    )


def load_split(name: str, seed: int, dtype: type = np.float32) -> Split:
    """70/30 split of a data set (stratified for classification), preprocessed on the
    training part.

    The features are ``dtype``: float32, what the networks train on, or float64 for the
    experiments whose scikit-learn models (``LogisticRegression`` fits in the precision of
    its input) ran on float64 in the committed results.
    """
    X, y = _features_and_labels(name)
    regression = name in REGRESSION_DATASETS
    if regression:
        y, target_type, n_classes = y.astype(np.float64), np.float64, None
    else:
        _, y = np.unique(y, return_inverse=True)
        target_type, n_classes = np.int64, int(y.max()) + 1
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.3, stratify=None if regression else y, random_state=seed
    )
    image_shape = None
    if name == "digits":
        X_tr, X_te = X_tr.to_numpy(), X_te.to_numpy()  # already in [0, 1]
        image_shape = (1, 8, 8)
    elif name in ADULT_FEATURES:
        numeric, categorical = ADULT_FEATURES[name]
        ct = ColumnTransformer(
            [
                ("num", StandardScaler(), numeric),
                ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                 categorical),
            ]
        )
        X_tr, X_te = ct.fit_transform(X_tr), ct.transform(X_te)
    else:
        sc = StandardScaler()
        X_tr, X_te = sc.fit_transform(X_tr), sc.transform(X_te)
    return Split(
        np.ascontiguousarray(X_tr, dtype=dtype), y_tr.astype(target_type),
        np.ascontiguousarray(X_te, dtype=dtype), y_te.astype(target_type),
        n_classes, image_shape,
    )


def add_noise(split: Split, noise: str, rate: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Corrupt the training labels: returns ``(noisy_y, is_noisy)``.

    ``sym``: exactly ``int(rate * n_k)`` rows of each class to a uniform other class;
    ``pair``: class k -> k+1 (mod K); ``instance``: :func:`skantidote.noise.instance_noise`
    (confusable rows flip more often, to their most confusable class); ``classcond``:
    :func:`skantidote.noise.class_conditional_noise`, a random noise matrix with the given
    average rate, per-class rates spread around it and half of its off-diagonal entries
    zero (the noise concentrated on a few confusions, as in cleanlab's benchmarks).
    """
    if rate == 0:
        return split.y_train.copy(), np.zeros(len(split.y_train), dtype=bool)
    if noise == "sym":
        return symmetric_noise(split.y_train, rate, random_state=seed)
    if noise == "pair":
        return pair_noise(split.y_train, rate, random_state=seed)
    if noise == "instance":
        return instance_noise(split.X_train, split.y_train, rate, random_state=seed)
    if noise == "classcond":
        noisy, mask, _ = class_conditional_noise(
            split.y_train, rate, frac_zero_noise_rates=0.5, random_state=seed
        )
        return noisy, mask
    raise ValueError(f"unknown noise {noise!r}; known: {NOISES}.")
