"""The ANTIDOTE objective as a plain PyTorch loss."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from skantidote.divergences import (
    Divergence,
    DualSolution,
    get_divergence,
    raise_if_nonfinite,
    reference_distribution,
)
from skantidote.robust_losses import NCERCELoss
from skantidote.validation import check_real

__all__ = [
    "FORGOTTEN_WEIGHT", "MAX_FORGET_RATE", "MIN_CONFIDENCE", "SAMPLE_LOSSES", "AntidoteLoss"
]

#: A row whose ANTIDOTE weight is below this (a tenth of an average row's influence) counts as
#: forgotten in the diagnostics. The alpha family forgets exactly (weight 0); KL weights
#: never reach 0, so a threshold is needed to speak of forgetting at all.
FORGOTTEN_WEIGHT = 0.1
#: The largest fraction of the rows any radius set from the data forgets (an estimate of
#: the noise, or the confident floor): a radius that forgets more would leave too few rows
#: to learn from (and a rate of 1 has no finite KL radius).
MAX_FORGET_RATE = 0.9
#: The least probability that puts a row confidently in a class: more than all other
#: classes together, so that at most one class of a row reaches it. The confident floor's
#: thresholds (and the noise estimate's, which they are) are at least this.
MIN_CONFIDENCE = 0.5


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
    # Bounded: a wrong label's gradient stays small however long the run, and on two
    # classes symmetric noise below one half leaves the loss's minimiser unchanged.
    "nce+rce": NCERCELoss().per_sample,
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
    forget_rate : float or sequence of floats, optional
        Fraction of the data, in [0, 1), that the ball just allows to forget; sets ``delta``
        through :meth:`Divergence.radius`. Exactly one of ``forget_rate`` and ``delta``.
        With ``per_class=True``, also a sequence of one rate per class.
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
        indices or probabilities); ``"nce+rce"``
        (:class:`~skantidote.robust_losses.NCERCELoss`, logits and class indices), a
        bounded loss that a long run memorises less, but learns more slowly (where it
        helped and where it did not: the tuning guide, "When it fails"); or for
        regression ``"squared_error"``, ``"absolute_error"`` or ``"huber"`` (threshold 1,
        in the targets' units: meant for standardised targets), each the mean over the
        outputs of a multi-output row; or a callable
        ``(input, target) -> Tensor of shape (n,)``.
    per_class : bool, default=False
        One ball per class instead of one for the batch
        (:meth:`Divergence.solve_per_class`): the weights have mean 1 within every class,
        and each class may forget at most its own rate. With one rate, every class keeps
        its share of the batch; with one rate per class, class ``k`` keeps its share of
        the rows its ball keeps, ``P(k) (1 - forget_rate[k])`` renormalised (the class
        marginal of the labels that are right, if the rates are the classes' noise
        rates), so that a class whose labels are mostly wrong does not keep the share its
        wrong labels gave it. With one ball, a minority class whose rows all have high
        losses (a hard class, early in training) can be forgotten wholesale; per class it
        cannot. Targets must then be class indices, and the number of classes is the
        logits' second dimension; ``lambda_``, ``tau_``, ``rho_`` hold one value per
        class and ``divergence_`` is their total weighted by the classes' shares.

    Attributes
    ----------
    radius : float or tuple of floats
        The resolved radius ``delta`` (one per class after a per-class rate sequence).
    confident_thresholds : Tensor of shape (n_classes,) or None
        The confident floor's per-class probabilities (:meth:`set_confident_floor`);
        ``None``: no floor.
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
        per_class: bool = False,
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
        self.per_class = bool(per_class)
        self._kept_shares = None
        if (forget_rate is None) == (delta is None):
            raise ValueError(
                "Give exactly one of forget_rate (fraction of data to allow forgetting) and "
                f"delta (divergence radius); got forget_rate={forget_rate!r}, delta={delta!r}."
            )
        kappa = check_real("kappa", kappa, 0.0)
        if delta is None:
            self.set_forget_rate(forget_rate)
        else:
            delta = check_real("delta", delta, 0.0, allow_inf=True)
            if math.isinf(delta) and kappa == 0:
                raise ValueError(
                    "delta=inf leaves only the kappa penalty, so kappa must be > 0."
                )
            self.radius = float(delta)
        if not (isinstance(max_iter, int) and max_iter >= 1):
            raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}.")
        self.kappa = float(kappa)
        self.max_iter = max_iter
        self.tol = check_real("tol", tol, 0.0)
        self.warm_start = warm_start
        self.check_finite = check_finite
        self.enabled = True
        self.set_confident_floor(None)
        self._set_solution(None)

    def extra_repr(self) -> str:
        radius = (
            f"{self.radius:.6g}" if isinstance(self.radius, float)
            else "(" + ", ".join(f"{r:.6g}" for r in self.radius) + ")"
        )
        text = f"family={self.family!r}, radius={radius}, kappa={self.kappa:g}"
        if self.per_class:
            text += ", per_class=True"
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
        if sample_weight is not None and not isinstance(sample_weight, Tensor):
            sample_weight = torch.as_tensor(sample_weight)
        if logits.ndim > 2 and self._sample_loss is _cross_entropy:
            # Refused in the warm-up too, where cross-entropy alone would take it.
            raise ValueError(
                f"AntidoteLoss weights rows: logits must have shape (n, n_classes), got "
                f"{tuple(logits.shape)}. For per-position outputs (sequences, images), "
                "flatten the positions into rows: logits.movedim(1, -1).reshape(-1, C) "
                "with target.reshape(-1)."
            )
        radius = self.radius
        if self.enabled and self._floors(logits, target):
            floor_weights = None if sample_weight is None else sample_weight.to(
                device=logits.device, dtype=logits.dtype
            )
            radius = self._floored_radius(logits.detach(), target, floor_weights)
        # (On an accelerator a floored radius is a device tensor, never compared here.)
        if not self.enabled or (isinstance(radius, float) and radius == 0.0):
            self._set_solution(None)
            return self._plain_mean(logits, target, sample_weight)
        losses = self._sample_loss(logits, target)
        if self._checks_finite(losses):
            self._check_class_targets(target)
        if sample_weight is not None:
            sample_weight = sample_weight.to(device=losses.device, dtype=losses.dtype)
        solution = self._solve(
            losses, sample_weight, self._solution if self.warm_start else None,
            target, logits.shape[1] if logits.ndim == 2 else 0, radius,
        )
        if self.per_class:
            sample_weight = self._class_reference(target, sample_weight, losses)
        self._set_solution(solution, sample_weight)
        if sample_weight is None:
            weights = solution.scaled_weights(1.0 / losses.numel(), losses.dtype)
            objective = torch.dot(weights, losses)
        else:
            weights = solution.scaled_weights(1.0, losses.dtype)
            objective = torch.dot(weights * (sample_weight / sample_weight.sum()), losses)
        if self.kappa:
            objective = objective + self.kappa * self.divergence_.to(losses.dtype)
        return objective

    def _solve(
        self, losses: Tensor, sample_weight: Tensor | None, init: DualSolution | None,
        target: Tensor | None, n_classes: int, radius: float | Tensor | None = None,
    ) -> DualSolution:
        """The weight solve of a batch: one ball (of ``radius``, by default the module's),
        or one per class of ``target``."""
        options = {
            "ref_weights": sample_weight, "init": init, "max_iter": self.max_iter,
            "tol": self.tol, "check_finite": self._checks_finite(losses),
        }
        if not self.per_class:
            radius = self.radius if radius is None else radius
            return self.family.solve(losses.detach(), radius, self.kappa, **options)
        if target is None or target.ndim != 1 or target.is_floating_point():
            got = "none" if target is None else f"{target.dtype} of shape {tuple(target.shape)}"
            raise ValueError(
                "per_class=True needs class indices as targets (a 1-D integer tensor, one "
                f"per row); got {got}."
            )
        if n_classes < 1:
            raise ValueError(
                "per_class=True takes the number of classes from the logits' second "
                "dimension, so the input must be 2-D (n, n_classes)."
            )
        if isinstance(self.radius, float):
            radii = (self.radius,) * n_classes
        elif len(self.radius) == n_classes:
            radii = self.radius
        else:
            raise ValueError(
                f"{len(self.radius)} per-class forget rates were given for {n_classes} "
                "classes (the logits' second dimension); give one per class."
            )
        return self.family.solve_per_class(
            losses.detach(), target, radii, self.kappa, **options
        )

    def _class_reference(
        self, target: Tensor, sample_weight: Tensor | None, losses: Tensor
    ) -> Tensor | None:
        """The reference weights of the per-class objective: with rates that differ, each
        class's mass scaled by the share of it its ball keeps, ``1 - forget_rate[k]``.

        The per-class solve does not depend on it (the scale is constant within a class),
        so it is applied after the solve, which has checked the targets.
        """
        # .get: a criterion pickled by an earlier 0.x release has no kept shares. A radius
        # set directly (one float, e.g. a refit's delta) leaves rates' shares behind.
        shares = self.__dict__.get("_kept_shares")
        if shares is None or not isinstance(self.radius, tuple):
            return sample_weight
        kept = self.__dict__.get("_kept_shares_cast")
        if kept is None or kept.device != losses.device or kept.dtype != losses.dtype:
            kept = shares.to(device=losses.device, dtype=losses.dtype)
            self.__dict__["_kept_shares_cast"] = kept
        class_mass = kept[target]
        return class_mass if sample_weight is None else sample_weight * class_mass

    def _floors(self, logits: Tensor, target: Tensor) -> bool:
        """Whether the confident floor applies to this batch (see set_confident_floor)."""
        return (
            self._log_confident_thresholds is not None and not self.per_class
            and self._sample_loss is _cross_entropy and logits.ndim == 2
            and target.ndim == 1 and not target.is_floating_point()
        )

    def _floored_radius(
        self, logits: Tensor, target: Tensor, sample_weight: Tensor | None
    ) -> float | Tensor:
        """The batch's radius: the module's, or that of forgetting its confident rows.

        On CPU a float; on an accelerator a 0-d tensor that stays there.
        """
        log_thresholds = self._log_confident_thresholds
        if len(log_thresholds) != logits.shape[1]:
            raise ValueError(
                f"The confident floor has {len(log_thresholds)} thresholds for "
                f"{logits.shape[1]} classes (the logits' second dimension); give one per "
                "class to set_confident_floor."
            )
        if log_thresholds.device != logits.device:
            log_thresholds = log_thresholds.to(logits.device)
            self.__dict__["_log_confident_thresholds"] = log_thresholds
        # As few tensor operations as the rule allows: inside a training step each costs
        # several times what it costs alone. The thresholds are at least one half, so a
        # row has at most one class above its threshold, and that class, unless it is the
        # label, is above the label: the label's column is all that needs leaving out.
        above = torch.log_softmax(logits, dim=1) > log_thresholds
        above.scatter_(1, target.view(-1, 1), False)
        n_rows = logits.shape[0]
        if sample_weight is not None:
            rate = torch.dot(above.any(dim=1).to(sample_weight.dtype), sample_weight)
            rate = rate / sample_weight.sum()
        else:
            count = torch.count_nonzero(above)
            rate = count.item() / n_rows if logits.is_cpu else count / n_rows
        if logits.is_cpu:
            rate = min(float(rate), MAX_FORGET_RATE)
            return max(self.radius, float(self.family.concentration_divergence(1.0 - rate)))
        # float64 like the solve's losses; MPS has no float64.
        dtype = torch.float32 if logits.device.type == "mps" else torch.float64
        floor = self.family.concentration_divergence(
            1.0 - rate.to(dtype).clamp(max=MAX_FORGET_RATE)
        )
        return torch.clamp(floor, min=self.radius)

    def set_confident_floor(self, thresholds: Sequence[float] | Tensor | None) -> None:
        """Forget, in every batch, at least the rows confidently put in another class.

        A row counts when a class other than its label gets more than that class's
        threshold. The thresholds are at least one half, so that at most one class of a row
        can pass its own: the most probable, confidently. The batch's radius is then at
        least that of forgetting the fraction of such rows (at most
        :data:`~skantidote.loss.MAX_FORGET_RATE`), whatever the forget rate. A forget rate
        set from an estimate of the noise forgets that fraction of every batch, but the
        wrong labels do not spread evenly over the batches: those a batch holds beyond it
        would be learnt, and a network that has learnt them no longer tells them apart, so
        an estimate that follows it drifts down. The floor applies to one ball with the
        cross-entropy of class indices (not to ``per_class`` balls), in training
        (:meth:`forward`), not in :meth:`weights`; on CPU the fraction is read back once per
        batch, on an accelerator the radius stays on the device.

        Parameters
        ----------
        thresholds : sequence of floats in [0.5, 1] or Tensor of shape (n_classes,), or None
            One probability per class; ``None`` removes the floor. Checked on the host
            only: a tensor on an accelerator is taken as it is.

        Examples
        --------
        >>> import torch
        >>> criterion = AntidoteLoss(forget_rate=0.1)
        >>> criterion.set_confident_floor([0.9, 0.9])
        >>> logits = torch.tensor([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [0.0, 4.0]])
        >>> target = torch.tensor([0, 1, 1, 0])  # the last two rows: confidently the other
        >>> loss = criterion(logits, target)
        >>> round(float(criterion.divergence_), 3) == round(criterion.family.radius(0.5), 3)
        True
        """
        if thresholds is None:
            self.confident_thresholds = None
            self.__dict__["_log_confident_thresholds"] = None
            return
        values = torch.as_tensor(thresholds, dtype=torch.float32).detach()
        if values.ndim != 1 or not len(values):
            raise ValueError(
                "thresholds must hold one probability per class, got shape "
                f"{tuple(values.shape)}."
            )
        bad = (values < MIN_CONFIDENCE) | (values > 1) | values.isnan()
        if values.device.type == "cpu" and bool(bad.any()):
            raise ValueError(
                f"thresholds must be probabilities in [{MIN_CONFIDENCE}, 1] (a row is "
                f"confidently in at most one class), got {values.tolist()!r}."
            )
        self.confident_thresholds = values
        self.__dict__["_log_confident_thresholds"] = torch.log(values)

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
                # The same checks as the reweighted path's (shape, finite, non-negative,
                # positive sum): a fit must not fail only when its warm-up ends.
                reference = reference_distribution(
                    losses, sample_weight, self._checks_finite(losses)
                )
                objective = torch.dot(reference, losses)
        # A NaN or infinite loss makes the mean non-finite: checking the mean costs one read
        # instead of a pass over the batch, and the losses are recomputed only to say which.
        if self._checks_finite(objective):
            self._check_class_targets(target)
            if not math.isfinite(objective.item()):
                raise_if_nonfinite(self._sample_loss(logits.detach(), target), "losses")
        return objective

    def _check_class_targets(self, target: Tensor) -> None:
        """Class indices must name classes. ``F.cross_entropy`` gives a row whose target is
        its ``ignore_index`` (-100) a loss of zero, which the reweighting would take for
        the best-fit row of the batch and weight most."""
        if (
            self._sample_loss is _cross_entropy and target.ndim == 1
            and not target.is_floating_point() and bool((target < 0).any())
        ):
            negative = torch.unique(target[target < 0])[:5].tolist()
            raise ValueError(
                f"Class-index targets must be in [0, n_classes), got {negative}. "
                "AntidoteLoss ignores no rows (no ignore_index): drop the rows marked to "
                "be ignored (e.g. padding labelled -100) before the loss."
            )

    def set_forget_rate(
        self, forget_rate: float | Sequence[float], per_class: bool | None = None
    ) -> None:
        """Set the radius to that of ``forget_rate``, e.g. from an estimate of the noise.

        Parameters
        ----------
        forget_rate : float or sequence of floats
            Fraction of the data, in [0, 1), that the ball just allows to forget; with
            ``per_class=True`` also one fraction per class (the radius of each class's
            ball), whose length must then match the logits' number of classes.
        per_class : bool, optional
            Switch to one ball per class (True) or one ball (False) first; ``None`` keeps
            the current choice. A switch drops the warm start, whose dual variables
            belong to the other problem.

        Examples
        --------
        >>> from skantidote import AntidoteLoss
        >>> criterion = AntidoteLoss(forget_rate=0.2)
        >>> criterion.set_forget_rate(0.4)
        >>> round(criterion.radius, 4)  # -log(0.6)
        0.5108
        >>> per_class = AntidoteLoss(forget_rate=0.2, per_class=True)
        >>> per_class.set_forget_rate([0.1, 0.0, 0.3])
        >>> [round(r, 4) for r in per_class.radius]
        [0.1054, 0.0, 0.3567]
        >>> criterion.set_forget_rate([0.1, 0.3], per_class=True)  # now one ball per class
        >>> criterion.per_class
        True
        """
        if per_class is not None and bool(per_class) != self.per_class:
            self.per_class = bool(per_class)
            self.reset()
        if isinstance(forget_rate, Tensor | np.ndarray) and forget_rate.ndim == 0:
            forget_rate = forget_rate.item()  # a 0-d tensor or array is one rate
        if isinstance(forget_rate, str):
            raise TypeError(
                "forget_rate must be a number in [0, 1) or, with per_class=True, a "
                f"sequence of them, one per class; got the string {forget_rate!r}."
            )
        if isinstance(forget_rate, Sequence | Tensor | np.ndarray):
            if not self.per_class:
                raise ValueError(
                    "A sequence of per-class forget rates needs per_class=True; with one "
                    f"ball give one float in [0, 1), got {forget_rate!r}."
                )
            rates = forget_rate.tolist() if hasattr(forget_rate, "tolist") else forget_rate
            if not rates:
                raise ValueError("forget_rate must hold one rate per class, got none.")
            rates = [
                check_real(f"forget_rate[{k}]", r, 0.0, 1.0, high_open=True)
                for k, r in enumerate(rates)
            ]
            self.radius = tuple(self.family.radius(r) for r in rates)
            # Equal rates keep every class's share: no reweighting of the classes at all.
            self._kept_shares = None if len(set(rates)) == 1 else torch.tensor(
                [1.0 - r for r in rates], dtype=torch.float64
            )
        else:
            self.radius = self.family.radius(forget_rate)
            self._kept_shares = None
        self.__dict__["_kept_shares_cast"] = None

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

    def weights(
        self, losses: Tensor, sample_weight: Tensor | None = None,
        classes: Tensor | None = None, n_classes: int | None = None,
    ) -> Tensor:
        """ANTIDOTE weights of a vector of per-sample losses, without changing any state.

        Parameters
        ----------
        losses : Tensor of shape (n,)
            Per-sample losses, e.g. the cross-entropy of every training row.
        sample_weight : Tensor of shape (n,), optional
            Weights of the reference distribution.
        classes : Tensor of shape (n,), optional
            Class index of each row: required with ``per_class=True``.
        n_classes : int, optional
            Number of classes with ``per_class=True`` (default: one more than the largest
            class index, which reads it back from the device).

        Returns
        -------
        Tensor of shape (n,)
            The optimal weights (mean 1 under the reference distribution), detached.
        """
        losses = torch.as_tensor(losses)
        if not losses.is_floating_point():
            # Weights are fractions: integer losses would truncate them.
            losses = losses.to(torch.get_default_dtype())
        if sample_weight is not None:
            sample_weight = torch.as_tensor(sample_weight)
        if classes is not None and n_classes is None:
            n_classes = (
                len(self.radius) if isinstance(self.radius, tuple) else int(classes.max()) + 1
            )
        solution = self._solve(losses, sample_weight, None, classes, n_classes or 0)
        return solution.scaled_weights(1.0, losses.dtype)

    def reset(self) -> None:
        """Forget the warm start and the last batch's diagnostics."""
        self._set_solution(None)

    def get_extra_state(self) -> dict:
        """What a run sets on the criterion, for ``state_dict``: the radius (one, or one
        per class, e.g. from ``set_forget_rate`` at an estimate), the classes' kept
        shares, the confident floor and whether it reweights (off in a warm-up).

        A checkpoint taken mid-run (skorch's ``Checkpoint`` saves the criterion's
        ``state_dict``) then resumes at the same radius, not the constructor's.

        Returns
        -------
        dict
            Plain floats, lists and booleans, which ``torch.load(weights_only=True)``
            reads back.

        Examples
        --------
        >>> from skantidote import AntidoteLoss
        >>> trained = AntidoteLoss(forget_rate=0.2)
        >>> trained.set_forget_rate(0.35)
        >>> resumed = AntidoteLoss(forget_rate=0.2)
        >>> _ = resumed.load_state_dict(trained.state_dict())
        >>> resumed.radius == trained.radius
        True
        """
        shares = self.__dict__.get("_kept_shares")
        thresholds = self.confident_thresholds
        return {
            "radius": list(self.radius) if isinstance(self.radius, tuple) else self.radius,
            "per_class": self.per_class,
            "kept_shares": None if shares is None else shares.tolist(),
            "confident_thresholds": None if thresholds is None else thresholds.tolist(),
            "enabled": self.enabled,
        }

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # A state_dict saved before the extra state existed (an earlier checkpoint) loads
        # as it did then: the criterion keeps what it has.
        key = prefix + "_extra_state"
        if key not in state_dict:
            state_dict[key] = self.get_extra_state()
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def set_extra_state(self, state: dict) -> None:
        """Restore what :meth:`get_extra_state` saved (``load_state_dict`` calls it)."""
        radius = state["radius"]
        self.per_class = bool(state["per_class"])
        self.radius = tuple(float(r) for r in radius) if isinstance(radius, list) else float(radius)
        shares = state["kept_shares"]
        self._kept_shares = (
            None if shares is None else torch.tensor(shares, dtype=torch.float64)
        )
        self.__dict__["_kept_shares_cast"] = None
        self.set_confident_floor(state["confident_thresholds"])
        self.enabled = bool(state["enabled"])
        self.reset()

    def _set_solution(
        self, solution: DualSolution | None, sample_weight: Tensor | None = None
    ) -> None:
        # Plain attribute writes: nn.Module.__setattr__ inspects parameters, buffers and
        # submodules, a cost paid every batch for no purpose here. The reference weights
        # are kept for the per-class divergence's total over the classes' shares, formed
        # only when read.
        self.__dict__["_solution"] = solution
        self.__dict__["_sample_weight"] = sample_weight

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
        if self._solution is None:
            return None
        if not self.per_class:
            return self._solution.divergence
        # sum_k pi_k D_k = E_P'[f(w)] over the reference P' of the classes' shares pi
        # (see _class_reference), the weights having P_k-mean 1 in every class.
        return self.family.divergence(self._solution.weights, self._sample_weight)

    @property
    def forgotten_(self) -> Tensor | None:
        if self._solution is None:
            return None
        return (self._solution.weights < FORGOTTEN_WEIGHT).float().mean()
