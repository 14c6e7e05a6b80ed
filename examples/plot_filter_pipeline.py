"""
=============================================================
Cleaning labels for any model: NoisyLabelFilter in a pipeline
=============================================================

:class:`~skantidote.NoisyLabelFilter` trains an ANTIDOTE network once on the noisy data,
scores every row, and drops (or relabels) the rows whose labels look wrong. It is an
imbalanced-learn *sampler*: inside an ``imblearn.pipeline.Pipeline`` it cleans the
training data of whatever model comes next, here a gradient-boosting classifier, and it
does nothing at prediction time.

A scikit-learn :class:`~sklearn.pipeline.Pipeline` cannot host it: its intermediate
steps are transformers, which must return as many rows as they receive. Samplers, which
change the set of rows (and the labels) during ``fit`` only, are what imbalanced-learn's
pipeline adds.
"""

# %%
# Noisy digits
# ------------

import matplotlib.pyplot as plt
import numpy as np
from imblearn.pipeline import make_pipeline
from sklearn.datasets import load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import precision_score, recall_score
from sklearn.model_selection import train_test_split

from skantidote import AntidoteClassifier, NoisyLabelFilter
from skantidote.noise import symmetric_noise
from skantidote.plotting import plot_label_quality

X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
y_noisy, is_noisy = symmetric_noise(y_train, 0.3, random_state=0)

# %%
# Gradient boosting, with and without cleaning
# --------------------------------------------
#
# The filter's scoring network is an :class:`~skantidote.AntidoteClassifier` (a short
# training run here, to keep the example fast). ``forget_rate="auto"``, the default,
# removes the rows whose predicted class differs from their given label.


def boosting():
    return HistGradientBoostingClassifier(max_iter=50, random_state=0)


cleaner = NoisyLabelFilter(
    AntidoteClassifier(max_epochs=40, random_state=0), forget_rate="auto", random_state=0
)
cleaned = make_pipeline(cleaner, boosting())
cleaned.fit(X_train, y_noisy)

plain = boosting().fit(X_train, y_noisy)
reference = boosting().fit(X_train, y_train)

scores = {
    "noisy labels": plain.score(X_test, y_test),
    "NoisyLabelFilter + noisy labels": cleaned.score(X_test, y_test),
    "clean labels (reference)": reference.score(X_test, y_test),
}
for name, score in scores.items():
    print(f"gradient boosting on {name:32s} clean test accuracy {score:.3f}")

# %%
# What the filter found
# ---------------------
#
# The fitted filter is the first step of the pipeline. Its ``label_issues_`` table has one
# row per training row, with cleanlab's column names: ``is_label_issue``,
# ``label_quality`` (the model's probability of the given label, averaged over the last
# epochs of training; low is suspicious), ``given_label``, ``predicted_label``, and
# ``sample_weight`` (the mean ANTIDOTE weight of the row).

cleaner = cleaned[0]
issues = cleaner.label_issues_
print(f"estimated noise rate: {cleaner.noise_rate_:.3f} (true: {is_noisy.mean():.3f})")
issues.sort_values("label_quality").head(8)

# %%
# Since the noise here is synthetic, we know which labels are really wrong and can check
# the flags:

flagged = issues["is_label_issue"].to_numpy()
print(f"precision of the flags: {precision_score(is_noisy, flagged):.3f}")
print(f"recall of the flags:    {recall_score(is_noisy, flagged):.3f}")

# %%
# :func:`skantidote.plotting.plot_label_quality` draws the label quality of the flagged
# and the kept rows; given the truly wrong labels, it also splits them into the wrong
# labels found, those missed and the false alarms. The quality separates the wrong
# labels from the correct ones almost perfectly.

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
plot_label_quality(issues, truth=is_noisy, ax=left)
right.barh(list(scores), list(scores.values()), color=["tab:orange", "tab:blue", "tab:gray"])
right.set_xlim(0.7, 1.0)
right.invert_yaxis()
right.set_xlabel("gradient boosting, clean test accuracy")
fig.tight_layout()

# %%
# Relabelling instead of removing
# -------------------------------
#
# ``action="relabel"`` replaces a flagged label by the model's prediction when the model
# is confident enough (``relabel_confidence``) and drops the other flagged rows. The
# filter can also be used on its own, outside a pipeline, with ``fit_resample``:

relabeller = NoisyLabelFilter(
    AntidoteClassifier(max_epochs=40, random_state=0), action="relabel", random_state=0
)
X_fixed, y_fixed = relabeller.fit_resample(X_train, y_noisy)
kept = relabeller.sample_indices_
print(f"kept {len(kept)} of {len(y_noisy)} rows")
print(f"wrong labels before: {np.mean(y_noisy != y_train):.3f}")
print(f"wrong labels after:  {np.mean(y_fixed != y_train[kept]):.3f}")
