"""f-divergence families and the exact solve of ANTIDOTE's inner problem.

ANTIDOTE trains on the most favourable reweighting ``Q`` of a batch within an
f-divergence ball around the reference distribution ``P``::

    min_w  E_P[w * l] + kappa * D(w)   subject to   D(w) <= delta,  w >= 0,  E_P[w] = 1

where ``w = dQ/dP`` are the per-sample weights and ``D(w) = E_P[f(w)]``. For both families
implemented here the optimal weights lie on a one-parameter path that runs from the uniform
weights (no forgetting) to all mass on the smallest losses (total forgetting):

* KL, ``f(t) = t log t``: ``w_i ∝ exp(-l_i / tau)``;
* alpha, ``f(t) = (t^alpha - 1) / (alpha (alpha - 1))``: ``w_i ∝ max(t - l_i, 0)^(1/(alpha-1))``.

The solver follows that path in a scale-free coordinate ``s`` (the log of the inverse
temperature for KL, minus the log of the threshold for alpha, both measured in units of the
batch's loss range) and stops at the first point where either the radius constraint or the
``kappa`` temperature floor binds. It is a safeguarded Newton iteration on
``max(log D(s) - log delta, log kappa - log tau(s))``, which is increasing in ``s``; in these
coordinates ``log D`` is nearly linear for small deviations, so Newton is close to exact from
the closed-form small-deviation starting point, and a bracket with bisection guards the
plateaus that clustered losses produce.

Everything is tensor arithmetic on the losses' own device. On CPU the iteration stops as soon
as it has converged (reading a CPU scalar costs nothing). On accelerators it runs a fixed
number of iterations and never reads a value back to the host, so it does not stall the
device queue.
"""

from __future__ import annotations

import functools
import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import NamedTuple, Union

import numpy as np
import torch
from torch import Tensor

from skantidote.validation import check_real

__all__ = [
    "AlphaDivergence",
    "DualSolution",
    "Divergence",
    "KLDivergence",
    "get_divergence",
]

# Largest Newton step in ``s`` (a factor e^4 in temperature or threshold): keeps a step taken
# from a plateau, where the derivative is nearly zero, from jumping out of range.
_MAX_STEP = 4.0
# Floor on a divergence before taking its log: far below any radius a user can ask for.
_TINY = 1e-300

Scalar = Union[float, Tensor]  # noqa: UP007 (a runtime alias; | needs 3.10 types)


class DualSolution:
    """Optimal reweighting of one batch, with its dual variables.

    All attributes are detached tensors on the losses' device.

    Attributes
    ----------
    weights : Tensor of shape (n,)
        Optimal likelihood ratios ``w_i = dQ/dP`` at each sample; ``E_P[w] = 1``.
    value : Tensor, 0-d
        Optimal value ``E_Q[l] + kappa * D(Q || P)``.
    divergence : Tensor, 0-d
        ``D(Q || P)`` at the optimum.
    tau : Tensor, 0-d
        Temperature ``lambda + kappa`` (``inf`` when ``delta == 0``, ``0`` when all mass sits
        on the smallest losses).
    lam : Tensor, 0-d
        Multiplier ``lambda >= 0`` of the radius constraint.
    rho : Tensor or None
        For the alpha family, the normalisation multiplier: samples with ``l_i >= -rho`` get
        weight exactly 0. ``None`` for KL.
    state : Tensor, 0-d
        The path coordinate ``s`` of the solution (``-inf`` at the uniform weights, ``inf``
        when all mass sits on the smallest losses), to warm-start the next solve (passing
        the solution itself as ``init`` does the same).

    A per-class solve (:meth:`Divergence.solve_per_class`) returns each scalar as a tensor
    of shape (K,), one per class.
    """

    __slots__ = ("_unnormalised", "_scale", "_weights", "_scalars")

    # Order of the scalars: what the solve computes last stays at the end.
    _FIELDS = ("value", "divergence", "tau", "lam", "state", "rho")

    def __init__(self, unnormalised: Tensor, scale: Scalar, scalars: tuple[Scalar, ...]) -> None:
        # The weights are ``unnormalised * scale``, formed only when read: a training step
        # needs them scaled to its own dtype (see ``scaled_weights``), not in float64.
        self._unnormalised = unnormalised
        self._scale = scale
        self._weights = None
        # Python floats on the host path, 0-d tensors on accelerators: made into tensors only
        # when read, so that a training step pays for none it does not use.
        self._scalars = scalars

    @property
    def weights(self) -> Tensor:
        if self._weights is None:
            self._weights = self._unnormalised * self._scale
        return self._weights

    def scaled_weights(self, factor: float, dtype: torch.dtype) -> Tensor:
        """``weights * factor`` in ``dtype``, with negligible weights set to exactly 0.

        What a training step multiplies its per-sample losses by: one fused multiply and
        cast, without forming the float64 :attr:`weights`. Weights below ``1e-30`` (a mean
        weight is 1) would become subnormal float32 numbers, and gradients scaled by them
        make a whole backward pass run many times slower on CPUs; dropping them changes the
        objective by less than float32 can represent.

        Parameters
        ----------
        factor : float
            Scale, e.g. ``1 / n`` so that a dot product with the losses is their weighted
            mean.
        dtype : torch.dtype
            Dtype of the result (that of the losses).

        Returns
        -------
        Tensor of shape (n,)
        """
        weights = (self._unnormalised * (self._scale * factor)).to(dtype)
        return torch.nn.functional.threshold(weights, 1e-30 * factor, 0.0)

    def _get(self, i: int) -> Tensor:
        value = self._scalars[i]
        if isinstance(value, Tensor):
            return value
        return torch.tensor(
            value, dtype=self._unnormalised.dtype, device=self._unnormalised.device
        )

    @property
    def value(self) -> Tensor:
        return self._get(0)

    @property
    def divergence(self) -> Tensor:
        return self._get(1)

    @property
    def tau(self) -> Tensor:
        return self._get(2)

    @property
    def lam(self) -> Tensor:
        return self._get(3)

    @property
    def state(self) -> Tensor:
        return self._get(4)

    @property
    def rho(self) -> Tensor | None:
        return self._get(5) if len(self._scalars) > 5 else None

    def __repr__(self) -> str:
        fields = ("weights",) + self._FIELDS
        return "DualSolution(" + ", ".join(f"{f}={getattr(self, f)!r}" for f in fields) + ")"


def _log(x: Scalar) -> Scalar:
    """Natural log of a float, tensor or array, with ``log(0) = -inf`` for floats too."""
    if isinstance(x, Tensor):
        return torch.log(x)
    if isinstance(x, np.ndarray):
        return np.log(x)
    return math.log(x) if x > 0 else -math.inf


# The scalar part of the solve (a handful of numbers per iteration) is written once, over one
# of these two arithmetics: Python floats on CPU, where reading a tensor back is free and float
# arithmetic is far cheaper than 0-d tensor operations; 0-d tensors on accelerators, where
# every value must stay on the device. Besides the arithmetic, each says how values enter it
# and what the solve may decide on the host; the solve itself never asks which it runs on.
# Conditions combine with ``&``, which bools and boolean tensors share (``and`` would read a
# tensor back to the host).
class _HostScalars:
    # Reading a value costs nothing: the iteration stops as soon as it has converged.
    stops_early = True

    log = staticmethod(_log)

    @staticmethod
    def exp(x: float) -> float:
        """``e**x`` with IEEE overflow to ``inf`` (as on tensors), not an OverflowError."""
        return math.exp(x) if x < 709.0 else math.inf

    isfinite = staticmethod(math.isfinite)
    # Whether a stopping condition holds (for every class, in the per-class arithmetic).
    every = staticmethod(bool)

    @staticmethod
    def where(cond: bool, a: float, b: float) -> float:
        return a if cond else b

    @staticmethod
    def clamp(x: float, lo: float, hi: float) -> float:
        return lo if x < lo else hi if x > hi else x

    @staticmethod
    def ratio(a: float, b: float) -> float:
        """``a / b`` with IEEE semantics: a zero slope gives an infinite step."""
        if b != 0:
            return a / b
        return math.copysign(math.inf, a) if a != 0 else math.nan

    @staticmethod
    def read(value: Tensor) -> float:
        """A 0-d tensor computed by the solve, as a number of this arithmetic."""
        return value.item()

    @staticmethod
    def constant(value: float, like: Tensor) -> float:
        return value

    @staticmethod
    def adopt(values: tuple[Scalar, ...], like: Tensor) -> tuple[Scalar, ...]:
        """A solution's scalars: floats and CPU tensors mix freely in float arithmetic."""
        return values

    @staticmethod
    def means(sums: Tensor, to_mean: float) -> list[float]:
        """The path's sums as ``P``-means: one read for the whole vector."""
        return [v * to_mean for v in sums.tolist()]

    @staticmethod
    def coordinate_or(
        value: Tensor | float, like: Tensor, fallback: Callable[..., float], *args: object
    ) -> float:
        """A path coordinate given as a float or a tensor, or ``fallback(*args)``.

        The fallback replaces a non-finite coordinate, and is computed only then.
        """
        if isinstance(value, Tensor):
            value = value.item()
        return value if math.isfinite(value) else fallback(*args)

    @staticmethod
    def may_concentrate(
        kappa: float, weight_mean: float, delta: float, family: Divergence
    ) -> bool:
        """Whether the smallest losses may hold enough mass to reach the radius.

        The mean of the unnormalised weights bounds the mass of the smallest losses (where
        they are 1) from above, so the ties need counting only when that bound could reach
        the radius: on a typical batch, never.
        """
        return kappa == 0.0 and weight_mean >= family.concentration_mass(delta)

    @staticmethod
    def solution(
        concentration: _Concentration, unnormalised: Tensor, total: float,
        scalars: tuple[Scalar, ...],
    ) -> DualSolution:
        """The solution, its weights normalised only when read and its scalars as floats."""
        if concentration.reached:
            weights = concentration.indicator.to(unnormalised.dtype)
            return DualSolution(weights, 1.0 / concentration.mass, scalars)
        return DualSolution(unnormalised, 1.0 / total, scalars)


class _DeviceScalars:
    # Reading a value would stall the device queue: a fixed number of iterations runs, and
    # every decision is a torch.where.
    stops_early = False

    exp = staticmethod(torch.exp)
    log = staticmethod(torch.log)
    isfinite = staticmethod(torch.isfinite)
    where = staticmethod(torch.where)
    clamp = staticmethod(torch.clamp)
    ratio = staticmethod(operator.truediv)

    @staticmethod
    def read(value: Tensor) -> Tensor:
        return value

    @staticmethod
    def constant(value: float, like: Tensor) -> Tensor:
        return torch.full((), value, dtype=like.dtype, device=like.device)

    @staticmethod
    def adopt(values: tuple[Scalar, ...], like: Tensor) -> tuple[Tensor, ...]:
        """A solution's scalars as 0-d tensors: a host solution holds Python floats."""
        return tuple(torch.as_tensor(v, dtype=like.dtype, device=like.device) for v in values)

    @staticmethod
    def means(sums: Tensor, to_mean: float) -> tuple[Tensor, ...]:
        return (sums * to_mean).unbind()

    @staticmethod
    def coordinate_or(
        value: Tensor | float, like: Tensor, fallback: Callable[..., Tensor], *args: object
    ) -> Tensor:
        """A path coordinate as a 0-d tensor like ``like``, or ``fallback(*args)``."""
        if isinstance(value, Tensor):
            value = value.detach()
        value = torch.as_tensor(value, dtype=like.dtype, device=like.device)
        return torch.where(torch.isfinite(value), value, fallback(*args))

    @staticmethod
    def may_concentrate(
        kappa: float, weight_mean: Tensor, delta: Scalar, family: Divergence
    ) -> bool:
        """Always: whether the radius reaches the concentration is decided on the device."""
        return True

    @staticmethod
    def solution(
        concentration: _Concentration, unnormalised: Tensor, total: Tensor,
        scalars: tuple[Scalar, ...],
    ) -> DualSolution:
        """The solution, normalised on the device, its scalars all 0-d tensors there."""
        weights = torch.where(
            concentration.reached, concentration.indicator / concentration.mass,
            unnormalised / total,
        )
        return DualSolution(weights, 1.0, _DeviceScalars.adopt(scalars, unnormalised))


class _ClassHostScalars:
    """The per-class solve's scalars on the host: one NumPy array of ``K`` values each.

    A Python float per class would multiply the host's cost by ``K``, and 1-D tensor
    operations cost several times NumPy's on a handful of numbers. The sums of each
    iteration are read back once, as one array, and the iteration stops as soon as every
    class has converged. The device path runs the same solve over ``K``-vectors with
    :class:`_DeviceScalars`, whose torch operations broadcast alike.
    """

    stops_early = True

    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    isfinite = staticmethod(np.isfinite)
    where = staticmethod(np.where)
    clamp = staticmethod(np.clip)
    ratio = staticmethod(np.true_divide)
    every = staticmethod(np.all)

    @staticmethod
    def read(value: Tensor) -> np.ndarray:
        return value.detach().cpu().numpy()

    @staticmethod
    def constant(value: float, like: Tensor) -> float:
        return value

    @staticmethod
    def adopt(values: tuple[Scalar, ...], like: Tensor) -> tuple[np.ndarray, ...]:
        return tuple(_ClassHostScalars._array(v) for v in values)

    @staticmethod
    def _array(value: Tensor | np.ndarray | float) -> np.ndarray:
        if isinstance(value, Tensor):
            value = value.detach().cpu().numpy()
        return np.asarray(value, dtype=np.float64)

    @staticmethod
    def means(sums: Tensor, to_mean: np.ndarray) -> np.ndarray:
        """The per-class sums, shape (m, K), as ``P_k``-means: one read for all of them."""
        return sums.cpu().numpy() * to_mean

    @staticmethod
    def coordinate_or(
        value: Tensor | np.ndarray | float, like: Tensor,
        fallback: Callable[..., np.ndarray], *args: object,
    ) -> np.ndarray:
        value = _ClassHostScalars._array(value)
        return np.where(np.isfinite(value), value, fallback(*args))

    @staticmethod
    def may_concentrate(
        kappa: float, weight_mean: np.ndarray, delta: np.ndarray, family: Divergence
    ) -> bool:
        """Always: one grouped count decides it for every class at once."""
        return True


class _Classes:
    """The rows of a batch grouped by class, for the per-class solve.

    Everything the solve sums over the batch it sums per class here (``index_add_`` into
    ``K`` slots), and every per-class value it needs at the rows it expands by indexing:
    the cost is that of the batch, whatever ``K``.
    """

    __slots__ = ("index", "count", "to_mean_tensor", "to_mean", "present", "uniform")

    def __init__(
        self, index: Tensor, count: int, p: Tensor | None, like: Tensor, ops: type
    ) -> None:
        self.index = index
        self.count = count
        mass = self.sums(torch.ones_like(like) if p is None else p)
        present = mass > 0
        # Sums over a class are its P_k-means once multiplied by this (0 for an absent
        # class, whose sums are 0 too).
        self.to_mean_tensor = torch.where(present, 1.0 / mass, 0.0)
        self.to_mean = ops.read(self.to_mean_tensor)
        self.present = ops.read(present)
        self.uniform = ~self.present  # completed by the caller with the zero radii

    def rows(self, values: Tensor | np.ndarray) -> Tensor:
        """Per-class values, shape (K,), at each row, shape (n,)."""
        return torch.as_tensor(values, device=self.index.device).index_select(0, self.index)

    def sums(self, values: Tensor) -> Tensor:
        """Per-class sums of ``values`` over its last dimension, shape (..., K)."""
        out = values.new_zeros(values.shape[:-1] + (self.count,))
        return out.index_add_(-1, self.index, values)

    def extremes(self, values: Tensor, p: Tensor | None) -> tuple[Tensor, Tensor]:
        """Smallest and largest value of each class on ``P``'s support (0 where empty)."""
        low, high = values, values
        if p is not None:
            low = torch.where(p > 0, values, math.inf)
            high = torch.where(p > 0, values, -math.inf)
        start = values.new_full((self.count,), math.inf)
        lmin = start.scatter_reduce(0, self.index, low, "amin")
        lmax = (-start).scatter_reduce_(0, self.index, high, "amax")
        empty = torch.isinf(lmin)
        return lmin.masked_fill_(empty, 0.0), lmax.masked_fill_(empty, 0.0)

    def solution(
        self, concentration: _Concentration, unnormalised: Tensor, total: Scalar,
        scalars: tuple[Scalar, ...], ops: type,
    ) -> DualSolution:
        """Each class normalised to ``E_{P_k}[w] = 1``; uniform classes get exact ones.

        The radius-0 and absent classes sit at the uniform end of the path (``s = -inf``),
        where the unnormalised weights are exactly 1: their scale is set to exactly 1, and
        their scalars to the uniform ones (an absent class's value is 0).
        """
        reached, uniform = concentration.reached, self.uniform
        scale = ops.where(reached, 1.0 / concentration.mass, 1.0 / total)
        scale = ops.where(uniform, 1.0, scale)
        value = ops.where(self.present, scalars[0], 0.0)
        # divergence, tau, lam, state and rho (which KL lacks: zip stops at its scalars).
        defaults = (0.0, math.inf, math.inf, -math.inf, -math.inf)
        rest = tuple(
            ops.where(uniform, d, v) for v, d in zip(scalars[1:], defaults, strict=False)
        )
        weights = torch.where(
            self.rows(reached), concentration.indicator.to(unnormalised.dtype), unnormalised
        )
        return DualSolution(weights, self.rows(scale), (value, *rest))


class _PathPoint(NamedTuple):
    """The path at one coordinate ``s`` (losses normalised to [0, 1])."""

    divergence: Scalar
    d_divergence: Scalar  # d D / d s
    log_tau: Scalar  # log of the temperature in units of the loss range
    d_log_tau: Scalar  # d log_tau / d s
    mean_x: Scalar  # E_Q[x]
    dd_divergence: Scalar | None = None  # d^2 D / d s^2 where cheap (Halley's step)


class _Concentration(NamedTuple):
    """All mass on the smallest losses, the end of the path that the iteration only nears.

    ``reached`` says whether it is the solution (a bool on the host, a 0-d tensor on the
    device); the other fields are ``None`` where the host ruled it out without forming it.
    """

    reached: Scalar
    indicator: Tensor | None = None  # the samples at the smallest loss
    mass: Scalar | None = None  # their P-mass
    divergence: Scalar | None = None  # its divergence from P


_NOT_CONCENTRATED = _Concentration(False)


class Divergence(ABC):
    """An f-divergence family ``D(Q || P) = E_P[f(dQ/dP)]`` that ANTIDOTE can use.

    Subclasses describe the path of optimal weights; :meth:`solve` is shared.
    """

    name: str

    @abstractmethod
    def f(self, t: Tensor) -> Tensor:
        """The convex generator ``f`` with ``f(1) = 0``, applied elementwise."""

    @abstractmethod
    def concentration_divergence(self, mass: Scalar) -> Scalar:
        """Divergence from ``P`` of ``P`` restricted to a set of ``P``-probability ``mass``."""

    @abstractmethod
    def concentration_mass(self, delta: float) -> float:
        """The ``mass`` whose :meth:`concentration_divergence` is ``delta`` (its inverse)."""

    @abstractmethod
    def _small_deviation_scale(self) -> float:
        """``c`` such that ``D(s) ≈ c² Var_P(x) exp(2 s) / 2`` near the uniform weights."""

    @abstractmethod
    def _log_tau_floor_start(self) -> float:
        """``a`` such that ``log_tau(s) ≈ a - s`` near the uniform weights."""

    @abstractmethod
    def _basis(self, x: Tensor, p: Tensor | None) -> Tensor | None:
        """Per-solve precomputation that :meth:`_moments` reuses at every iteration.

        ``p`` is the reference distribution, or ``None`` for the uniform one.
        """

    @abstractmethod
    def _moments(
        self, x: Tensor, basis: Tensor | None, s: Scalar, groups: _Classes | None = None
    ) -> tuple[Tensor, Tensor]:
        """Unnormalised weights at ``s`` and the ``P``-sums the path needs there.

        The sums come as one 1-D tensor, so that they cost one read on the host. They are
        ``P``-means when ``P`` was given, and ``n`` times the means for the uniform ``P``.
        The first sum is that of the unnormalised weights, which lie in [0, 1] and are 1
        where the (normalised) loss is 0. With ``groups``, ``s`` holds one coordinate per
        class and the sums are per class, shape (m, K).
        """

    @abstractmethod
    def _point(self, moments: Sequence[Scalar], s: Scalar, ops: type) -> _PathPoint:
        """The path's scalars at ``s`` from its moments (floats or 0-d tensors)."""

    @abstractmethod
    def _rho(self, lmin: Scalar, span: Scalar, s: Scalar, ops: type) -> Scalar | None:
        """The normalisation multiplier at ``s`` in the losses' own units."""

    def divergence(self, weights: Tensor, ref_weights: Tensor | None = None) -> Tensor:
        """``D(Q || P) = E_P[f(w)]`` for likelihood ratios ``w`` (``P`` uniform by default)."""
        values = self.f(weights)
        if ref_weights is None:
            return values.mean()
        return (ref_weights * values).sum() / ref_weights.sum()

    def radius(self, forget_rate: float) -> float:
        """Radius ``delta`` of the ball that just allows forgetting ``forget_rate`` of the data.

        A distribution that drops a fraction ``eps`` of the samples and is uniform on the rest
        is at divergence ``-log(1 - eps)`` (KL) or ``((1 - eps)^(1 - alpha) - 1) /
        (alpha (alpha - 1))`` (alpha) from the empirical distribution.

        Parameters
        ----------
        forget_rate : float
            Fraction of the data to allow forgetting, in [0, 1).

        Returns
        -------
        float
            The radius ``delta``.

        Examples
        --------
        >>> from skantidote.divergences import KLDivergence
        >>> round(KLDivergence().radius(0.4), 4)
        0.5108
        """
        forget_rate = check_real("forget_rate", forget_rate, 0.0, 1.0, high_open=True)
        # + 0.0: KL's -log(1) is -0.0, which would print as a negative radius.
        return float(self.concentration_divergence(1.0 - forget_rate)) + 0.0

    def solve(
        self,
        losses: Tensor,
        delta: float | Tensor,
        kappa: float = 0.0,
        ref_weights: Tensor | None = None,
        init: DualSolution | Tensor | float | None = None,
        max_iter: int = 40,
        tol: float = 1e-10,
        check_finite: bool | None = None,
        early_stop: bool | None = None,
    ) -> DualSolution:
        """Optimal weights of ``min_w E_P[w l] + kappa D(w)`` s.t. ``D(w) <= delta``.

        Parameters
        ----------
        losses : Tensor of shape (n,)
            Per-sample losses (any floating dtype; gradients are not tracked).
        delta : float or 0-d Tensor
            Radius, ``>= 0``. ``0`` returns the uniform weights; ``inf`` leaves only the
            ``kappa`` penalty (then ``kappa`` must be positive). A tensor is a radius
            computed on the device: it is read back when the iteration stops early (on
            CPU), and otherwise used there unchecked, so it must be positive and finite.
        kappa : float, default=0.0
            Penalty weight, ``>= 0``: a floor on the temperature ``tau``.
        ref_weights : Tensor of shape (n,), optional
            Non-negative weights defining the reference distribution ``P`` (normalised
            internally). Uniform by default.
        init : DualSolution, Tensor or float, optional
            An earlier solution, or its ``state``, to warm-start the iteration.
        max_iter : int, default=40
            Newton iterations. On CPU the iteration stops once converged; on other devices
            exactly ``max_iter`` iterations run, so that nothing waits on the host.
        tol : float, default=1e-10
            Convergence tolerance, relative, on the binding constraint's value and on the
            path coordinate.
        check_finite : bool, optional
            Raise a ``ValueError`` if a loss is NaN or infinite. Checking reads a value back
            from the device, so by default it is done on CPU tensors only.
        early_stop : bool, optional
            Stop iterating as soon as converged, reading the few scalars of each iteration
            back to the host. By default on CPU tensors only, where that costs nothing; on
            an accelerator it would stall the device queue once per iteration.

        Returns
        -------
        DualSolution

        Examples
        --------
        >>> import torch
        >>> from skantidote.divergences import KLDivergence
        >>> sol = KLDivergence().solve(torch.tensor([0.1, 0.2, 3.0]), delta=0.3)
        >>> bool(sol.weights[2] < sol.weights[0])
        True
        """
        if losses.ndim != 1 or losses.numel() == 0:
            raise ValueError(
                f"losses must be a non-empty 1-D tensor, got shape {tuple(losses.shape)}."
            )
        device = losses.device.type
        if check_finite is None:
            check_finite = device == "cpu"
        if early_stop is None:
            early_stop = device == "cpu"
        if isinstance(delta, Tensor) and early_stop:
            delta = float(delta)
        check_real("kappa", kappa, 0.0)
        kappa = float(kappa)
        if not isinstance(delta, Tensor):
            check_real("delta", delta, 0.0, allow_inf=True)
            delta = float(delta)
            if math.isinf(delta) and kappa == 0.0:
                raise ValueError(
                    "delta=inf needs a positive kappa (the penalty is then the only "
                    "constraint); got kappa=0."
                )
        ops = _HostScalars if early_stop else _DeviceScalars
        # float64 whatever the losses' dtype; MPS has no float64.
        losses = losses.detach().to(torch.float32 if device == "mps" else torch.float64)

        p, lmin, lmax = self._prepare(losses, ref_weights, check_finite, ops)
        if isinstance(delta, Tensor):
            # A radius computed on the device for this batch, positive and finite by
            # construction (AntidoteLoss's confident floor): checking it would stall the
            # device queue.
            delta = delta.to(device=losses.device, dtype=losses.dtype)
        elif delta == 0.0:
            return self._uniform(losses, p)
        x, span = self._normalise(losses, p, lmin, lmax, ops)
        log_delta = _log(delta)
        log_kappa = _log(kappa / span)  # -inf when kappa == 0
        basis = self._basis(x, p)
        # Sums over the samples are P-means once multiplied by this.
        to_mean = 1.0 / x.numel() if p is None else 1.0

        s = self._start(init, x, p, lmin, span, log_delta, log_kappa, ops)
        unnormalised, sums = self._moments(x, basis, s)
        moments = ops.means(sums, to_mean)
        concentration = self._concentration(x, p, moments[0], delta, kappa, ops)
        s, unnormalised, moments = self._iterate(
            x, basis, to_mean, s, unnormalised, moments, concentration.reached,
            log_delta, log_kappa, max_iter, tol, ops,
        )
        return self._assemble(s, unnormalised, moments, concentration, lmin, span, kappa, ops)

    def solve_per_class(
        self,
        losses: Tensor,
        classes: Tensor,
        deltas: Sequence[float] | Tensor,
        kappa: float = 0.0,
        ref_weights: Tensor | None = None,
        init: DualSolution | Tensor | None = None,
        max_iter: int = 40,
        tol: float = 1e-10,
        check_finite: bool | None = None,
        early_stop: bool | None = None,
    ) -> DualSolution:
        """Optimal weights with the class marginal fixed and one divergence ball per class.

        For each class ``k`` present in the batch, with ``P_k`` the reference distribution
        restricted to the rows labelled ``k`` (renormalised), solves::

            min_w  E_{P_k}[w * l] + kappa * D_k(w)   s.t.   D_k(w) <= delta_k,  w >= 0,
                   E_{P_k}[w] = 1,   where  D_k(w) = E_{P_k}[f(w)]

        which together minimise ``sum_k P(k) (E_{P_k}[w l] + kappa D_k(w))``: the reweighted
        distribution keeps each class's share of ``P``. The classes' problems are
        independent and are solved together, vectorised over the classes: the cost is close
        to one :meth:`solve` of the batch, whatever the number of classes.

        Parameters
        ----------
        losses : Tensor of shape (n,)
            Per-sample losses (any floating dtype; gradients are not tracked).
        classes : Tensor of shape (n,)
            Integer class of each row, in ``[0, K)``.
        deltas : sequence of K floats, or Tensor of shape (K,)
            Radius of each class's ball, ``>= 0`` (``0`` keeps that class's weights
            uniform; ``inf`` needs a positive ``kappa``). A tensor is read to the host.
        kappa : float, default=0.0
            Penalty weight, ``>= 0``, the same for every class.
        ref_weights : Tensor of shape (n,), optional
            Non-negative weights defining ``P`` (uniform by default).
        init : DualSolution or Tensor of shape (K,), optional
            An earlier per-class solution, or its ``state``, to warm-start each class.
        max_iter : int, default=40
            Newton iterations. On CPU the iteration stops once every class has converged;
            on other devices exactly ``max_iter`` iterations run.
        tol : float, default=1e-10
            Convergence tolerance, as in :meth:`solve`.
        check_finite : bool, optional
            Raise a ``ValueError`` if a loss is NaN or infinite, or a class index out of
            range. By default on CPU tensors only (checking reads values back).
        early_stop : bool, optional
            Stop iterating once converged, reading the sums back to the host once per
            iteration. By default on CPU tensors only.

        Returns
        -------
        DualSolution
            ``weights`` of shape (n,), with ``P_k``-mean 1 within every present class;
            ``value``, ``divergence``, ``tau``, ``lam``, ``state`` (and ``rho`` for the
            alpha family) of shape (K,), one per class, as :meth:`solve` returns them for
            that class alone. A class with radius 0 gets the uniform solution's scalars
            (``divergence`` 0, ``tau``, ``lam`` ``inf``, ``state`` and ``rho`` ``-inf``); a
            class absent from the batch (or given no reference weight) the same, with
            ``value`` 0.

        Examples
        --------
        The minority class 1 keeps its mass: its weights still average 1.

        >>> import torch
        >>> from skantidote.divergences import KLDivergence
        >>> kl = KLDivergence()
        >>> losses = torch.tensor([0.1, 0.2, 0.3, 4.0, 5.0, 0.2])
        >>> classes = torch.tensor([0, 0, 0, 0, 1, 1])
        >>> sol = kl.solve_per_class(losses, classes, [kl.radius(0.3), kl.radius(0.3)])
        >>> [round(float(sol.weights[classes == k].mean()), 6) for k in (0, 1)]
        [1.0, 1.0]
        >>> tuple(sol.value.shape)
        (2,)
        """
        kappa = float(check_real("kappa", kappa, 0.0))
        radii = _class_radii(deltas, kappa)
        if losses.ndim != 1 or losses.numel() == 0:
            raise ValueError(
                f"losses must be a non-empty 1-D tensor, got shape {tuple(losses.shape)}."
            )
        if classes.shape != losses.shape or classes.is_floating_point() or classes.is_complex():
            raise ValueError(
                "classes must be a 1-D integer tensor of class indices, one per loss "
                f"(shape {tuple(losses.shape)}); got {classes.dtype} of shape "
                f"{tuple(classes.shape)}."
            )
        device = losses.device.type
        if check_finite is None:
            check_finite = device == "cpu"
        if early_stop is None:
            early_stop = device == "cpu"
        ops = _ClassHostScalars if early_stop else _DeviceScalars
        losses = losses.detach().to(torch.float32 if device == "mps" else torch.float64)
        count = len(radii)
        index = classes.detach().to(device=losses.device, dtype=torch.long)
        p = None if ref_weights is None else reference_distribution(
            losses, ref_weights, check_finite
        )
        if check_finite:
            raise_if_nonfinite(losses, "losses")
            low, high = (int(v) for v in index.aminmax())
            if low < 0 or high >= count:
                raise ValueError(
                    f"classes must lie in [0, {count}) for {count} radii, got values in "
                    f"[{low}, {high}]."
                )
        # The host reads the sums back as NumPy arrays, where the absent and radius-0
        # classes' infinities and 0/0 are expected (torch.where masks them out).
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            groups = _Classes(index, count, p, losses, ops)
            if ops is _DeviceScalars:
                delta = torch.tensor(radii, dtype=losses.dtype, device=losses.device)
            else:
                delta = np.array(radii)
            groups.uniform = groups.uniform | (delta == 0)
            lmin, lmax = (ops.read(v) for v in groups.extremes(losses, p))
            x, span = self._normalise(losses, p, lmin, lmax, ops, groups)
            log_delta, log_kappa = ops.log(delta), ops.log(kappa / span)
            basis = self._basis(x, p)
            s = self._start(init, x, p, lmin, span, log_delta, log_kappa, ops, groups)
            # The uniform classes sit at the uniform end of the path, and stay there.
            s = ops.where(groups.uniform, -math.inf, s)
            unnormalised, sums = self._moments(x, basis, s, groups)
            moments = ops.means(sums, groups.to_mean)
            concentration = self._concentration(x, p, moments[0], delta, kappa, ops, groups)
            concentration = concentration._replace(
                reached=concentration.reached & ~groups.uniform
            )
            s, unnormalised, moments = self._iterate(
                x, basis, groups.to_mean, s, unnormalised, moments,
                concentration.reached | groups.uniform, log_delta, log_kappa, max_iter, tol,
                ops, groups,
            )
            return self._assemble(
                s, unnormalised, moments, concentration, lmin, span, kappa, ops, groups
            )

    @staticmethod
    def _prepare(
        losses: Tensor, ref_weights: Tensor | None, check_finite: bool, ops: type
    ) -> tuple[Tensor | None, Scalar, Scalar]:
        """The reference distribution and the range of the losses, checked finite.

        The range is that of the reference's support: samples it gives no weight take no
        part in the solve. A NaN or infinite loss makes an end of the range non-finite, so
        checking the range spares a pass over the batch; only then are the losses searched,
        to say which is at fault.
        """
        p = None if ref_weights is None else reference_distribution(
            losses, ref_weights, check_finite
        )
        if p is None:
            lmin, lmax = losses.aminmax()
        else:
            lmin = torch.where(p > 0, losses, math.inf).amin()
            lmax = torch.where(p > 0, losses, -math.inf).amax()
        lmin, lmax = ops.read(lmin), ops.read(lmax)
        if check_finite and not (math.isfinite(lmin) and math.isfinite(lmax)):
            raise_if_nonfinite(losses, "losses")
        return p, lmin, lmax

    @staticmethod
    def _normalise(
        losses: Tensor, p: Tensor | None, lmin: Scalar, lmax: Scalar, ops: type,
        groups: _Classes | None = None,
    ) -> tuple[Tensor, Scalar]:
        """The losses as ``x`` in [0, 1] over the reference's support, and the range's span.

        The path then depends on the losses' shape only, not on their offset or scale, and
        the warm start carries over between batches.
        """
        # Equal losses give x = 0 whatever the span: 1 avoids dividing by zero.
        span = ops.where(lmax > lmin, lmax - lmin, 1.0)
        if groups is None:
            x = (losses - lmin).mul_(1.0 / span)
        else:  # each class in units of its own range
            x = (losses - groups.rows(lmin)).mul_(groups.rows(1.0 / span))
        if p is not None:
            # Samples off the support may lie below its smallest loss; clamped to 0, their
            # unnormalised weights stay in [0, 1] like the others' and cannot overflow.
            x = x.clamp_min_(0.0)
        return x, span

    def _start(
        self, init: DualSolution | Tensor | float | None, x: Tensor, p: Tensor | None,
        lmin: Scalar, span: Scalar, log_delta: Scalar, log_kappa: Scalar, ops: type,
        groups: _Classes | None = None,
    ) -> Scalar:
        """Starting coordinate: the caller's where it is usable, else the cold start.

        Consecutive training batches have close solutions, so starting from the previous
        one saves iterations. A non-finite coordinate (the uniform or concentrated end of
        the path) says nothing about where this batch's root lies.
        """
        if isinstance(init, DualSolution):
            init = self._warm_state(init, lmin, span, x, ops)
        if init is None:
            return self._cold_start(x, p, log_delta, log_kappa, ops, groups)
        return ops.coordinate_or(
            init, x, self._cold_start, x, p, log_delta, log_kappa, ops, groups
        )

    def _warm_state(
        self, solution: DualSolution, lmin: Scalar, span: Scalar, x: Tensor, ops: type
    ) -> Scalar:
        """Starting coordinate for a batch from an earlier batch's solution.

        The coordinate is in units of the batch's loss range, which varies from batch to
        batch with its largest loss; the dual variable in the losses' own units (the
        temperature, or the forgetting threshold) varies much less, so it is carried over.
        """
        scalars = ops.adopt(solution._scalars, x)
        scale = self._dual_scale(scalars, lmin)
        usable = (scale > 0) & ops.isfinite(scale)
        return ops.where(usable, ops.log(span) - ops.log(ops.where(usable, scale, 1.0)), scalars[4])

    @abstractmethod
    def _dual_scale(self, scalars: tuple[Scalar, ...], lmin: Scalar) -> Scalar:
        """From a solution's scalars, the length in loss units that ``exp(-s)`` measures."""

    def _cold_start(
        self, x: Tensor, p: Tensor | None, log_delta: Scalar, log_kappa: Scalar, ops: type,
        groups: _Classes | None = None,
    ) -> Scalar:
        """Closed-form root of the small-deviation approximation of the path."""
        if groups is None:
            var = x.var(correction=0) if p is None else torch.dot(p, (x - torch.dot(p, x)) ** 2)
        else:
            # Per class from E[x] and E[x^2]: x lies in [0, 1], so the cancellation is far
            # below what a starting point needs.
            px = x if p is None else p * x
            first, second = groups.sums(torch.stack((px, px * x))) * groups.to_mean_tensor
            var = second - first * first
        var = ops.read(var)
        c = self._small_deviation_scale()
        var = ops.where(var > 1e-12, var, 1e-12)
        s_delta = 0.5 * (math.log(2.0) + log_delta - ops.log(c * c * var))
        s_kappa = self._log_tau_floor_start() - log_kappa
        return ops.where(s_delta < s_kappa, s_delta, s_kappa)

    def _concentration(
        self, x: Tensor, p: Tensor | None, weight_mean: Scalar, delta: Scalar, kappa: float,
        ops: type, groups: _Classes | None = None,
    ) -> _Concentration:
        """Whether putting all mass on the smallest losses is the solution, and that solution.

        With no floor on the temperature, a radius at least the divergence of that
        concentration is not binding, and the solution is the concentration: the end of the
        path, which the iteration could only approach as ``s`` grows without bound.
        ``weight_mean`` is the mean of the unnormalised weights at any point of the path.
        """
        if not ops.may_concentrate(kappa, weight_mean, delta, self):
            return _NOT_CONCENTRATED
        indicator, mass = _mass_at_zero(x, p, groups)
        mass = ops.read(mass)
        divergence = self.concentration_divergence(mass)
        # A floor on the temperature (kappa > 0) keeps the solution off the concentration.
        reached = divergence <= (delta if kappa == 0.0 else -1.0)
        return _Concentration(reached, indicator, mass, divergence)

    def _iterate(
        self, x: Tensor, basis: Tensor | None, to_mean: float, s: Scalar, unnormalised: Tensor,
        moments: Sequence[Scalar], reached: Scalar, log_delta: Scalar, log_kappa: Scalar,
        max_iter: int, tol: float, ops: type, groups: _Classes | None = None,
    ) -> tuple[Scalar, Tensor, Sequence[Scalar]]:
        """The root of the binding constraint, from ``s``; the path's weights and moments there.

        ``h(s) = max(log D(s) - log delta, log kappa - log tau(s))`` increases with ``s`` and
        is nearly linear in it, so Newton's (or Halley's) step is close to exact. Plateaus
        that clustered losses produce, and the infinite slopes where a sample enters the
        alpha family's support, would derail it: a bracket of the root, bisected when a step
        leaves it or makes too little progress, guards against both. Where ``reached`` (the
        concentration is the solution) the coordinate stays where it is: the host skips the
        iteration, the device runs it without effect, as it runs all ``max_iter`` steps.
        With ``groups`` every quantity is a vector over the classes, each class's root found
        independently; the host stops once every class has converged.
        """
        stops_early = ops.stops_early
        if stops_early and ops.every(reached):
            return s, unnormalised, moments
        lo = ops.constant(-math.inf, x)
        hi = previous = -lo  # previous: |h| of the previous iterate
        for _ in range(max_iter):
            point = self._point(moments, s, ops)
            divergence = ops.where(point.divergence > _TINY, point.divergence, _TINY)
            h_delta = ops.log(divergence) - log_delta
            h_kappa = log_kappa - point.log_tau
            use_delta = h_delta >= h_kappa
            h = ops.where(use_delta, h_delta, h_kappa)
            if stops_early and ops.every((abs(h) <= tol) | reached):
                break
            slope = point.d_divergence / divergence
            dh = ops.where(use_delta, slope, -point.d_log_tau)
            lo = ops.where(h <= 0, s, lo)
            hi = ops.where(h > 0, s, hi)
            bracketed = ops.isfinite(lo) & ops.isfinite(hi)
            step = ops.ratio(h, dh)
            if point.dd_divergence is not None:
                # Halley's step on the radius constraint: cubic convergence, one fewer
                # evaluation of the path than Newton on typical batches.
                curvature = point.dd_divergence / divergence - slope * slope
                denominator = 2.0 * slope * slope - h * curvature
                halley = ops.ratio(2.0 * h * slope, denominator)
                step = ops.where(use_delta & (denominator > 0), halley, step)
            newton = s - ops.clamp(step, -_MAX_STEP, _MAX_STEP)
            inside = (newton > lo) & (newton < hi) & ops.isfinite(newton)
            # Where a sample enters or leaves the alpha family's support the path has an
            # infinite slope and Newton creeps; when an iterate has not halved the residual,
            # bisect the bracket instead (as Brent's method does).
            stalled = bracketed & (abs(h) > 0.5 * previous)
            fallback = ops.where(
                bracketed, 0.5 * (lo + hi), s + ops.where(h > 0, -_MAX_STEP, _MAX_STEP)
            )
            s_next = ops.where(inside, ops.where(stalled, fallback, newton), fallback)
            # A converged coordinate stays put: a root hit exactly (h == 0) leaves a zero
            # Newton step on the bracket's edge, and stepping on from a residual at rounding
            # level the bisection guard would take it for a stall (the host's single ball
            # stops before, but other classes, or the device's fixed count, iterate on).
            s_next = ops.where(abs(h) <= tol, s, s_next)
            previous = abs(h)
            if stops_early and ops.every(
                (s_next == s) | (hi - lo <= 1e-15 * ops.where(abs(s) > 1.0, abs(s), 1.0))
                | reached
            ):
                break
            s = ops.where(reached, s, s_next)
            unnormalised, sums = self._moments(x, basis, s, groups)
            moments = ops.means(sums, to_mean)
        return s, unnormalised, moments

    def _assemble(
        self, s: Scalar, unnormalised: Tensor, moments: Sequence[Scalar],
        concentration: _Concentration, lmin: Scalar, span: Scalar, kappa: float, ops: type,
        groups: _Classes | None = None,
    ) -> DualSolution:
        """The solution at ``s``, or the concentration where that is the solution.

        The path is followed on the normalised losses ``x``: the value, the temperature and
        the threshold are mapped back to the losses' own units here.
        """
        point = self._point(moments, s, ops)
        reached = concentration.reached
        mean_x = ops.where(reached, 0.0, point.mean_x)
        tau = ops.where(reached, 0.0, span * ops.exp(point.log_tau))
        divergence = ops.where(reached, concentration.divergence, point.divergence)
        lam = ops.where(tau > kappa, tau - kappa, 0.0)
        # E_Q[l] in the losses' own units, from the normalised losses' mean.
        value = lmin + span * mean_x + kappa * divergence
        # The concentration is the end of the path (s = inf): a finite coordinate there would
        # warm-start the next batch on the plateau near that end, where Newton creeps.
        scalars = (value, divergence, tau, lam, ops.where(reached, math.inf, s))
        rho = self._rho(lmin, span, s, ops)
        if rho is not None:
            scalars += (ops.where(reached, -lmin, rho),)
        if groups is not None:
            return groups.solution(concentration, unnormalised, moments[0], scalars, ops)
        return ops.solution(concentration, unnormalised, moments[0], scalars)

    def _uniform(self, losses: Tensor, p: Tensor | None) -> DualSolution:
        # s = -inf is the uniform end of the path (infinite temperature or threshold).
        inf = math.inf
        value = losses.mean() if p is None else torch.dot(p, losses)
        scalars = (value, 0.0, inf, inf, -inf)
        if self._rho(0.0, 1.0, -inf, _HostScalars) is not None:
            scalars += (-inf,)
        return DualSolution(torch.ones_like(losses), 1.0, scalars)


@functools.lru_cache(maxsize=32)
def _exponent_tensor(
    values: tuple[float, ...], shape: tuple[int, ...], dtype: torch.dtype, device: torch.device
) -> Tensor:
    return torch.tensor(values, dtype=dtype, device=device).reshape(shape)


def _exponents(values: tuple[float, ...], shape: tuple[int, ...], like: Tensor) -> Tensor:
    """A small constant tensor of exponents on ``like``'s device, made once and reused."""
    return _exponent_tensor(values, shape, like.dtype, like.device)


def _mass_at_zero(
    x: Tensor, p: Tensor | None, groups: _Classes | None = None
) -> tuple[Tensor, Tensor]:
    """Indicator of the samples at ``x == 0`` (the smallest losses) and their P-mass.

    With ``groups``, the mass of each class's smallest losses under ``P_k``, shape (K,).
    """
    at_min = x == 0
    if groups is not None:
        at = at_min.to(x.dtype) if p is None else p * at_min
        return at_min, groups.sums(at) * groups.to_mean_tensor
    if p is None:
        # In x's dtype: an integer count divided would give the default float32.
        return at_min, torch.count_nonzero(at_min).to(x.dtype) / x.numel()
    return at_min, torch.dot(p, at_min.to(x.dtype))


class KLDivergence(Divergence):
    """Kullback-Leibler divergence, ``f(t) = t log t``.

    Optimal weights are a softmax of the negative losses at temperature ``tau``: high-loss
    samples are down-weighted smoothly and never reach exactly zero.

    Examples
    --------
    >>> import torch
    >>> from skantidote.divergences import KLDivergence
    >>> kl = KLDivergence()
    >>> sol = kl.solve(torch.tensor([0.0, 1.0, 5.0]), delta=kl.radius(0.3))
    >>> abs(float(kl.divergence(sol.weights)) - kl.radius(0.3)) < 1e-8
    True
    """

    name = "kl"

    def __repr__(self) -> str:
        return "KLDivergence()"

    def f(self, t: Tensor) -> Tensor:
        return torch.xlogy(t, t)

    def concentration_divergence(self, mass: Scalar) -> Scalar:
        return -_log(mass)

    def concentration_mass(self, delta: float) -> float:
        return math.exp(-delta)

    def _small_deviation_scale(self) -> float:
        return 1.0

    def _log_tau_floor_start(self) -> float:
        return 0.0

    def _basis(self, x, p):
        # Rows 1, x, x^2, x^3: one matrix-vector product gives all four moments.
        powers = x ** _exponents((0.0, 1.0, 2.0, 3.0), (4, 1), x)
        return powers if p is None else powers.mul_(p)

    def _moments(self, x, basis, s, groups=None):
        if groups is not None:
            s = groups.rows(s)  # each class's coordinate at its rows
        # x >= 0 with min 0 on the support, so exp(-u x) lies in (0, 1] and its P-mean is at
        # least the mass of the smallest losses: no log-sum-exp shift is needed. Raising the
        # weights below e^-700 of the largest to e^-700 changes nothing measurable and keeps
        # exp out of subnormal results, which CPUs compute an order of magnitude slower; on
        # the host that clamp is skipped when no weight can fall that low (u <= 700).
        if isinstance(s, Tensor):
            e = (x * -s.exp()).clamp_(min=-700.0)
        else:
            u = _HostScalars.exp(s)
            e = x * -u
            if u > 700.0:
                e.clamp_(min=-700.0)
        e = e.exp_()
        return e, torch.mv(basis, e) if groups is None else groups.sums(basis * e)

    def _point(self, moments, s, ops):
        # Q_u ∝ P exp(-u x): D = -u E_Q[x] - log Z, dD/du = u Var_Q(x), d Var_Q / du is minus
        # the third central moment.
        z, first, second, third = moments
        u = ops.exp(s)
        mean = first / z
        second = second / z
        var = second - mean * mean
        var = ops.where(var > 0, var, 0.0)
        skew = third / z - 3.0 * mean * second + 2.0 * mean * mean * mean
        return _PathPoint(
            divergence=-u * mean - ops.log(z),
            d_divergence=u * u * var,
            log_tau=-s,
            d_log_tau=-1.0,
            dd_divergence=2.0 * u * u * var - u * u * u * skew,
            mean_x=mean,
        )

    def _rho(self, lmin, span, s, ops):
        return None

    def _dual_scale(self, scalars, lmin):
        return scalars[2]  # the temperature: u = span / tau


class AlphaDivergence(Divergence):
    """Alpha-divergence, ``f(t) = (t^alpha - 1) / (alpha (alpha - 1))``, ``alpha > 1``.

    Optimal weights are ``w_i ∝ max(t - l_i, 0)^(1/(alpha-1))``: samples whose loss exceeds
    the threshold ``t = -rho`` are forgotten exactly (weight 0). ``alpha = 2`` is the
    chi-square divergence, with weights linear in the loss gap; large ``alpha`` approaches
    "drop the highest-loss fraction".

    Parameters
    ----------
    alpha : float, default=2.0
        Order, ``> 1``.

    Examples
    --------
    The outlier is forgotten exactly. ``radius(0.25)`` would not quite do: it lets a quarter
    of the samples go only if the other three then had equal weights, and here they do not.

    >>> import torch
    >>> from skantidote.divergences import AlphaDivergence
    >>> chi2 = AlphaDivergence(2.0)
    >>> sol = chi2.solve(torch.tensor([0.0, 0.1, 0.2, 9.0]), delta=chi2.radius(0.3))
    >>> float(sol.weights[3])
    0.0
    """

    name = "alpha"

    def __init__(self, alpha: float = 2.0) -> None:
        self.alpha = check_real("alpha", alpha, 1.0, low_open=True)
        self._r = 1.0 / (self.alpha - 1.0)

    def __repr__(self) -> str:
        return f"AlphaDivergence(alpha={self.alpha!r})"

    def f(self, t: Tensor) -> Tensor:
        a = self.alpha
        return (t.clamp_min(0.0) ** a - 1.0) / (a * (a - 1.0))

    def concentration_divergence(self, mass: Scalar) -> Scalar:
        a = self.alpha
        if isinstance(mass, float) and mass <= 0:
            return math.inf
        return (mass ** (1.0 - a) - 1.0) / (a * (a - 1.0))

    def concentration_mass(self, delta: float) -> float:
        a = self.alpha
        return (1.0 + a * (a - 1.0) * delta) ** (1.0 / (1.0 - a))

    def _small_deviation_scale(self) -> float:
        return self._r

    def _log_tau_floor_start(self) -> float:
        return math.log(self.alpha - 1.0)

    def _basis(self, x, p):
        # Sums of each power of the gaps, and of that power times x (for E_Q[x]).
        if p is None:
            return torch.stack((torch.ones_like(x), x), 1)
        return torch.stack((p, p * x), 1)

    def _moments(self, x, basis, s, groups=None):
        if groups is not None:
            s = groups.rows(s)  # each class's coordinate at its rows
        # Gaps to the threshold t' = exp(-s), in units of t' so that their powers stay in
        # [0, 1] whatever the order: d_i = max(1 - x_i / t', 0).
        if isinstance(s, Tensor):
            gaps = (x * -s.exp()).add_(1.0)
        else:
            # One operation; its alpha must be a number, which a device tensor is not.
            gaps = torch.rsub(x, 1.0, alpha=_HostScalars.exp(s))
        d = torch.nn.functional.threshold(gaps, 0.0, 0.0)
        # d^r (the unnormalised weights) and d^(r-1), which is 0 outside the support. The
        # latter diverges at the edge of the support when r < 1 and only enters the
        # derivatives, where a large value correctly signals a steep path.
        r = self._r
        if r == 1.0:
            weights, previous = d, torch.sign(d)
        elif r > 1.0:
            weights, previous = d**r, d ** (r - 1.0)
        else:
            weights, previous = d**r, torch.where(d > 0, d ** (r - 1.0), 0.0)
        # Their sums, and the sums of their products with x.
        if groups is None:
            return weights, torch.mm(torch.stack((weights, previous)), basis).view(-1)
        products = torch.stack((weights, previous))[:, None, :] * basis.T
        return weights, groups.sums(products.reshape(4, -1))

    def _point(self, moments, s, ops):
        a, r = self.alpha, self._r
        m, m_x, m_prev, _ = moments
        # On the support d = 1 - x / t', so E_P[d^(r+1)] = E_P[d^r] - E_P[d^r x] / t'.
        m_next = m - m_x * ops.exp(s)
        return _PathPoint(
            divergence=(m_next / m**a - 1.0) / (a * (a - 1.0)),
            d_divergence=r / (a - 1.0) * (m_next * m_prev - m * m) / m ** (a + 1.0),
            log_tau=math.log(a - 1.0) - s + (a - 1.0) * ops.log(m),
            d_log_tau=-m_prev / m,
            mean_x=m_x / m,
        )

    def _rho(self, lmin, span, s, ops):
        return -(lmin + span * ops.exp(-s))

    def _dual_scale(self, scalars, lmin):
        return -scalars[5] - lmin  # the threshold's distance to the smallest loss


def get_divergence(divergence: str | Divergence, alpha: float = 2.0) -> Divergence:
    """Resolve a divergence given by name (``"kl"``, ``"alpha"``, ``"chi2"``) or instance.

    Parameters
    ----------
    divergence : {"kl", "alpha", "chi2"} or Divergence
        The family's name, or an instance (returned as it is).
    alpha : float, default=2.0
        The order of the ``"alpha"`` family (``"chi2"`` is order 2); ignored otherwise.

    Returns
    -------
    Divergence

    Examples
    --------
    >>> from skantidote.divergences import get_divergence
    >>> get_divergence("alpha", alpha=3.0)
    AlphaDivergence(alpha=3.0)
    """
    if isinstance(divergence, Divergence):
        return divergence
    if divergence == "kl":
        return KLDivergence()
    if divergence == "alpha":
        return AlphaDivergence(alpha)
    if divergence == "chi2":
        return AlphaDivergence(2.0)
    raise ValueError(
        f"divergence must be 'kl', 'alpha', 'chi2' or a Divergence instance, got {divergence!r}."
    )


def raise_if_nonfinite(values: Tensor, name: str) -> None:
    """Raise a ``ValueError`` naming how many of ``values`` are NaN or infinite, and where."""
    bad = ~torch.isfinite(values)
    if bool(bad.any()):
        index = torch.nonzero(bad).flatten()
        first = int(index[0])
        raise ValueError(
            f"{int(index.numel())} of {values.numel()} {name} are not finite "
            f"(first at position {first}: {float(values[first])}); a diverging model or "
            "NaN/inf in the inputs is the usual cause. Nothing was trained on them."
        )


def reference_distribution(losses: Tensor, ref_weights: Tensor, check_finite: bool) -> Tensor:
    """The reference distribution of a batch: ``ref_weights`` as probabilities, on the
    losses' device and in their dtype.

    Parameters
    ----------
    losses : Tensor of shape (n,)
        The batch's per-sample losses (their shape, device and dtype only).
    ref_weights : Tensor of shape (n,)
        Non-negative sample weights with a positive sum.
    check_finite : bool
        Check that the weights are finite, non-negative and not all zero (each check
        reads the device; off on accelerators by default).

    Returns
    -------
    Tensor of shape (n,)
        The weights divided by their sum, detached.
    """
    if ref_weights.shape != losses.shape:
        raise ValueError(
            f"The sample weights (ref_weights) must have the losses' shape "
            f"{tuple(losses.shape)}, one per row, got {tuple(ref_weights.shape)}."
        )
    ref = ref_weights.detach().to(dtype=losses.dtype, device=losses.device)
    if check_finite:
        raise_if_nonfinite(ref, "sample weights")
        if bool((ref < 0).any()) or not bool((ref > 0).any()):
            raise ValueError("sample weights must be non-negative with a positive sum.")
    return ref / ref.sum()


def _class_radii(deltas: Sequence[float] | Tensor, kappa: float) -> tuple[float, ...]:
    """The per-class radii as floats, each checked, with at least one class."""
    values = deltas.tolist() if isinstance(deltas, Tensor) else list(deltas)
    if not values or isinstance(values[0], list):
        raise ValueError(
            f"deltas must be a non-empty 1-D sequence of radii, one per class; got {deltas!r}."
        )
    radii = tuple(
        float(check_real(f"deltas[{k}]", v, 0.0, allow_inf=True)) for k, v in enumerate(values)
    )
    if kappa == 0.0 and math.inf in radii:
        raise ValueError(
            f"deltas[{radii.index(math.inf)}]=inf needs a positive kappa (the penalty is then "
            "that class's only constraint); got kappa=0."
        )
    return radii
