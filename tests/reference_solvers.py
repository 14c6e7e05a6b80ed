"""Independent solvers of ANTIDOTE's inner problem, for the exactness tests.

They share nothing with ``skantidote.divergences``: one solves the primal over all ``n``
weights with scipy's SLSQP (small instances), the other maximises the convex dual over the
multiplier ``lambda`` (and ``rho``) with scipy's scalar routines, written from the formulas of
the paper. Both work in NumPy float64.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, special


def f_kl(t: np.ndarray) -> np.ndarray:
    return special.xlogy(t, t)


def f_alpha(t: np.ndarray, alpha: float) -> np.ndarray:
    return (np.maximum(t, 0.0) ** alpha - 1.0) / (alpha * (alpha - 1.0))


def primal_slsqp(losses, p, delta, kappa, alpha=None) -> float:
    """Optimal value by SLSQP over the weights themselves (n up to ~12)."""
    n = len(losses)

    def f(w):
        return f_kl(w) if alpha is None else f_alpha(w, alpha)

    def objective(w):
        return p @ (w * losses) + kappa * (p @ f(w))

    constraints = [{"type": "eq", "fun": lambda w: p @ w - 1.0}]
    if np.isfinite(delta):
        constraints.append({"type": "ineq", "fun": lambda w: delta - p @ f(w)})
    best = np.inf
    spread = losses.std() + 1e-12
    for start in (np.ones(n), np.exp(-(losses - losses.min()) / spread)):
        start = start / (p @ start)
        result = optimize.minimize(
            objective,
            start,
            method="SLSQP",
            bounds=[(0.0, None)] * n,
            constraints=constraints,
            options={"ftol": 1e-15, "maxiter": 5000},
        )
        feasible = abs(p @ result.x - 1) < 1e-8 and (
            not np.isfinite(delta) or p @ f(result.x) <= delta + 1e-9
        )
        if feasible:
            best = min(best, result.fun)
    return best


def _maximise_over_lambda(dual, kappa: float, scale: float, lmin: float) -> float:
    """sup over lambda >= 0 of a concave dual, by bounded Brent in log(lambda)."""
    grid = np.linspace(np.log(scale) - 40, np.log(scale) + 25, 261)
    values = [dual(np.exp(t)) for t in grid]
    i = int(np.argmax(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    result = optimize.minimize_scalar(
        lambda t: -dual(np.exp(t)), bounds=(lo, hi), method="bounded",
        options={"xatol": 1e-13, "maxiter": 500},
    )
    best = max(-result.fun, max(values))
    if kappa > 0:
        best = max(best, dual(0.0))
    else:
        # lambda -> 0 with no floor on the temperature: all mass on the smallest losses.
        best = max(best, lmin)
    return best


def dual_kl(losses, p, delta, kappa) -> float:
    """sup_{lambda>=0} -lambda delta - tau log E_P exp(-l / tau), tau = lambda + kappa."""
    support = p > 0
    losses, p = losses[support], p[support]
    lmin = losses.min()

    def dual(lam):
        tau = lam + kappa
        if tau <= 0:
            return lmin
        penalty = 0.0 if not np.isfinite(delta) else lam * delta
        return -penalty - tau * special.logsumexp(-(losses - lmin) / tau, b=p) + lmin

    if not np.isfinite(delta):
        return dual(0.0)
    return _maximise_over_lambda(dual, kappa, losses.std() + 1e-12, lmin)


def dual_alpha(losses, p, delta, kappa, alpha) -> float:
    """sup_{lambda>=0, rho} -lambda delta - rho - tau E_P f*(-(l + rho) / tau)."""
    support = p > 0
    losses, p = losses[support], p[support]
    lmin = losses.min()
    r = 1.0 / (alpha - 1.0)

    def conjugate(y):
        y = np.maximum(y, 0.0)
        return (alpha - 1.0) ** (alpha * r) / alpha * y ** (alpha * r) + 1.0 / (alpha * (alpha - 1))

    def best_rho(tau):
        # E_P[((alpha - 1) (t - l)_+ / tau)^r] = 1 in the threshold t = -rho, increasing in t.
        def mass(t):
            return p @ (((alpha - 1.0) * np.maximum(t - losses, 0.0) / tau) ** r) - 1.0

        hi = lmin + 1.0
        while mass(hi) < 0:
            hi = lmin + 2 * (hi - lmin)
        return -optimize.brentq(
            mass, lmin, hi, xtol=1e-15 * (hi - lmin), rtol=4 * np.finfo(float).eps, maxiter=1000
        )

    def dual(lam):
        tau = lam + kappa
        if tau <= 0:
            return lmin
        rho = best_rho(tau)
        penalty = 0.0 if not np.isfinite(delta) else lam * delta
        return -penalty - rho - tau * (p @ conjugate(-(losses + rho) / tau))

    if not np.isfinite(delta):
        return dual(0.0)
    return _maximise_over_lambda(dual, kappa, losses.std() + 1e-12, lmin)
