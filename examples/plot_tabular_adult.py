"""
==========================================================
Tabular data: a ColumnTransformer pipeline on noisy labels
==========================================================

:class:`~skantidote.AntidoteClassifier` is a scikit-learn classifier, so it goes at the
end of an ordinary :class:`~sklearn.pipeline.Pipeline`. Like any neural network it needs
standardised numeric features and encoded categorical ones; a
:class:`~sklearn.compose.ColumnTransformer` does both.

The data are the UCI *Adult* census records shipped in ``benchmarks/data/adult.csv``
(income above or below 50K a year, 6 numeric and 8 categorical columns). We take a
subsample to keep the example fast, flip 20 % of the training labels, and compare the
ANTIDOTE objective with plain cross-entropy on the same network.
"""

# %%
# Load the data
# -------------
#
# The CSV lives in the repository; when this example is run from elsewhere, set
# ``ADULT_CSV`` to its path.

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skantidote import AntidoteClassifier
from skantidote.noise import symmetric_noise


def find_adult_csv():
    candidates = [os.environ.get("ADULT_CSV", "")]
    here = Path.cwd()
    candidates += [str(p / "benchmarks" / "data" / "adult.csv") for p in [here, *here.parents]]
    found = [c for c in candidates if c and Path(c).is_file()]
    if not found:
        raise FileNotFoundError(
            "adult.csv not found: set the ADULT_CSV environment variable to its path, or "
            "run this example from inside the skantidote repository (benchmarks/data/)."
        )
    return found[0]


data = pd.read_csv(find_adult_csv()).sample(n=6000, random_state=0)
X = data.drop(columns="income")
y = data["income"]
print(y.value_counts(normalize=True).round(3))

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
y_noisy, is_noisy = symmetric_noise(y_train, 0.2, random_state=0)
print(f"{is_noisy.mean():.0%} of the training labels flipped")

# %%
# The pipeline
# ------------
#
# Numeric columns are standardised, categorical columns one-hot encoded (categories
# unseen during ``fit`` are ignored at prediction time). ``forget_rate`` is our guess of
# the fraction of wrong labels; ``forget_rate=0`` trains the same network with plain
# cross-entropy.

numeric = X.select_dtypes("number").columns.tolist()
categorical = X.select_dtypes(exclude="number").columns.tolist()
preprocess = ColumnTransformer(
    [
        ("num", StandardScaler(), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
    ]
)


def make_model(forget_rate):
    return make_pipeline(
        preprocess,
        AntidoteClassifier(
            forget_rate=forget_rate,
            hidden_layer_sizes=(128, 128),
            max_epochs=40,
            random_state=0,
        ),
    )


# model name -> (model, training labels)
models = {
    "ANTIDOTE, noisy labels": (make_model(0.2), y_noisy),
    "cross-entropy, noisy labels": (make_model(0.0), y_noisy),
    "cross-entropy, clean labels": (make_model(0.0), y_train),
}
scores = {}
for name, (model, labels) in models.items():
    model.fit(X_train, labels)
    scores[name] = model.score(X_test, y_test)
    print(f"{name:28s} clean test accuracy {scores[name]:.3f}")

# %%
# Trained on the noisy labels, ANTIDOTE recovers most of the accuracy that the flipped
# labels cost cross-entropy (the last model, trained on the clean labels, is the
# reference that no method trained on noisy labels can be expected to beat). The last
# step of the pipeline also tells us which training rows it forgot: their
# ``sample_weights_`` are close to 0, and most of them are the flipped ones.

weights = models["ANTIDOTE, noisy labels"][0][-1].sample_weights_
lowest = np.argsort(weights)[: is_noisy.sum()]
print(f"flipped among the {len(lowest)} lowest-weight rows: {is_noisy[lowest].mean():.0%}")

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
left.barh(list(scores), list(scores.values()), color=["tab:blue", "tab:orange", "tab:gray"])
left.set_xlim(0.7, 0.86)
left.invert_yaxis()
left.set_xlabel("accuracy on clean test labels")
bins = np.linspace(0, weights.max(), 40)
right.hist(weights[~is_noisy], bins=bins, alpha=0.7, label="correct labels")
right.hist(weights[is_noisy], bins=bins, alpha=0.7, color="tab:red", label="flipped labels")
right.set_yscale("log")
right.set_xlabel("ANTIDOTE weight of a training row")
right.legend()
fig.tight_layout()
