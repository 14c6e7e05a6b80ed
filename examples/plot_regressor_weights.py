"""
===============================================================
AntidoteRegressor: forgetting corrupted regression targets
===============================================================

Regression targets get corrupted too: a sensor glitches, a value is typed in the wrong
unit or into the wrong row. A network trained with the squared error bends towards
every such target, since one target ten standard deviations off weighs as much as a
hundred ordinary ones. :class:`~skantidote.AntidoteRegressor` trains the same network
with the ANTIDOTE objective, which takes the weight away from the rows whose targets
the rest of the data cannot explain, and its ``sample_weights_`` say which rows those
are.

Here 20 % of the training targets of the Friedman #1 problem are replaced by wide
random draws (:func:`~skantidote.noise.outlier_targets`), and a plain network
(``forget_rate=0``) and an ANTIDOTE one are compared on the clean test targets.
"""

# %%
# Corrupted training targets
# --------------------------
#
# ``outlier_targets`` replaces the targets of ``round(0.2 * n)`` random rows by draws
# from the uniform distribution within 10 standard deviations of the mean: most of them
# land far from the truth, a few close to it by chance. The test targets stay clean.

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_friedman1
from sklearn.metrics import root_mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skantidote import AntidoteRegressor
from skantidote.loss import FORGOTTEN_WEIGHT
from skantidote.noise import outlier_targets

X, y = make_friedman1(n_samples=1000, noise=0.5, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
y_corrupted, is_corrupted = outlier_targets(y_train, 0.2, random_state=0)
print(f"{is_corrupted.sum()} of {len(y_train)} training targets corrupted")

# %%
# A plain network and an ANTIDOTE network
# ---------------------------------------
#
# The same network, training and seed; only ``forget_rate`` differs. ``forget_rate=0``
# is the plain squared error; ``forget_rate=0.2`` is the guess that a fifth of the rows
# are wrong. (60 epochs keep the example fast; the first 10 are a plain warm-up.) For
# reference, the plain network is also trained on the clean targets, which a real data
# set would not have.


def fit(forget_rate, targets):
    model = make_pipeline(
        StandardScaler(),
        AntidoteRegressor(forget_rate=forget_rate, max_epochs=60, random_state=0),
    )
    return model.fit(X_train, targets)


plain, antidote = fit(0.0, y_corrupted), fit(0.2, y_corrupted)
reference = fit(0.0, y_train)
for name, model in [
    ("plain, corrupted targets", plain),
    ("ANTIDOTE, corrupted targets", antidote),
    ("plain, clean targets", reference),
]:
    rmse = root_mean_squared_error(y_test, model.predict(X_test))
    print(f"test RMSE, {name:<28} {rmse:.2f}")
print(f"test RMSE of predicting the mean: {y_test.std():.2f}")

# %%
# The plain network chases the corrupted targets and ends up no better than predicting
# the mean. The ANTIDOTE network recovers most of the distance to the
# network trained on clean targets; the rest is the price of the guess: with
# ``forget_rate=0.2`` it also forgets some hard but correct rows.

# %%
# The weights point at the corrupted rows
# ---------------------------------------
#
# Every training row's ANTIDOTE weight (``sample_weights_``, 1 for an average row),
# against how far its target is from the plain network's prediction. Most corrupted
# rows end with a weight near 0: the model forgot them, which is why it is not pulled
# towards them. The plain network's residuals separate the two groups less cleanly,
# because that network has partly fitted the corrupted targets (and been pulled away
# from the clean ones). The corrupted rows that keep their weight are those whose random
# draw landed among the plausible values: they do little harm.

weights = antidote[-1].sample_weights_
residual = np.abs(y_corrupted - plain.predict(X_train))
forgotten = weights < FORGOTTEN_WEIGHT
found = (forgotten & is_corrupted).sum()
print(
    f"{forgotten.sum()} rows forgotten (weight < {FORGOTTEN_WEIGHT}), {found} of them "
    f"corrupted: precision {found / forgotten.sum():.0%}, "
    f"recall {found / is_corrupted.sum():.0%}"
)

fig, ax = plt.subplots(figsize=(6.5, 4.5))
for mask, label, color in [
    (~is_corrupted, "clean target", "#0072B2"),
    (is_corrupted, "corrupted target", "#D55E00"),
]:
    ax.scatter(residual[mask], weights[mask], s=10, alpha=0.6, color=color,
               label=f"{label} ({mask.sum()})")
ax.axhline(FORGOTTEN_WEIGHT, color="gray", linestyle="--", linewidth=1,
           label=f"forgotten below {FORGOTTEN_WEIGHT}")
ax.set_xscale("log")
ax.set_xlabel("absolute residual of the plain network (training rows)")
ax.set_ylabel("ANTIDOTE weight")
ax.legend(loc="center left", fontsize="small")
fig.tight_layout()

# %%
# In practice the corruption is unknown: sort the rows by ``sample_weights_`` and look
# at the lowest first, or let ``skantidote clean DATA.csv --target COLUMN`` do it for a
# table (see :ref:`cli`). ``forget_rate`` is a guess; :doc:`the regression guide
# </regression>` explains how to choose it.
