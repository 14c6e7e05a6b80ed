"""skantidote: learning with noisy labels for scikit-learn, with the ANTIDOTE objective.

ANTIDOTE (Birrell & Ebrahimi, arXiv:2508.06622) trains on the most favourable reweighting
of the training set within an f-divergence ball around the empirical distribution, so that
mislabeled, high-loss samples are progressively forgotten.
"""

from skantidote.classifier import AntidoteClassifier
from skantidote.divergences import AlphaDivergence, Divergence, KLDivergence, get_divergence
from skantidote.filter import NoisyLabelFilter
from skantidote.loss import AntidoteLoss
from skantidote.robust_losses import ROBUST_LOSSES, get_robust_loss

__version__ = "0.1.0"

__all__ = [
    "AlphaDivergence",
    "AntidoteClassifier",
    "AntidoteLoss",
    "Divergence",
    "KLDivergence",
    "NoisyLabelFilter",
    "ROBUST_LOSSES",
    "__version__",
    "get_divergence",
    "get_robust_loss",
]
