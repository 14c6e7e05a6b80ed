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

Baselines are trained by :class:`RobustLossClassifier`, a benchmark-local subclass of
``AntidoteClassifier`` whose ``_build_net`` swaps the criterion of the private skorch net.
The net toggles ``criterion_.enabled`` each epoch (an unused attribute for these losses,
except the warm-up of ``small_loss``) and reads ``getattr(criterion_, "solution_", None)``
after every batch (``None`` here: no ANTIDOTE diagnostics are recorded, ``lambda``/``tau``
are NaN in ``history_``). ``sample_weights_`` is all ones for baselines.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from skantidote import AntidoteClassifier
from skantidote.robust_losses import ROBUST_LOSSES, SmallLossTrickLoss

METHODS = (
    "clean", "ce", "antidote_kl", "antidote_alpha", "gce", "sce", "nce+rce", "ce_eps+mae",
    "small_loss", "cleanlab",
)
ANTIDOTE_METHODS = ("antidote_kl", "antidote_alpha")
ANTIDOTE_ALPHA = 2.0  # fixed up front (chi2), the same for every cell


class WarmupSmallLossTrickLoss(SmallLossTrickLoss):
    """Small-loss trick that is plain (weighted) cross-entropy while ``enabled`` is False."""

    def __init__(self, forget_rate: float = 0.2) -> None:
        super().__init__(forget_rate=forget_rate)
        self.enabled = True

    def forward(self, logits, target, sample_weight=None):
        if self.enabled:
            return super().forward(logits, target, sample_weight)
        losses = F.cross_entropy(logits.float(), target.long(), reduction="none")
        if sample_weight is None:
            return losses.mean()
        w = sample_weight.to(losses)
        return torch.dot(w, losses) / w.sum()


class RobustLossClassifier(AntidoteClassifier):
    """AntidoteClassifier with the criterion replaced by a robust-loss baseline.

    ``loss`` is a key of :data:`skantidote.robust_losses.ROBUST_LOSSES` (or
    ``"small_loss_warmup"``), ``loss_params`` its keyword arguments. Everything else
    (network, optimizer, schedule, epochs, batch size, seeds) is AntidoteClassifier's.
    """

    def __init__(self, module=None, *, loss="gce", loss_params=None, **kwargs):
        self.loss = loss
        self.loss_params = loss_params
        super().__init__(module, **kwargs)

    @classmethod
    def _get_param_names(cls):
        # AntidoteClassifier's named parameters plus ours (our __init__ forwards **kwargs).
        return sorted(set(AntidoteClassifier._get_param_names()) | {"loss", "loss_params"})

    def _build_net(self, n_features, n_classes, device):
        net = super()._build_net(n_features, n_classes, device)
        antidote_keys = [k for k in vars(net) if k.startswith("criterion__")]
        for key in antidote_keys:
            delattr(net, key)
            net._kwargs.pop(key, None) if hasattr(net, "_kwargs") else None
        if self.loss == "small_loss_warmup":
            criterion = WarmupSmallLossTrickLoss
        else:
            criterion = ROBUST_LOSSES[self.loss]
        params = {f"criterion__{k}": v for k, v in (self.loss_params or {}).items()}
        net.set_params(criterion=criterion, **params)
        return net

    def _antidote_weights(self, X, y_enc, sample_weight):
        w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        return (w > 0).astype(np.float64)


def common_params(dataset_info, epochs: int, warmup: int, seed: int, module: str = "mlp"):
    """The training settings shared by every method."""
    params = dict(
        hidden_layer_sizes=(256, 256), dropout=0.2, max_epochs=epochs, warmup_epochs=warmup,
        batch_size=128, lr=1e-3, optimizer="adam", lr_schedule="cosine", device="cpu",
        random_state=seed,
    )
    if module == "cnn":
        params.update(module="cnn", module__input_shape=dataset_info.image_shape)
    return params


def make_estimator(method: str, noise: str, rate: float, params: dict):
    """The estimator of a method; ``fit`` it on the noisy (or, for ``clean``, clean) labels."""
    if method in ("clean", "ce"):
        return AntidoteClassifier(forget_rate=0.0, **params)
    if method == "antidote_kl":
        return AntidoteClassifier(divergence="kl", forget_rate=rate, **params)
    if method == "antidote_alpha":
        return AntidoteClassifier(
            divergence="alpha", alpha=ANTIDOTE_ALPHA, forget_rate=rate, **params
        )
    if method == "gce":
        return RobustLossClassifier(loss="gce", loss_params={"q": 0.7}, **params)
    if method == "sce":
        return RobustLossClassifier(loss="sce", loss_params={"alpha": 0.1, "beta": 1.0}, **params)
    if method == "nce+rce":
        return RobustLossClassifier(
            loss="nce+rce", loss_params={"alpha": 1.0, "beta": 1.0}, **params
        )
    if method == "ce_eps+mae":
        if noise == "sym":
            lp = {"alpha": 0.01, "beta": 5.0, "m": 1e5}
        else:
            lp = {"alpha": 0.02, "beta": 5.0, "m": 1e3}
        return RobustLossClassifier(loss="ce_eps+mae", loss_params=lp, **params)
    if method == "small_loss":
        return RobustLossClassifier(
            loss="small_loss_warmup", loss_params={"forget_rate": rate}, **params
        )
    if method == "cleanlab":
        from cleanlab.classification import CleanLearning

        return CleanLearning(
            AntidoteClassifier(forget_rate=0.0, **params), cv_n_folds=5,
            seed=params["random_state"], verbose=False,
        )
    raise ValueError(f"unknown method {method!r}; known: {METHODS}.")


def n_epochs_trained(est) -> int:
    """Epochs run by the final fit (CleanLearning: its final refit)."""
    inner = getattr(est, "clf", est)
    return int(getattr(inner, "n_iter_", 0) or 0)
