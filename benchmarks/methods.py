"""Methods of the benchmark suite, all trained by the same AntidoteClassifier loop.

Every method uses the same network (``skantidote.modules.MLP`` (256, 256), dropout 0.2, or
the built-in CNN), optimizer (Adam, lr 1e-3), cosine lr schedule, batch size, number of
epochs and ``warmup_epochs`` -- only the criterion (or the training labels) differ:

=================  ======================================================================
``clean``          cross-entropy on the clean training labels (ceiling)
``ce``             cross-entropy on the noisy labels: ``AntidoteClassifier(forget_rate=0)``
``antidote_kl``    ``AntidoteClassifier(divergence="kl", forget_rate=<true noise rate>)``
``antidote_alpha`` ``AntidoteClassifier(divergence="alpha", alpha=2, forget_rate=<rate>)``
                   (chi2; fixed up front for every cell)
``antidote_auto``  ``AntidoteClassifier()``: every default, ``forget_rate="auto"`` (no rate
                   given: estimated in the same run)
``antidote_per_class`` ``AntidoteClassifier(per_class=True)``: one ball per class, each at
                   its class's estimated rate
``antidote_auto_alpha`` ``AntidoteClassifier(divergence="alpha", alpha=2)``: the rate
                   estimated as for ``antidote_auto``, the chi2 ball of ``antidote_alpha``
                   (a candidate default: the estimate's rules were made with KL)
``antidote_auto_es`` ``AntidoteClassifier(early_stopping=True)``: ``antidote_auto`` trained on
                   90 % of the training rows, stopped when its reweighted objective on the
                   other 10 % (noisy labels too) no longer falls, the best epoch restored
``antidote_auto_nce_rce`` ``AntidoteClassifier(criterion__sample_loss="nce+rce")``:
                   ``antidote_auto`` reweighting NCE+RCE (as ``nce+rce``) instead of
                   cross-entropy (no confident floor: it is cross-entropy's)
``gce``            GCE, q = 0.7
``sce``            SCE, alpha = 0.1, beta = 1
``nce+rce``        NCE+RCE, alpha = beta = 1
``ce_eps+mae``     epsilon-softmax CE + MAE; alpha 0.01, beta 5, m 1e5 for symmetric
                   noise; alpha 0.02, beta 5, m 1e3 for pair / instance (asymmetric) noise
``small_loss``     small-loss trick, forget_rate = true noise rate; like ANTIDOTE it is
                   plain CE during the ``warmup_epochs`` (Co-teaching's ramp-up)
``cleanlab``       ``cleanlab.classification.CleanLearning(<the ce estimator>,
                   cv_n_folds=5, seed=seed)``: 5-fold out-of-sample probabilities, label
                   issues removed, then the ce estimator refit on the rest
=================  ======================================================================

Baselines are ``AntidoteClassifier(criterion=<loss class>, criterion__<name>=...)``: the
ANTIDOTE-only parameters are then unused, no ANTIDOTE diagnostics are recorded
(``lambda``/``tau`` are NaN in ``history_``) and ``sample_weights_`` is all ones. Only the
small-loss trick has an ``enabled`` switch, which the classifier's warm-up turns off.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator

from benchmarks.datasets import Split
from skantidote import AntidoteClassifier
from skantidote.robust_losses import (
    EpsilonSoftmaxMAELoss,
    GCELoss,
    NCERCELoss,
    SCELoss,
    SmallLossTrickLoss,
)

METHODS = (
    "clean", "ce", "antidote_kl", "antidote_alpha", "antidote_auto", "antidote_per_class",
    "antidote_auto_alpha", "antidote_auto_es", "antidote_auto_nce_rce", "gce", "sce",
    "nce+rce", "ce_eps+mae", "small_loss", "cleanlab",
)
ANTIDOTE_METHODS = (
    "antidote_kl", "antidote_alpha", "antidote_auto", "antidote_per_class", "antidote_auto_alpha",
    "antidote_auto_es", "antidote_auto_nce_rce",
)
ANTIDOTE_ALPHA = 2.0  # fixed up front (chi2), the same for every cell


def common_params(split: Split, epochs: int, warmup: int, seed: int, module: str = "mlp") -> dict:
    """The training settings shared by every method."""
    params = dict(
        hidden_layer_sizes=(256, 256), dropout=0.2, max_epochs=epochs, warmup_epochs=warmup,
        batch_size=128, lr=1e-3, optimizer="adam", lr_schedule="cosine", device="cpu",
        random_state=seed,
    )
    if module == "cnn":
        params.update(module="cnn", module__input_shape=split.image_shape)
    return params


def make_estimator(method: str, noise: str, rate: float, params: dict) -> BaseEstimator:
    """The estimator of a method; ``fit`` it on the noisy (or, for ``clean``, clean) labels."""
    if method in ("clean", "ce"):
        return AntidoteClassifier(forget_rate=0.0, **params)
    if method == "antidote_kl":
        return AntidoteClassifier(divergence="kl", forget_rate=rate, **params)
    if method == "antidote_alpha":
        return AntidoteClassifier(
            divergence="alpha", alpha=ANTIDOTE_ALPHA, forget_rate=rate, **params
        )
    if method == "antidote_auto":
        return AntidoteClassifier(**params)
    if method == "antidote_per_class":
        return AntidoteClassifier(per_class=True, **params)
    if method == "antidote_auto_alpha":
        return AntidoteClassifier(divergence="alpha", alpha=ANTIDOTE_ALPHA, **params)
    if method == "antidote_auto_es":
        return AntidoteClassifier(early_stopping=True, **params)
    if method == "antidote_auto_nce_rce":
        return AntidoteClassifier(criterion__sample_loss="nce+rce", **params)
    if method == "gce":
        return AntidoteClassifier(criterion=GCELoss, criterion__q=0.7, **params)
    if method == "sce":
        return AntidoteClassifier(
            criterion=SCELoss, criterion__alpha=0.1, criterion__beta=1.0, **params
        )
    if method == "nce+rce":
        return AntidoteClassifier(
            criterion=NCERCELoss, criterion__alpha=1.0, criterion__beta=1.0, **params
        )
    if method == "ce_eps+mae":
        alpha, m = (0.01, 1e5) if noise == "sym" else (0.02, 1e3)
        return AntidoteClassifier(
            criterion=EpsilonSoftmaxMAELoss, criterion__alpha=alpha, criterion__beta=5.0,
            criterion__m=m, **params,
        )
    if method == "small_loss":
        return AntidoteClassifier(
            criterion=SmallLossTrickLoss, criterion__forget_rate=rate, **params
        )
    if method == "cleanlab":
        from cleanlab.classification import CleanLearning

        # n_jobs=1: the pruning single-threaded like everything else (its results do not
        # depend on it), and its process pool fails inside the suite's worker processes.
        return CleanLearning(
            AntidoteClassifier(forget_rate=0.0, **params), cv_n_folds=5,
            seed=params["random_state"], verbose=False,
            find_label_issues_kwargs={"n_jobs": 1},
        )
    raise ValueError(f"unknown method {method!r}; known: {METHODS}.")


def n_epochs_trained(est: BaseEstimator) -> int:
    """Epochs run by the final fit (CleanLearning: its final refit)."""
    inner = getattr(est, "clf", est)
    return int(getattr(inner, "n_iter_", 0) or 0)
