"""
==========================================================
Overlapping classes: one divergence ball per class
==========================================================

By default :class:`~skantidote.AntidoteClassifier` forgets with one divergence ball for
the whole minibatch: the rows with the highest losses go first, whatever their class,
and every batch forgets at least the rows the network confidently puts in another class
than their label (the *confident floor*). That is what makes it strong against noise a
network would otherwise memorise. Where two classes overlap, though, the clean rows on
the wrong side of the overlap are confidently "in the other class" too. If the floor
takes more of them from one class than from the other, the boundary moves towards that
class, which puts more of its rows on the wrong side, and so on.

``per_class=True`` gives every class its own ball, at its own estimated rate, within its
own rows: no class can be forgotten for rows of another, and the boundary stays where
the labels put it. This example shows the drift on two interleaved half-moons with 30 %
of the training labels flipped, and how to choose between the two on noisy labels only.
"""

# %%
# Data: two half-moons whose classes overlap
# ------------------------------------------
#
# ``make_moons`` with ``noise=0.3``: about a tenth of the clean labels disagree with the
# best possible classifier. 30 % of the training labels are then replaced by the other
# class; the test labels stay clean.

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import make_moons
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skantidote import AntidoteClassifier
from skantidote.noise import symmetric_noise

X, y = make_moons(2000, noise=0.3, random_state=401)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=2
)
y_noisy, is_wrong = symmetric_noise(y_train, 0.3, random_state=2)
print(f"{is_wrong.mean():.1%} of the {len(y_noisy)} training labels are wrong")

# %%
# Three classifiers on the same noisy labels
# ------------------------------------------
#
# Plain cross-entropy (``forget_rate=0``), the default (the noise rate estimated in the
# run, one ball with its confident floor), and one ball per class. For each: the accuracy
# on the clean test labels, the share of training rows it predicts as class 1 (the
# labels put half of them there), and the mean ANTIDOTE weight of the *correctly*
# labelled training rows of each class (1 means kept as much as the average row).

models = {
    "cross-entropy": AntidoteClassifier(forget_rate=0.0, random_state=0),
    "default (one ball)": AntidoteClassifier(random_state=0),
    "per_class=True": AntidoteClassifier(per_class=True, random_state=0),
}
rows = []
for name, classifier in models.items():
    model = make_pipeline(StandardScaler(), classifier).fit(X_train, y_noisy)
    models[name] = model
    weights = model[-1].sample_weights_
    rows.append({
        "model": name,
        "test accuracy": model.score(X_test, y_test),
        "predicted as class 1": model.predict(X_train).mean(),
        "clean rows of class 0: weight": weights[~is_wrong & (y_noisy == 0)].mean(),
        "clean rows of class 1: weight": weights[~is_wrong & (y_noisy == 1)].mean(),
    })
pd.DataFrame(rows).set_index("model").round(3)

# %%
# Look at the two weight columns: where the single ball keeps the clean rows of one
# class less than those of the other, it has moved the boundary, and its share of rows
# predicted as class 1 has left the labels' one half. One ball per class keeps both
# classes' clean rows alike. Cross-entropy, which a network of two inputs cannot drive
# to memorise the flipped labels, barely suffers from them here: on such a table,
# forgetting has little to win.
#
# The boundaries
# --------------
#
# The line where each model's probability of class 1 is one half, over the clean test
# points.

xx, yy = np.meshgrid(np.linspace(-2.0, 3.0, 200), np.linspace(-1.5, 2.0, 200))
grid = np.c_[xx.ravel(), yy.ravel()]
fig, ax = plt.subplots(figsize=(6, 4.5))
ax.scatter(*X_test.T, c=y_test, cmap="coolwarm", s=4, alpha=0.4)
for (name, model), colour in zip(
    models.items(), ["black", "tab:orange", "tab:green"], strict=True
):
    proba = model.predict_proba(grid.astype(np.float32))[:, 1].reshape(xx.shape)
    ax.contour(xx, yy, proba, levels=[0.5], colors=colour)
    ax.plot([], [], color=colour, label=name)
ax.legend(loc="lower left", fontsize=8)
ax.set_title("Where each model's probability of class 1 is 0.5")
fig.tight_layout()

# %%
# Choosing on noisy labels
# ------------------------
#
# Without clean labels, compare the two on held-out *noisy* labels: their noise lowers
# every candidate's score alike, so the ranking on clean labels carries over, up to the
# sampling noise of the scores (see
# :ref:`sphx_glr_auto_examples_plot_grid_search_forget_rate.py`; with the gap seen here,
# about a point, use several folds, or repeat them). A 3-fold grid search over
# ``per_class`` on the noisy training labels (``refit=False``: the models above are the
# refits):

search = GridSearchCV(
    make_pipeline(StandardScaler(), AntidoteClassifier(random_state=0)),
    {"antidoteclassifier__per_class": [False, True]},
    cv=3,
    refit=False,
).fit(X_train, y_noisy)
print("chosen:", search.best_params_)
pd.DataFrame({
    "per_class": search.cv_results_["param_antidoteclassifier__per_class"],
    "noisy validation accuracy": search.cv_results_["mean_test_score"],
}).round(4)

# %%
# Where one ball per class costs: a *rare* class whose given labels are mostly wrong
# (under symmetric noise, most labels of a small class come from the large one). Its
# own ball, at its estimated rate, then forgets too few of them. The user guide's tuning
# page ("One ball per class") has the benchmarks of both cases.
