"""skantidote: learning with noisy labels for scikit-learn, with the ANTIDOTE objective.

ANTIDOTE (Birrell & Ebrahimi, arXiv:2508.06622) trains on the most favourable reweighting
of the training set within an f-divergence ball around the empirical distribution, so that
mislabeled, high-loss samples are progressively forgotten.

The public names are imported on first use (PEP 562), so that ``import skantidote`` and the
command line's error paths do not pay for torch, skorch, scikit-learn and pandas up front.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from skantidote.version import __version__

_EXPORTS = {
    "AlphaDivergence": "skantidote.divergences",
    "AntidoteClassifier": "skantidote.classifier",
    "AntidoteLoss": "skantidote.loss",
    "AntidoteRegressor": "skantidote.regressor",
    "Divergence": "skantidote.divergences",
    "KLDivergence": "skantidote.divergences",
    "NoisyLabelFilter": "skantidote.filter",
    "ROBUST_LOSSES": "skantidote.robust_losses",
    "get_divergence": "skantidote.divergences",
    "get_robust_loss": "skantidote.robust_losses",
}

__all__ = [
    "ROBUST_LOSSES",
    "AlphaDivergence",
    "AntidoteClassifier",
    "AntidoteLoss",
    "AntidoteRegressor",
    "Divergence",
    "KLDivergence",
    "NoisyLabelFilter",
    "__version__",
    "get_divergence",
    "get_robust_loss",
]

if TYPE_CHECKING:
    from skantidote.classifier import AntidoteClassifier
    from skantidote.divergences import AlphaDivergence, Divergence, KLDivergence, get_divergence
    from skantidote.filter import NoisyLabelFilter
    from skantidote.loss import AntidoteLoss
    from skantidote.regressor import AntidoteRegressor
    from skantidote.robust_losses import ROBUST_LOSSES, get_robust_loss


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'skantidote' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
