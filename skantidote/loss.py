"""The ANTIDOTE objective as a plain PyTorch loss."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from skantidote.divergences import Divergence, DualSolution, get_divergence, raise_if_nonfinite
from skantidote.validation import check_real

__all__ = ["FORGOTTEN_WEIGHT", "SAMPLE_LOSSES", "AntidoteLoss"]

#: A row whose ANTIDOTE weight is below this (a tenth of an average row's influence) counts as
#: forgotten in the diagnostics. The alpha family forgets exactly (weight 0); KL weights
#: never reach 0, so a threshold is needed to speak of forgetting at all.
FORGOTTEN_WEIGHT = 0.1


def _cross_entropy(input: Tensor, target: Tensor) -> Tensor:
    return F.cross_entropy(input, target, reduction="none")


def _row_mean(values: Tensor) -> Tensor:
    # One loss per row: the mean over a multi-output row keeps the scale of one output.
    return values.reshape(len(values), -1).mean(dim=1)


def _squared_error(input: Tensor, target: Tensor) -> Tensor:
    return _row_mean((input - target.reshape(input.shape).to(input.dtype)) ** 2)


def _absolute_error(input: Tensor, target: Tensor) -> Tensor:
    return _row_mean((input - target.reshape(input.shape).to(input.dtype)).abs())


def _huber(input: Tensor, target: Tensor) -> Tensor:
    target = target.reshape(input.shape).to(input.dtype)
    return _row_mean(F.huber_loss(input, target, reduction="none", delta=1.0))


#: The per-sample losses :class:`AntidoteLoss` reweights, by name: the network's output
#: and the targets of a batch to one loss per row.
SAMPLE_LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "cross_entropy": _cross_entropy,
    "squared_error": _squared_error,
    "absolute_error": _absolute_error,
    "huber": _huber,
}


class AntidoteLoss(nn.Module):
    """A per-sample loss reweighted by ANTIDOTE's most favourable distribution.

    For a batch with per-sample losses ``l_i`` (cross-entropy by default) the loss is::

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
    sample_loss : str or callable, default="cross_entropy"
        The per-sample loss that is reweighted: ``"cross_entropy"`` (logits and class
        indices or probabilities), or for regression ``"squared_error"``,
        ``"absolute_error"`` or ``"huber"`` (threshold 1, in the targets' units: meant for
        standardised targets), each the mean over the outputs of a multi-output row; or a
        callable ``(input, target) -> Tensor of shape (n,)``.

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
        sample_loss: str | Callable[[Tensor, Tensor], Tensor] = "cross_entropy",
    ) -> None:
        super().__init__()
        if callable(sample_loss):
            self._sample_loss = sample_loss
        elif sample_loss in SAMPLE_LOSSES:
            self._sample_loss = SAMPLE_LOSSES[sample_loss]
        else:
            raise ValueError(
                f"sample_loss must be one of {sorted(SAMPLE_LOSSES)} or a callable "
                f"(input, target) -> per-sample losses, got {sample_loss!r}."
            )
        self.sample_loss = sample_loss
        self.family = get_divergence(divergence, alpha)
        if (forget_rate is None) == (delta is None):
            raise ValueError(
                "Give exactly one of forget_rate (fraction of data to allow forgetting) and "
                f"delta (divergence radius); got forget_rate={forget_rate!r}, delta={delta!r}."
            )
        if delta is None:
            delta = self.family.radius(forget_rate)
        delta = check_real("delta", delta, 0.0, allow_inf=True)
        kappa = check_real("kappa", kappa, 0.0)
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
        text = f"family={self.family!r}, radius={self.radius:.6g}, kappa={self.kappa:g}"
        if self.sample_loss != "cross_entropy":
            text += f", sample_loss={self.sample_loss!r}"
        return text

    def forward(
        self, logits: Tensor, target: Tensor, sample_weight: Tensor | None = None
    ) -> Tensor:
        """The ANTIDOTE objective of a batch.

        Parameters
        ----------
        logits : Tensor of shape (n, n_classes) or (n, n_outputs)
            The network's output: unnormalised scores for ``"cross_entropy"``, predictions
            for the regression losses; any floating dtype (half precision is upcast to
            float32 for the loss).
        target : Tensor of shape (n,) or (n, n_outputs)
            Class indices (or class probabilities of shape (n, n_classes)); regression
            targets.
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
            return self._plain_mean(logits, target, sample_weight)
        losses = self._sample_loss(logits, target)
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

    def _plain_mean(
        self, logits: Tensor, target: Tensor, sample_weight: Tensor | None
    ) -> Tensor:
        """Plain (sample-weighted) mean of the per-sample losses: no reweighting."""
        if sample_weight is None and self._sample_loss is _cross_entropy:
            # The fused mean: the warm-up costs exactly a cross-entropy step.
            objective = F.cross_entropy(logits, target)
        else:
            losses = self._sample_loss(logits, target)
            if sample_weight is None:
                objective = losses.mean()
            else:
                sample_weight = sample_weight.to(device=losses.device, dtype=losses.dtype)
                objective = torch.dot(sample_weight, losses) / sample_weight.sum()
        # A NaN or infinite loss makes the mean non-finite: checking the mean costs one read
        # instead of a pass over the batch, and the losses are recomputed only to say which.
        if self._checks_finite(objective) and not math.isfinite(objective.item()):
            raise_if_nonfinite(self._sample_loss(logits.detach(), target), "losses")
        return objective

    def set_forget_rate(self, forget_rate: float) -> None:
        """Set the radius to that of ``forget_rate``, e.g. from an estimate of the noise.

        Parameters
        ----------
        forget_rate : float
            Fraction of the data, in [0, 1), that the ball just allows to forget.

        Examples
        --------
        >>> from skantidote import AntidoteLoss
        >>> criterion = AntidoteLoss(forget_rate=0.2)
        >>> criterion.set_forget_rate(0.4)
        >>> round(criterion.radius, 4)  # -log(0.6)
        0.5108
        """
        self.radius = self.family.radius(forget_rate)

    def per_sample(self, input: Tensor, target: Tensor) -> Tensor:
        """The per-sample losses of a batch, before any reweighting.

        Parameters
        ----------
        input : Tensor
            The network's output for the batch (logits for ``"cross_entropy"``).
        target : Tensor
            The batch's targets.

        Returns
        -------
        Tensor of shape (n,)

        Examples
        --------
        >>> import torch
        >>> from skantidote import AntidoteLoss
        >>> criterion = AntidoteLoss(forget_rate=0.2, sample_loss="squared_error")
        >>> criterion.per_sample(torch.tensor([[1.0], [2.0]]), torch.tensor([1.0, 0.0]))
        tensor([0., 4.])
        """
        if input.dtype in (torch.float16, torch.bfloat16):
            input = input.float()
        return self._sample_loss(input, target)

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
