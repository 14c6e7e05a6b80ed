"""Robust-loss baselines for learning with noisy labels, with AntidoteLoss's call signature.

Every loss here is an ``nn.Module`` called as ``criterion(logits, target, sample_weight=None)``
and returns a 0-d tensor, exactly like :class:`skantidote.loss.AntidoteLoss`, so benchmark
code can swap one for another. ``target`` holds class indices; ``sample_weight`` (optional,
shape ``(n,)``, non-negative) turns the batch mean into the weighted mean
``sum(w * l) / sum(w)``, so integer weights are equivalent to repeating rows. Half-precision
logits are upcast to float32; float64 logits stay float64.

Notation: ``p = softmax(logits)``, ``p_y`` its value at the label, ``K`` classes.

========================  ===============================  ======================================
name                      class                            per-sample loss
========================  ===============================  ======================================
``"ce"``                  :class:`CrossEntropyLoss`        ``-log p_y``
``"mae"``                 :class:`MAELoss`                 ``2 (1 - p_y)``
``"gce"``                 :class:`GCELoss`                 ``(1 - p_y^q) / q``
``"rce"``                 :class:`RCELoss`                 ``-log(1e-4) (1 - p_y)``
``"sce"``                 :class:`SCELoss`                 ``alpha CE + beta RCE``
``"nce"``                 :class:`NCELoss`                 ``log p_y / sum_k log p_k``
``"nce+rce"``             :class:`NCERCELoss`              ``alpha NCE + beta RCE``
``"ce_eps"``              :class:`EpsilonSoftmaxLoss`      ``-log p'_y`` (epsilon-softmax)
``"ce_eps+mae"``          :class:`EpsilonSoftmaxMAELoss`   ``alpha CE_eps + beta MAE``
``"small_loss"``          :class:`SmallLossTrickLoss`      CE of the smallest-loss fraction
========================  ===============================  ======================================

References
----------
- MAE: Ghosh, Kumar & Sastry, "Robust loss functions under label noise for deep neural
  networks", AAAI 2017.
- GCE: Zhang & Sabuncu, "Generalized cross entropy loss for training deep neural networks
  with noisy labels", NeurIPS 2018.
- SCE / RCE: Wang et al., "Symmetric cross entropy for robust learning with noisy labels",
  ICCV 2019.
- NCE, NCE+RCE: Ma et al., "Normalized loss functions for deep learning with noisy labels",
  ICML 2020.
- CE_eps, CE_eps+MAE: Wang et al., "epsilon-softmax: approximating one-hot vectors for
  mitigating label noise", NeurIPS 2024.
- Small-loss trick: Han et al., "Co-teaching: robust training of deep neural networks with
  extremely noisy labels", NeurIPS 2018.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from skantidote.validation import check_real

__all__ = [
    "RCE_SCALE",
    "ROBUST_LOSSES",
    "CrossEntropyLoss",
    "EpsilonSoftmaxLoss",
    "EpsilonSoftmaxMAELoss",
    "GCELoss",
    "MAELoss",
    "NCELoss",
    "NCERCELoss",
    "RCELoss",
    "SCELoss",
    "SmallLossTrickLoss",
    "get_robust_loss",
]

#: ``-log(1e-4)``: reverse cross-entropy with the one-hot label clipped to ``[1e-4, 1]`` is
#: this constant times ``1 - p_y``.
RCE_SCALE = -math.log(1e-4)


# ----------------------------------------------------------------------------- validation


def _check_mix(alpha: object, beta: object) -> tuple[float, float]:
    alpha = check_real("alpha", alpha, 0.0)
    beta = check_real("beta", beta, 0.0)
    if alpha == 0.0 and beta == 0.0:
        raise ValueError("alpha and beta are both 0, so the loss would be identically 0.")
    return alpha, beta


def _prepare(
    logits: Tensor, target: Tensor, sample_weight: Tensor | None
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Validate a batch; upcast half-precision logits; cast the weights to the logits."""
    if not isinstance(logits, Tensor) or not logits.is_floating_point() or logits.ndim != 2:
        shape = tuple(logits.shape) if isinstance(logits, Tensor) else type(logits).__name__
        dtype = f", dtype {logits.dtype}" if isinstance(logits, Tensor) else ""
        raise ValueError(
            "logits must be a floating-point tensor of shape (n_samples, n_classes), "
            f"got shape {shape}{dtype}."
        )
    n, k = logits.shape
    if n == 0 or k < 2:
        raise ValueError(
            f"logits must have at least 1 row and 2 classes, got shape {tuple(logits.shape)}."
        )
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    if (
        not isinstance(target, Tensor)
        or target.is_floating_point()
        or target.is_complex()
        or target.dtype == torch.bool
        or target.shape != (n,)
    ):
        got = (
            f"shape {tuple(target.shape)}, dtype {target.dtype}"
            if isinstance(target, Tensor)
            else type(target).__name__
        )
        raise ValueError(
            f"target must be an integer tensor of class indices of shape ({n},), got {got}."
        )
    if target.device.type == "cpu":  # reading values back from an accelerator would sync
        lo, hi = int(target.min()), int(target.max())
        if lo < 0 or hi >= k:
            bad = lo if lo < 0 else hi
            raise ValueError(f"target holds class index {bad}; valid indices are 0..{k - 1}.")
    target = target.to(device=logits.device, dtype=torch.long)
    if sample_weight is not None:
        sample_weight = torch.as_tensor(sample_weight)
        if sample_weight.shape != (n,):
            raise ValueError(
                f"sample_weight must have shape ({n},), got {tuple(sample_weight.shape)}."
            )
        sample_weight = sample_weight.to(device=logits.device, dtype=logits.dtype)
        if sample_weight.device.type == "cpu":
            if not bool(torch.isfinite(sample_weight).all()) or bool((sample_weight < 0).any()):
                raise ValueError(
                    "sample_weight must be finite and non-negative, got "
                    f"min {float(sample_weight.min())!r}, max {float(sample_weight.max())!r}."
                )
            if float(sample_weight.sum()) <= 0:
                raise ValueError("sample_weight sums to 0; at least one weight must be > 0.")
    return logits, target, sample_weight


def _weighted_mean(losses: Tensor, sample_weight: Tensor | None) -> Tensor:
    if sample_weight is None:
        return losses.mean()
    return torch.dot(sample_weight, losses) / sample_weight.sum()


def _label_log_prob(log_p: Tensor, target: Tensor) -> Tensor:
    return log_p.gather(1, target[:, None]).squeeze(1)


def _one_minus_p_y(log_p_y: Tensor) -> Tensor:
    # 1 - p_y without cancellation when p_y is close to 1
    return -torch.expm1(log_p_y)


def _epsilon_softmax_ce(log_p: Tensor, target: Tensor, m: float) -> Tensor:
    """``-log p'_y`` with ``p' = (p + m onehot(argmax p)) / (1 + m)``, in log space.

    If the label is the argmax, ``p'_y = (p_y + m) / (1 + m) = 1 - (1 - p_y) / (1 + m)``,
    so ``-log p'_y = -log1p(expm1(log p_y) / (1 + m))``; otherwise ``p'_y = p_y / (1 + m)``
    and ``-log p'_y = -log p_y + log1p(m)``. The argmax is a constant (no gradient).
    """
    log_p_y = _label_log_prob(log_p, target)
    is_max = log_p.detach().argmax(dim=1) == target
    # evaluate the argmax branch only where it is selected, so that the other rows (where
    # p_y may underflow to 0 and log1p(-1) = -inf) cannot leak 0 * inf = NaN into gradients
    safe = torch.where(is_max, log_p_y, torch.zeros_like(log_p_y))
    at_max = -torch.log1p(torch.expm1(safe) / (1.0 + m))
    elsewhere = -log_p_y + math.log1p(m)
    return torch.where(is_max, at_max, elsewhere)


# ----------------------------------------------------------------------------- base classes


class _RobustLoss(nn.Module, ABC):
    """A loss that is the (weighted) mean of a per-sample loss."""

    def forward(
        self, logits: Tensor, target: Tensor, sample_weight: Tensor | None = None
    ) -> Tensor:
        """Mean per-sample loss of a batch.

        Parameters
        ----------
        logits : Tensor of shape (n, n_classes)
            Unnormalised scores, any floating dtype (half precision is upcast to float32).
        target : Tensor of shape (n,)
            Class indices in ``0..n_classes-1``.
        sample_weight : Tensor of shape (n,), optional
            Non-negative weights; the result is then ``sum(w * l) / sum(w)``.

        Returns
        -------
        Tensor, 0-d
            The (weighted) mean loss, differentiable in ``logits``.
        """
        logits, target, sample_weight = _prepare(logits, target, sample_weight)
        return _weighted_mean(self._per_sample(logits, target), sample_weight)

    def per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        """Per-sample losses of a batch, without reduction.

        Parameters
        ----------
        logits : Tensor of shape (n, n_classes)
            Unnormalised scores (half precision is upcast to float32).
        target : Tensor of shape (n,)
            Class indices.

        Returns
        -------
        Tensor of shape (n,)
        """
        logits, target, _ = _prepare(logits, target, None)
        return self._per_sample(logits, target)

    @abstractmethod
    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        """The loss of every row of a batch (inputs already validated and upcast)."""


# ----------------------------------------------------------------------------- losses


class CrossEntropyLoss(_RobustLoss):
    """Plain cross-entropy ``-log p_y`` with the robust losses' call signature.

    Unlike :class:`torch.nn.CrossEntropyLoss` it takes ``sample_weight`` per row, so
    benchmark code can treat every criterion alike.

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import CrossEntropyLoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> CrossEntropyLoss()(logits, target)
    tensor(0.8955)
    """

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(logits, target, reduction="none")


class MAELoss(_RobustLoss):
    """Mean absolute error between ``p`` and the one-hot label: ``2 (1 - p_y)``.

    Symmetric (``sum_k L(x, k)`` is the constant ``2 (K - 1)``), hence provably robust to
    symmetric label noise, but slow to fit: its gradient vanishes on hard samples.

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import MAELoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> MAELoss()(logits, target)
    tensor(1.0011)
    """

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        log_p_y = _label_log_prob(F.log_softmax(logits, dim=1), target)
        return 2.0 * _one_minus_p_y(log_p_y)


class GCELoss(_RobustLoss):
    """Generalized cross-entropy ``(1 - p_y^q) / q``.

    Interpolates between cross-entropy (``q -> 0``) and half the MAE (``q = 1``).

    Parameters
    ----------
    q : float, default=0.7
        Exponent in ``(0, 1]``; 0.7 is the usual CIFAR-10 setting.

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import GCELoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> GCELoss(q=0.7)(logits, target)
    tensor(0.5834)
    """

    def __init__(self, q: float = 0.7) -> None:
        super().__init__()
        self.q = check_real("q", q, 0.0, 1.0, low_open=True)

    def extra_repr(self) -> str:
        return f"q={self.q:g}"

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        log_p_y = _label_log_prob(F.log_softmax(logits, dim=1), target)
        # (1 - exp(q log p_y)) / q, accurate for small q and for p_y near 1
        return -torch.expm1(self.q * log_p_y) / self.q


class RCELoss(_RobustLoss):
    """Reverse cross-entropy ``-sum_k p_k log(clamp(onehot_k, 1e-4, 1))``.

    Equal to ``-log(1e-4) (1 - p_y)`` (about ``9.2103 (1 - p_y)``), i.e. a rescaled MAE; the
    constant is :data:`RCE_SCALE`.

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import RCELoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> RCELoss()(logits, target)
    tensor(4.6101)
    """

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        log_p_y = _label_log_prob(F.log_softmax(logits, dim=1), target)
        return RCE_SCALE * _one_minus_p_y(log_p_y)


class SCELoss(_RobustLoss):
    """Symmetric cross-entropy ``alpha CE + beta RCE``.

    Parameters
    ----------
    alpha : float, default=0.1
        Weight of the cross-entropy, ``>= 0`` (0.1 on CIFAR-10).
    beta : float, default=1.0
        Weight of the reverse cross-entropy :class:`RCELoss`, ``>= 0`` (1.0 on CIFAR-10).

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import SCELoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> SCELoss(alpha=0.1, beta=1.0)(logits, target)
    tensor(4.6997)
    """

    def __init__(self, alpha: float = 0.1, beta: float = 1.0) -> None:
        super().__init__()
        self.alpha, self.beta = _check_mix(alpha, beta)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}, beta={self.beta:g}"

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        log_p_y = _label_log_prob(F.log_softmax(logits, dim=1), target)
        return -self.alpha * log_p_y + self.beta * RCE_SCALE * _one_minus_p_y(log_p_y)


class NCELoss(_RobustLoss):
    """Normalized cross-entropy ``(-log p_y) / (-sum_k log p_k)``.

    The cross-entropy at the label divided by its sum over all labels; lies in ``[0, 1]``
    and is symmetric (``sum_k L(x, k) = 1``). The denominator is at least ``K log K``, so the
    ratio is always well defined.

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import NCELoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> NCELoss()(logits, target)
    tensor(0.2377)
    """

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        log_p = F.log_softmax(logits, dim=1)
        return _label_log_prob(log_p, target) / log_p.sum(dim=1)


class NCERCELoss(_RobustLoss):
    """Active-passive loss ``alpha NCE + beta RCE``.

    Parameters
    ----------
    alpha : float, default=1.0
        Weight of :class:`NCELoss`, ``>= 0`` (1.0 on CIFAR-10).
    beta : float, default=1.0
        Weight of :class:`RCELoss`, ``>= 0`` (1.0 on CIFAR-10).

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import NCERCELoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> NCERCELoss()(logits, target)
    tensor(4.8478)
    """

    def __init__(self, alpha: float = 1.0, beta: float = 1.0) -> None:
        super().__init__()
        self.alpha, self.beta = _check_mix(alpha, beta)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}, beta={self.beta:g}"

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        log_p = F.log_softmax(logits, dim=1)
        log_p_y = _label_log_prob(log_p, target)
        nce = log_p_y / log_p.sum(dim=1)
        return self.alpha * nce + self.beta * RCE_SCALE * _one_minus_p_y(log_p_y)


class EpsilonSoftmaxLoss(_RobustLoss):
    """Cross-entropy of the epsilon-softmax ``p' = (p + m onehot(argmax p)) / (1 + m)``.

    The per-sample loss is ``-log p'_y``. When the label is the predicted class it is
    ``-log(1 - (1 - p_y) / (1 + m))``, about ``(1 - p_y) / (1 + m)``, a bounded, MAE-like
    loss; otherwise it is ``-log p_y + log(1 + m)``, cross-entropy shifted by a constant.
    ``m = 0`` is plain cross-entropy. Computed in log space, so values and gradients stay
    finite for any finite logits; the one-hot of the argmax is a constant (no gradient).

    Parameters
    ----------
    m : float, default=1e5
        Mass added to the predicted class, ``>= 0``.

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import EpsilonSoftmaxLoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> EpsilonSoftmaxLoss(m=1e5)(logits, target)
    tensor(6.5322)
    """

    def __init__(self, m: float = 1e5) -> None:
        super().__init__()
        self.m = check_real("m", m, 0.0)

    def extra_repr(self) -> str:
        return f"m={self.m:g}"

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        return _epsilon_softmax_ce(F.log_softmax(logits, dim=1), target, self.m)


class EpsilonSoftmaxMAELoss(_RobustLoss):
    """``alpha CE_eps + beta MAE``: epsilon-softmax cross-entropy plus ``2 (1 - p_y)``.

    Paper defaults (CIFAR-10): symmetric noise ``alpha=0.01, beta=5, m=1e5`` (the defaults
    here); asymmetric noise ``alpha=0.02, beta=5, m=1e3``.

    Parameters
    ----------
    alpha : float, default=0.01
        Weight of :class:`EpsilonSoftmaxLoss`, ``>= 0``.
    beta : float, default=5.0
        Weight of :class:`MAELoss`, ``>= 0``.
    m : float, default=1e5
        Mass the epsilon-softmax adds to the predicted class, ``>= 0``.

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import EpsilonSoftmaxMAELoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> EpsilonSoftmaxMAELoss(alpha=0.01, beta=5.0, m=1e5)(logits, target)
    tensor(5.0707)
    """

    def __init__(self, alpha: float = 0.01, beta: float = 5.0, m: float = 1e5) -> None:
        super().__init__()
        self.alpha, self.beta = _check_mix(alpha, beta)
        self.m = check_real("m", m, 0.0)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha:g}, beta={self.beta:g}, m={self.m:g}"

    def _per_sample(self, logits: Tensor, target: Tensor) -> Tensor:
        log_p = F.log_softmax(logits, dim=1)
        ce_eps = _epsilon_softmax_ce(log_p, target, self.m)
        mae = 2.0 * _one_minus_p_y(_label_log_prob(log_p, target))
        return self.alpha * ce_eps + self.beta * mae


class SmallLossTrickLoss(nn.Module):
    """The small-loss trick: mean cross-entropy of the lowest-loss ``1 - forget_rate``.

    The rows of the batch are ranked by cross-entropy and the highest-loss ``forget_rate``
    fraction of the batch (of its total ``sample_weight``, when given) is dropped; the loss is
    the (weighted) mean cross-entropy of the rest. Rows are kept in increasing order of loss
    until the kept weight reaches ``(1 - forget_rate)`` of the total; the row that crosses
    that level counts with just the part of its weight needed to reach it. So the kept mass
    is exactly ``1 - forget_rate``, the loss is continuous in ``forget_rate``, and integer
    sample weights are equivalent to repeating rows. (This is the lower conditional
    value-at-risk of the batch's losses. Co-teaching instead keeps ``int((1 - forget_rate)
    n)`` whole rows; the two differ by a fraction of one row.) The lowest-loss row is always
    kept. The ranking is not differentiated: the gradient is that of the kept rows'
    cross-entropy.

    Parameters
    ----------
    forget_rate : float, default=0.2
        Fraction of the batch to drop, in ``[0, 1)``; 0 is plain cross-entropy. Usually set
        to the (estimated) noise rate, ramped up from 0 over the first epochs.

    Attributes
    ----------
    enabled : bool
        When False the loss is the plain (weighted) mean cross-entropy of the whole batch:
        the warm-up epochs before the network can tell clean rows from noisy ones
        (Co-teaching's ramp-up). :class:`~skantidote.callbacks.ReweightingWarmup` switches
        it, as it does for :class:`~skantidote.loss.AntidoteLoss`.
    kept_ : Tensor of shape (n,) or None
        Fraction of each row of the last batch that was kept (1 kept, 0 dropped, strictly
        between for the boundary row); detached. ``None`` before the first batch.

    Examples
    --------
    >>> import torch
    >>> from skantidote.robust_losses import SmallLossTrickLoss
    >>> logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    >>> target = torch.tensor([0, 2])
    >>> SmallLossTrickLoss(forget_rate=0.5)(logits, target)
    tensor(0.2395)
    """

    def __init__(self, forget_rate: float = 0.2) -> None:
        super().__init__()
        self.forget_rate = check_real("forget_rate", forget_rate, 0.0, 1.0, high_open=True)
        self.enabled = True
        self.kept_: Tensor | None = None

    def extra_repr(self) -> str:
        return f"forget_rate={self.forget_rate:g}"

    def forward(
        self, logits: Tensor, target: Tensor, sample_weight: Tensor | None = None
    ) -> Tensor:
        """Mean cross-entropy of the smallest-loss part of a batch.

        Parameters
        ----------
        logits : Tensor of shape (n, n_classes)
            Unnormalised scores, any floating dtype (half precision is upcast to float32).
        target : Tensor of shape (n,)
            Class indices in ``0..n_classes-1``.
        sample_weight : Tensor of shape (n,), optional
            Non-negative weights: the fraction dropped is a fraction of their total, and the
            kept rows are averaged with these weights.

        Returns
        -------
        Tensor, 0-d
            The mean cross-entropy of the kept part, differentiable in ``logits``.
        """
        logits, target, sample_weight = _prepare(logits, target, sample_weight)
        losses = F.cross_entropy(logits, target, reduction="none")
        if not self.enabled:
            self.kept_ = None
            return _weighted_mean(losses, sample_weight)
        if sample_weight is None:
            sample_weight = torch.ones_like(losses)
        kept = self._kept_weight(losses.detach(), sample_weight)
        self.kept_ = torch.where(
            sample_weight > 0, kept / sample_weight.clamp(min=torch.finfo(kept.dtype).tiny), 0
        )
        return torch.dot(kept, losses) / kept.sum()

    def _kept_weight(self, losses: Tensor, weight: Tensor) -> Tensor:
        order = torch.argsort(losses, stable=True)
        w = weight[order]
        budget = (1.0 - self.forget_rate) * w.sum()
        before = torch.cumsum(w, dim=0) - w  # weight of the lower-loss rows
        kept_sorted = torch.minimum(w, (budget - before).clamp(min=0))
        return torch.zeros_like(weight).scatter(0, order, kept_sorted)


# ----------------------------------------------------------------------------- registry

#: Short names of the baselines, as used in benchmark configurations.
ROBUST_LOSSES: dict[str, type[nn.Module]] = {
    "ce": CrossEntropyLoss,
    "mae": MAELoss,
    "gce": GCELoss,
    "rce": RCELoss,
    "sce": SCELoss,
    "nce": NCELoss,
    "nce+rce": NCERCELoss,
    "ce_eps": EpsilonSoftmaxLoss,
    "ce_eps+mae": EpsilonSoftmaxMAELoss,
    "small_loss": SmallLossTrickLoss,
}


def get_robust_loss(name: str, **params: float) -> nn.Module:
    """Instantiate a baseline loss by its short name.

    Parameters
    ----------
    name : str
        One of the keys of :data:`ROBUST_LOSSES` (case-insensitive): ``"ce"``, ``"mae"``,
        ``"gce"``, ``"rce"``, ``"sce"``, ``"nce"``, ``"nce+rce"``, ``"ce_eps"``,
        ``"ce_eps+mae"``, ``"small_loss"``.
    **params
        Keyword arguments of the loss class, e.g. ``q`` for ``"gce"``.

    Returns
    -------
    nn.Module
        The loss, called as ``criterion(logits, target, sample_weight=None)``.

    Examples
    --------
    >>> from skantidote.robust_losses import get_robust_loss
    >>> get_robust_loss("ce_eps+mae", alpha=0.02, m=1e3)
    EpsilonSoftmaxMAELoss(alpha=0.02, beta=5, m=1000)
    """
    key = name.lower() if isinstance(name, str) else None
    if key not in ROBUST_LOSSES:
        valid = ", ".join(repr(k) for k in ROBUST_LOSSES)
        raise ValueError(f"Unknown robust loss {name!r}; valid names are {valid}.")
    return ROBUST_LOSSES[key](**params)
