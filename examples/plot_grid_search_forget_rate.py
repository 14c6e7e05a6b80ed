"""
=================================================================
Tuning forget_rate by cross-validation on noisy validation labels
=================================================================

``forget_rate`` should be close to the fraction of wrong labels, which is rarely known.
It can be tuned like any hyperparameter with :class:`~sklearn.model_selection.GridSearchCV`,
*even though the validation folds are as noisy as the training folds*. Under symmetric
noise of rate ``eta`` with ``K`` classes, a model's accuracy on noisy labels is

.. math::

    \\mathrm{acc}_\\mathrm{noisy} = (1 - \\eta)\\, \\mathrm{acc}_\\mathrm{clean}
    + \\eta\\, \\frac{1 - \\mathrm{acc}_\\mathrm{clean}}{K - 1},

an increasing affine function of its accuracy on the clean labels (as long as
``eta < (K - 1) / K``): the candidate with the best noisy score is also the one with the
best clean score. This example checks it, by scoring every candidate on both.
"""

# %%
# Noisy digits
# ------------

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV

from skantidote import AntidoteClassifier
from skantidote.noise import symmetric_noise

X, y = load_digits(return_X_y=True)
X = X / 16.0
eta, K = 0.4, 10
y_noisy, is_noisy = symmetric_noise(y, eta, random_state=0)

# %%
# The grid search
# ---------------
#
# In practice this is all there is to it: ``GridSearchCV`` with the default accuracy
# scorer, fitted on the noisy labels.
#
# .. code-block:: python
#
#     search = GridSearchCV(
#         AntidoteClassifier(random_state=0),
#         {"forget_rate": [0.0, 0.2, 0.4, 0.6]},
#         cv=3,
#     )
#     search.fit(X, y_noisy)
#     search.best_params_
#
# Since the noise is synthetic here, we also want the accuracy of every candidate on the
# *clean* labels of the same validation rows. A scorer can receive extra per-row data
# through scikit-learn's metadata routing: ``clean_accuracy`` asks for ``y_clean``, which
# ``GridSearchCV`` splits into folds like ``X`` and ``y``. (Only the scorer requests it;
# the classifier never sees the clean labels.) The networks are trained for 30 epochs to
# keep the example fast.


def clean_accuracy(y_true, y_pred, y_clean):
    return accuracy_score(y_clean, y_pred)


with sklearn.config_context(enable_metadata_routing=True):
    scoring = {
        "noisy": "accuracy",
        "clean": make_scorer(clean_accuracy).set_score_request(y_clean=True),
    }
    search = GridSearchCV(
        AntidoteClassifier(max_epochs=30, warmup_epochs=5, random_state=0),
        {"forget_rate": [0.0, 0.2, 0.4, 0.6]},
        scoring=scoring,
        refit="noisy",  # choose with the noisy labels only
        cv=3,
    )
    search.fit(X, y_noisy, y_clean=y)

results = pd.DataFrame(
    {
        "forget_rate": search.cv_results_["param_forget_rate"],
        "noisy validation accuracy": search.cv_results_["mean_test_noisy"],
        "clean validation accuracy": search.cv_results_["mean_test_clean"],
    }
)
print("chosen:", search.best_params_)
results.round(3)

# %%
# Noisy accuracy is an affine function of clean accuracy
# ------------------------------------------------------
#
# Each candidate is a point; the line is the formula above with ``eta = 0.4`` and
# ``K = 10``. The noisy scores are much lower than the clean ones (40 % of the
# validation labels are wrong whatever the model predicts) but they lie on the line, so
# they rank the candidates in the same order, and the candidate chosen on noisy labels
# is the best one on clean labels too. Too large a ``forget_rate`` (0.6 here) is
# clearly penalised: the network then also forgets many hard but correct rows.
#
# The price of noisy validation labels is statistical: differences between candidates
# shrink by the slope of the line, ``1 - eta K / (K - 1)`` (0.56 here), while the
# sampling noise of the scores does not, so more validation data (or more folds) are
# needed to separate close candidates. With these short 30-epoch runs on 1,200 rows,
# cross-entropy has not yet memorised much of the noise: it is close to the chosen
# ``forget_rate=0.2``, and the true rate, 0.4, already forgets some hard clean rows.
# With longer training the gap to cross-entropy widens (see
# :ref:`sphx_glr_auto_examples_plot_classifier_digits.py`).

acc = np.linspace(results["clean validation accuracy"].min() - 0.02, 1.0, 50)
fig, ax = plt.subplots(figsize=(5.5, 4))
ax.plot(acc, (1 - eta) * acc + eta * (1 - acc) / (K - 1), color="gray", label="formula")
ax.scatter(results["clean validation accuracy"], results["noisy validation accuracy"], zorder=3)
for _, row in results.iterrows():
    ax.annotate(
        f"  forget_rate={row['forget_rate']}",
        (row["clean validation accuracy"], row["noisy validation accuracy"]),
        fontsize=8,
    )
ax.set_xlabel("accuracy on clean validation labels")
ax.set_ylabel("accuracy on noisy validation labels")
ax.legend(loc="upper left")
fig.tight_layout()
