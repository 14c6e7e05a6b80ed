"""skorch callbacks for training with ANTIDOTE, one training concern a module.

:class:`~skantidote.AntidoteClassifier` trains its net with these callbacks; each also
works in any skorch ``NeuralNet`` whose criterion is :class:`~skantidote.loss.AntidoteLoss`
(or another loss with its call signature), so a skorch user gets the same behaviour in
their own net:

===============================  ============================================================
:class:`ReweightingWarmup`       plain cross-entropy for the first epochs, then reweighting
:class:`LearningRateSchedule`    cosine (or constant) learning rate over each fit call
:class:`ReweightingDiagnostics`  dual variables and fraction forgotten, per epoch
:class:`FiniteLossGuard`         checks every epoch's losses; goes back to the last finite
:class:`EarlyStopping`           stops on the validation loss; restores the best epoch
:class:`LateEpochScores`         per-row probabilities and weights, averaged over late epochs
:class:`NoiseRateEstimate`       estimates the noise rate in training; sets the forget rate
:class:`EpochProgress`           a progress line per epoch
===============================  ============================================================
"""

from skantidote.callbacks.diagnostics import ReweightingDiagnostics
from skantidote.callbacks.early_stopping import EarlyStopping
from skantidote.callbacks.finite_guard import FiniteLossGuard
from skantidote.callbacks.late_epoch_scores import LateEpochScores
from skantidote.callbacks.lr_schedule import LearningRateSchedule
from skantidote.callbacks.noise_rate import (
    NoiseRateEstimate,
    ResidualNoiseRateEstimate,
    RunningNoiseRate,
)
from skantidote.callbacks.progress import EpochProgress
from skantidote.callbacks.warmup import ReweightingWarmup

__all__ = [
    "EarlyStopping",
    "EpochProgress",
    "FiniteLossGuard",
    "LateEpochScores",
    "LearningRateSchedule",
    "NoiseRateEstimate",
    "ResidualNoiseRateEstimate",
    "ReweightingDiagnostics",
    "ReweightingWarmup",
    "RunningNoiseRate",
]
