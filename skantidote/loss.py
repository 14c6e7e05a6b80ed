"""The ANTIDOTE objective as a plain PyTorch loss."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from skantidote.divergences import Divergence, DualSolution, get_divergence, raise_if_nonfinite

__all__ = ["FORGOTTEN_WEIGHT", "AntidoteLoss"]

#: A row whose ANTIDOTE weight is below this (a tenth of an average row's influence) counts as
#: forgotten in the diagnostics. The alpha family forgets exactly (weight 0); KL weights
#: never reach 0, so a threshold is needed to speak of forgetting at all.
FORGOTTEN_WEIGHT = 0.1


class AntidoteLoss(nn.Module):
    """Cross-entropy reweighted by ANTIDOTE's most favourable distribution.

    For a batch with per-sample cross-entropies ``l_i`` the loss is::

        min_w  E_P[w * l] + kappa * D(w)   subject to   D(w) <= delta,  w >= 0,  E_P[w] = 1

    where ``P`` is the batch's empirical distribution (weighted by ``sample_weight`` when
    given) and ``D`` an f-divergence. High-loss samples, typically the mislabeled ones that a
    network learns last, get small weights: the model "forgets" them. The weights are solved
    exactly for each batch without gradient, and by Danskin's theorem the gradient of the
    objective is the weight-averaged gradient of the per-sample losses, which is what
    backpropagating through this module computes.

    Parameters
    ----------
    divergence : {"kl", "alpha", "chi2"} or Divergence, default="kl"
        The f-divergence. ``"kl"`` down-weights smoothly; ``"alpha"`` (order ``alpha``) drops
        the highest losses exactly; ``"chi2"`` is alpha with ``alpha=2``.
    forget_rate : float, optional
        Fraction of the data, in [0, 1), that the ball just allows to forget; sets ``delta``
        through :meth:`Divergence.radius`. Exactly one of ``forget_rate`` and ``delta``.
    delta : float, optional
        Radius of the divergence ball, ``>= 0``; ``0`` is plain cross-entropy.
    kappa : float, default=0.0
        Weight of a divergence penalty, a floor on the temperature of the weights.
    alpha : float, default=2.0
        Order of the alpha-divergence, ``> 1`` (used when ``divergence="alpha"``).
    max_iter : int, default=40
        Newton iterations of the weight solve (on CPU it stops once converged).
    tol : float, default=1e-10
        Convergence tolerance of the weight solve.
    warm_start : bool, default=True
        Start each batch's solve from the previous batch's solution.
    check_finite : bool, optional
        Raise a ``ValueError`` on NaN or infinite losses. Default: on CPU only, since checking
        reads a value back from an accelerator once per batch.

    Attributes
    ----------
    radius : float
        The resolved radius ``delta``.
    enabled : bool
        When False the module computes plain (sample-weighted) mean cross-entropy; used for
        warm-up epochs before forgetting starts.
    solution_ : DualSolution or None
        Everything the last batch's weight solve returned (``None`` before the first
        reweighted batch, and after a batch with reweighting disabled).
    weights_ : Tensor or None
        Detached weights of the last batch.
    lambda_, tau_, rho_, divergence_ : Tensor or None
        Dual variables and divergence of the last batch (``rho_`` is ``None`` for KL).
    forgotten_ : Tensor or None
        Fraction of the last batch with weight below :data:`FORGOTTEN_WEIGHT`.

    Examples
    --------
    >>> import torch
    >>> from skantidote import AntidoteLoss
    >>> criterion = AntidoteLoss(forget_rate=0.2)
    >>> logits = torch.randn(8, 3, requires_grad=True)
    >>> target = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    >>> loss = criterion(logits, target)
    >>> loss.backward()
    >>> criterion.weights_.shape
    torch.Size([8])
    """

    def __init__(
        self,
        divergence: str | Divergence = "kl",
        forget_rate: float | None = None,
        delta: float | None = None,
        kappa: float = 0.0,
        alpha: float = 2.0,
        max_iter: int = 40,
        tol: float = 1e-10,
        warm_start: bool = True,
        check_finite: bool | None = None,
    ) -> None:
        super().__init__()
        self.family = get_divergence(divergence, alpha)
        if (forget_rate is None) == (delta is None):
            raise ValueError(
                "Give exactly one of forget_rate (fraction of data to allow forgetting) and "
                f"delta (divergence radius); got forget_rate={forget_rate!r}, delta={delta!r}."
            )
        if delta is None:
            delta = self.family.radius(forget_rate)
        ok = isinstance(delta, (int, float)) and not isinstance(delta, bool)
        if not (ok and delta >= 0 and not math.isnan(delta)):
            raise ValueError(f"delta must be a number >= 0, got {delta!r}.")
        ok = isinstance(kappa, (int, float)) and not isinstance(kappa, bool)
        if not (ok and math.isfinite(kappa) and kappa >= 0):
            raise ValueError(f"kappa must be a finite number >= 0, got {kappa!r}.")
        if math.isinf(delta) and kappa == 0:
            raise ValueError("delta=inf leaves only the kappa penalty, so kappa must be > 0.")
        if not (isinstance(max_iter, int) and max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}.")
        self.radius = float(delta)
        self.kappa = float(kappa)
        self.max_iter = max_iter
        self.tol = tol
        self.warm_start = warm_start
        self.check_finite = check_finite
        self.enabled = True
        self._set_solution(None)

    def extra_repr(self) -> str:
        return f"family={self.family!r}, radius={self.radius:.6g}, kappa={self.kappa:g}"

    def forward(
        self, logits: Tensor, target: Tensor, sample_weight: Tensor | None = None
    ) -> Tensor:
        """The ANTIDOTE objective of a batch.

        Parameters
        ----------
        logits : Tensor of shape (n, n_classes)
            Unnormalised scores, any floating dtype (half precision is upcast to float32
            for the cross-entropy).
        target : Tensor of shape (n,)
            Class indices (or class probabilities of shape (n, n_classes)).
        sample_weight : Tensor of shape (n,), optional
            Non-negative weights defining the reference distribution ``P``.

        Returns
        -------
        Tensor, 0-d
            ``E_P[w* l] + kappa D(w*)``, differentiable in ``logits`` with ``w*`` fixed.
        """
        if logits.dtype in (torch.float16, torch.bfloat16):
            logits = logits.float()
        if not self.enabled or self.radius == 0.0:
            self._set_solution(None)
            return self._cross_entropy(logits, target, sample_weight)
        losses = F.cross_entropy(logits, target, reduction="none")
        if sample_weight is not None:
            sample_weight = sample_weight.to(device=losses.device, dtype=losses.dtype)
        solution = self.family.solve(
            losses.detach(),
            self.radius,
            self.kappa,
            ref_weights=sample_weight,
            init=self._solution if self.warm_start else None,
            max_iter=self.max_iter,
            tol=self.tol,
            check_finite=self._checks_finite(losses),
        )
        self._set_solution(solution)
        if sample_weight is None:
            weights = solution.scaled_weights(1.0 / losses.numel(), losses.dtype)
            objective = torch.dot(weights, losses)
        else:
            weights = solution.scaled_weights(1.0, losses.dtype)
            objective = torch.dot(weights * (sample_weight / sample_weight.sum()), losses)
        if self.kappa:
            objective = objective + self.kappa * solution.divergence.to(losses.dtype)
        return objective

    def _cross_entropy(
        self, logits: Tensor, target: Tensor, sample_weight: Tensor | None
    ) -> Tensor:
        """Plain (sample-weighted) mean cross-entropy: no reweighting."""
        if sample_weight is None:
            objective = F.cross_entropy(logits, target)
        else:
            losses = F.cross_entropy(logits, target, reduction="none")
            sample_weight = sample_weight.to(device=losses.device, dtype=losses.dtype)
            objective = torch.dot(sample_weight, losses) / sample_weight.sum()
        # A NaN or infinite loss makes the mean non-finite: checking the mean costs one read
        # instead of a pass over the batch, and the losses are recomputed only to say which.
        if self._checks_finite(objective) and not math.isfinite(objective.item()):
            losses = F.cross_entropy(logits.detach(), target, reduction="none")
            raise_if_nonfinite(losses, "losses")
        return objective

    def weights(self, losses: Tensor, sample_weight: Tensor | None = None) -> Tensor:
        """ANTIDOTE weights of a vector of per-sample losses, without changing any state.

        Parameters
        ----------
        losses : Tensor of shape (n,)
            Per-sample losses, e.g. the cross-entropy of every training row.
        sample_weight : Tensor of shape (n,), optional
            Weights of the reference distribution.

        Returns
        -------
        Tensor of shape (n,)
            The optimal weights (mean 1 under the reference distribution), detached.
        """
        solution = self.family.solve(
            losses.detach(),
            self.radius,
            self.kappa,
            ref_weights=sample_weight,
            max_iter=self.max_iter,
            tol=self.tol,
            check_finite=self._checks_finite(losses),
        )
        return solution.scaled_weights(1.0, losses.dtype)

    def reset(self) -> None:
        """Forget the warm start and the last batch's diagnostics."""
        self._set_solution(None)

    def _set_solution(self, solution: DualSolution | None) -> None:
        # Plain attribute write: nn.Module.__setattr__ inspects parameters, buffers and
        # submodules, a cost paid every batch for no purpose here.
        self.__dict__["_solution"] = solution

    def _checks_finite(self, losses: Tensor) -> bool:
        if self.check_finite is None:
            return losses.device.type == "cpu"
        return bool(self.check_finite)

    @property
    def solution_(self) -> DualSolution | None:
        """The last reweighted batch's :class:`~skantidote.divergences.DualSolution`."""
        return self._solution

    @property
    def weights_(self) -> Tensor | None:
        return None if self._solution is None else self._solution.weights

    @property
    def lambda_(self) -> Tensor | None:
        return None if self._solution is None else self._solution.lam

    @property
    def tau_(self) -> Tensor | None:
        return None if self._solution is None else self._solution.tau

    @property
    def rho_(self) -> Tensor | None:
        return None if self._solution is None else self._solution.rho

    @property
    def divergence_(self) -> Tensor | None:
        return None if self._solution is None else self._solution.divergence

    @property
    def forgotten_(self) -> Tensor | None:
        if self._solution is None:
            return None
        return (self._solution.weights < FORGOTTEN_WEIGHT).float().mean()
