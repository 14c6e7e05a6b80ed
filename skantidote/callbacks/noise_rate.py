"""Estimate the label noise from the training signal, and forget accordingly.

Two estimates share one running average and one way of setting the criterion's forget
rate: :class:`NoiseRateEstimate` for class labels (the network's confident disagreements
with the labels) and :class:`ResidualNoiseRateEstimate` for numeric targets (the rows whose
residuals lie beyond three standard deviations of the clean ones).
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod

import numpy as np
import torch
from scipy import stats
from skorch.callbacks import Callback

from skantidote.callbacks.warmup import default_warmup_epochs
from skantidote.loss import MAX_FORGET_RATE, MIN_CONFIDENCE

__all__ = [
    "NoiseRateEstimate", "ResidualNoiseRateEstimate", "RunningNoiseRate", "corrupted_fraction"
]

#: Fewer reweighted epochs than this and the estimate may not have settled.
MIN_SETTLING_EPOCHS = 5
#: Quantile of the residual norms that the clean residuals' scale is read from: below the
#: clean fraction whatever the noise (up to 75 % corrupted rows).
SCALE_QUANTILE = 0.25
#: Residuals beyond this many clean standard deviations count as corrupted.
RESIDUAL_CUT = 3.0
#: The forget rate of ``forget_rate="auto"`` before any estimate takes over.
AUTO_START_FORGET_RATE = 0.2
#: The forget rate the residual estimate holds after the warm-up, before following the
#: estimate: a ball that forgets half the rows lets the network fit the clean majority
#: even when 40 % of the targets are corrupted, so that their residuals separate.
RESIDUAL_START_RATE = 0.5
#: Logits (rows times classes) the class-label estimate keeps before counting them at
#: once: 4 MiB of float32, a whole epoch of a small table.
PENDING_LOGITS = 2**20
#: ... and, on the CPU, batches, whatever their size: each kept output is a small
#: allocation that outlives its training step, and thousands of them pin the heap between
#: the steps' large, short-lived ones (a 300,000-row, two-class table held 290 MB more
#: after one epoch for want of this bound). There the estimates count or reduce what they
#: hold at most this many batches apart, a few operations per 64 training steps. On an
#: accelerator (whose caching allocator does not fragment so) each count reads the device,
#: so they wait for the logits' bound or the epoch's end.
PENDING_BATCHES = 64
#: A settled class-label estimate moves by a few per cent of itself between the first half
#: of the reweighted epochs and their last quarter (at most 3 % in the suite's noisy
#: cells); one that falls by more than this share of itself counted rows the network was
#: still learning, clean rows (clean letter in 20 epochs: from 0.033 to 0.015).
STILL_LEARNING_FALL = 1 / 3
#: ... unless it ends below this rate, too little forgetting to cost accuracy.
STILL_LEARNING_MIN_RATE = 0.01
#: The estimate counts a row whose label the network does not predict, but whose
#: predicted class stays under that class's threshold, as correctly labelled: it is blind
#: to such rows. Where they are this share of the training rows or more, the network has
#: not learnt the data well enough for the estimate to see the noise. In the suite's cells
#: (seed 0; letter in 20 epochs, seeds 0-2) they are at most 9.3 % where the estimate is
#: within 0.05 of the truth, and 13.7-14.2 % on letter with 60 % symmetric noise in 20
#: epochs (0.51 for 0.60); on make_classification tables of 20 or 50 classes (3,000 or
#: 2,000 rows, 40 % noise) 14-68 %, with estimates 0.16-0.38 below the truth.
UNSURE_DISAGREEMENT_WARNING = 0.12


class RunningNoiseRate(Callback, ABC):
    """Shared part of the noise estimates: a per-epoch rate, averaged, set as the radius.

    Subclasses collect what they need from the training batches (``on_batch_end``) and
    say, at the end of each epoch, which fraction of the rows looks corrupted
    (:meth:`epoch_rate`). From the end of the warm-up on, the criterion's forget rate
    is set to a running average of those rates (weight ``smoothing`` on the past), so the
    radius follows the network as it separates the clean rows from the corrupted ones.

    Parameters
    ----------
    warmup_epochs : int, default=10
        Epochs before the forget rate is set from the estimate. At the end of the last one
        the rate is set to that epoch's estimate.
    smoothing : float in [0, 1), default=0.5
        Weight of the previous rate in the running average.
    sets_forget_rate : bool, default=True
        Set the criterion's forget rate (its ``set_forget_rate`` method) from the estimate;
        when False the callback only estimates, e.g. for a fit given a forget rate.
    """

    #: What the epochs before the estimate is first followed are, for the warnings.
    _BEFORE_ESTIMATE = "the warm-up"

    def __init__(
        self, warmup_epochs: int = 10, smoothing: float = 0.5, sets_forget_rate: bool = True
    ) -> None:
        self.warmup_epochs = warmup_epochs
        self.smoothing = smoothing
        self.sets_forget_rate = sets_forget_rate

    def initialize(self):
        if not 0.0 <= self.smoothing < 1.0:
            raise ValueError(f"smoothing must be a number in [0, 1), got {self.smoothing!r}.")
        self.noise_rate_ = math.nan
        self.history_ = []
        self._settling_epochs = 0
        self._last_epoch = 0
        return self

    @abstractmethod
    def epoch_rate(self) -> float | None:
        """The fraction of the epoch's training rows that looks corrupted (None: no rows)."""

    def epoch_records(self) -> dict:
        """Further entries of the net's history for the epoch just estimated (none here)."""
        return {}

    @abstractmethod
    def fitted_attributes(self) -> dict:
        """The estimator attributes this estimate provides (empty before any epoch)."""

    def on_epoch_end(self, net, **kwargs) -> None:
        estimate = self.epoch_rate()
        if estimate is None:
            return
        self.history_.append(float(estimate))
        net.history.record("noise_estimate", float(estimate))
        for key, value in self.epoch_records().items():
            net.history.record(key, value)
        epoch = self._last_epoch = len(net.history)
        if epoch < self.warmup_epochs:
            return
        self.noise_rate_ = float(min(self.next_rate(epoch, estimate), MAX_FORGET_RATE))
        criterion = net.criterion_
        if self.sets_forget_rate and hasattr(criterion, "set_forget_rate"):
            self.apply_rate(criterion)

    def apply_rate(self, criterion) -> None:
        """Set the criterion's forget rate from the estimate."""
        criterion.set_forget_rate(self.noise_rate_)

    def next_rate(self, epoch: int, estimate: float) -> float:
        """The forget rate after ``epoch`` (counted from 1), given its ``estimate``.

        The epoch's estimate at the end of the warm-up, then the running average.
        """
        if epoch == self.warmup_epochs or math.isnan(self.noise_rate_):
            return estimate
        self._settling_epochs += 1
        return self.smoothing * self.noise_rate_ + (1.0 - self.smoothing) * estimate

    def current_estimate(self) -> float:
        """The running estimate, or the last epoch's rate before the warm-up has ended.

        Returns
        -------
        float
            NaN before the first epoch.
        """
        if not math.isnan(self.noise_rate_):
            return self.noise_rate_
        return self.history_[-1] if self.history_ else math.nan

    def _first_estimated_epoch(self, warmup_epochs: int | None = None) -> int:
        """The epoch (counted from 1) at whose end the forget rate first follows the
        estimate, after a warm-up of ``warmup_epochs`` (default: this one's): the last of
        the warm-up (the first epoch, without a warm-up, which trains at the criterion's
        own rate)."""
        warmup = self.warmup_epochs if warmup_epochs is None else warmup_epochs
        return max(warmup, 1)

    def _epochs_to_settle(self) -> tuple[int, int]:
        """The fewest epochs in all after which ``MIN_SETTLING_EPOCHS`` follow the
        estimate: with this warm-up, and with the automatic one, which grows with the run
        (:func:`~skantidote.callbacks.warmup.default_warmup_epochs`)."""
        fixed = self._first_estimated_epoch() + MIN_SETTLING_EPOCHS
        automatic = next(
            n for n in range(1, 10 * fixed + 100)
            if n - self._first_estimated_epoch(default_warmup_epochs(n)) >= MIN_SETTLING_EPOCHS
        )
        return fixed, automatic

    def warn_if_unsettled(self, stacklevel: int = 2) -> None:
        """Warn when fewer than ``MIN_SETTLING_EPOCHS`` epochs followed the estimate.

        Parameters
        ----------
        stacklevel : int, default=2
            Passed to :func:`warnings.warn`.
        """
        if not self.history_:
            return
        followed = max(0, self._last_epoch - self._first_estimated_epoch())
        if followed >= MIN_SETTLING_EPOCHS or self._last_epoch <= self.warmup_epochs:
            # (A run that never left its warm-up followed no estimate: the estimator says
            # so itself, with the remedy, a shorter warm-up.)
            return
        first = self._first_estimated_epoch()
        fixed, automatic = self._epochs_to_settle()
        # With the automatic warm-up (a fifth of the epochs) a longer run also has a
        # longer warm-up, so that total may differ.
        auto_total = (
            f"; {automatic} with warmup_epochs='auto', whose warm-up grows with the run"
            if automatic != fixed else ""
        )
        warnings.warn(
            f"{self._unsettled_account(followed)} Train at least {fixed} epochs in all "
            f"({MIN_SETTLING_EPOCHS} after {self._BEFORE_ESTIMATE}, which ends with epoch "
            f"{first} in this run{auto_total}), or give forget_rate.",
            UserWarning,
            stacklevel=stacklevel,
        )

    def _unsettled_account(self, followed: int) -> str:
        """What the short run did, for the warning of :meth:`warn_if_unsettled`."""
        return (
            f"The noise rate was estimated over {followed} reweighted epochs only (fewer "
            f"than {MIN_SETTLING_EPOCHS}), too few for the network to separate the clean "
            f"rows from the wrong ones: the estimate ({self.current_estimate():.3f}) may "
            "be off."
        )


class NoiseRateEstimate(RunningNoiseRate):
    """Estimate the fraction of wrong labels in training, and set the forget rate from it.

    Networks learn the clean rows' patterns before they memorise the wrong labels, and
    ANTIDOTE keeps them from memorising: so while the network trains, the rows whose
    label it confidently does not predict are mostly those whose label is wrong. In every
    epoch the callback counts, over the training batches and from the very logits the
    training step computes (nothing is recomputed, no model is refitted), the rows the
    network confidently assigns to another class than their label, per given class and
    assigned class:

    * each class ``j`` has a confidence threshold: the mean probability the network gave
      ``j`` on the rows labelled ``j`` in the previous epoch (cleanlab's per-class
      threshold), and never below ``MIN_CONFIDENCE`` (one half). On a clean, easy class
      a row then counts as that class only at about 0.99: the hard clean rows of other
      classes that the network half-assigns to it, or has not learnt yet, are not taken
      for noise. On a class whose own rows get half or less on average (a noisy or a
      hard class) the threshold is one half;
    * a row labelled ``i`` counts as truly ``j`` when the network gives ``j`` at least
      ``j``'s threshold; every other row, including those on which the network hesitates,
      counts as agreeing with its label, so that hard clean rows are not taken for noise;
    * the estimate is the fraction of rows counted as another class.

    From the end of the warm-up on, it sets the criterion's forget rate to a running
    average (weight ``smoothing`` on the past) of the epoch's estimate, so the radius
    follows the network as it separates the clean rows from the wrong ones; the estimate
    and the forgetting then settle together. The counts stay on the device and are read
    once per epoch.

    A rate forgets that fraction of every batch, but the wrong labels do not spread evenly
    over the batches: those a batch holds beyond the rate are learnt, and on a small table
    the network memorises them over the epochs; it then predicts them, the estimate drifts
    down with them and the forgetting follows (digits with 40 % of labels swapped in
    pairs: 0.36 at 100 epochs for 0.395, 2 points below the true rate's accuracy). So
    with ``confident_floor`` it also gives the criterion a floor
    (:meth:`~skantidote.loss.AntidoteLoss.set_confident_floor`): in every batch, forget
    at least the rows that the estimate counts as wrong (another class than their label
    at least at that class's threshold), once the estimate has settled
    (``MIN_SETTLING_EPOCHS`` epochs after the warm-up). A row the network is that sure of
    is forgotten in whatever batch it falls, so it is not learnt while its label is
    wrong.

    The estimate misses wrong labels the network has come to predict or hesitates on
    (``benchmarks/results/suite.md`` and ``small_tables.md`` list it against the truth).
    It cannot tell a class whose wrong labels outnumber its right ones: the network then
    learns the wrong labels as the class. It warns about the cases it can see: too few
    reweighted epochs to settle; an estimate that was still falling at the end, because
    the network was still learning clean rows it had counted (by more than a third
    between the first half of the reweighted epochs and their last quarter, to at least
    0.01: ``STILL_LEARNING_FALL``, ``STILL_LEARNING_MIN_RATE``); a network that predicts
    another class than the label, without confidence, for ``UNSURE_DISAGREEMENT_WARNING``
    of the rows or more at the end (it has not learnt the data well enough to tell the
    wrong labels, and the estimate counts those rows as right); and classes whose rows it
    assigns to another class for more than half of them.

    Parameters
    ----------
    warmup_epochs : int, default=10
        Epochs before the forget rate is set from the estimate (those of
        :class:`~skantidote.callbacks.ReweightingWarmup`, during which the radius is not
        used). At the end of the last one the rate is set to that epoch's estimate.
    smoothing : float in [0, 1), default=0.5
        Weight of the previous rate in the running average.
    sets_forget_rate : bool, default=True
        Set the criterion's forget rate (its ``set_forget_rate`` method) from the estimate;
        when False the callback only estimates, e.g. for a fit given a forget rate.
    per_class : bool, default=False
        Give an :class:`~skantidote.loss.AntidoteLoss` one ball per class, each with its
        class's running rate (``class_rates_``), instead of one ball with the overall rate.
    confident_floor : bool, default=True
        With one ball, also set the criterion's confident floor (at ``thresholds_``)
        whenever it sets the forget rate, from ``MIN_SETTLING_EPOCHS`` epochs after the
        end of the warm-up on.

    Attributes
    ----------
    noise_rate_ : float
        The current estimate: the forget rate the criterion has.
    class_rates_ : ndarray of shape (n_classes,)
        The running average of each class's estimated rate (``class_noise_rates``),
        kept alike from the end of the warm-up; the rates ``per_class`` sets.
    confusion_ : ndarray of shape (n_classes, n_classes)
        The last epoch's counts of training rows by given class (rows) and the class the
        network confidently assigned them (columns; the given class where it assigned
        none).
    thresholds_ : ndarray of shape (n_classes,)
        Each class's confidence threshold for the next epoch (and the confident floor's):
        the network's mean probability on the class's labelled rows in the last epoch, at
        least ``MIN_CONFIDENCE``.
    unsure_disagreement_ : float
        The last epoch's fraction of training rows whose label the network did not
        predict, without reaching the predicted class's threshold: rows the estimate
        counts as correctly labelled, so the noise it cannot see. Every epoch's is
        recorded as ``noise_unsure`` in the net's history.
    history_ : list of float
        Each epoch's estimate (the fraction of rows off the diagonal of ``confusion_``),
        also recorded as ``noise_estimate`` in the net's history.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks import NoiseRateEstimate, ReweightingWarmup
    >>> from skantidote.loss import AntidoteLoss
    >>> from skantidote.modules import MLP
    >>> from skantidote.noise import symmetric_noise
    >>> import torch
    >>> X, y = load_digits(return_X_y=True)
    >>> y_noisy, _ = symmetric_noise(y, 0.3, random_state=0)
    >>> estimate = NoiseRateEstimate(warmup_epochs=3)
    >>> net = NeuralNetClassifier(
    ...     MLP, module__n_features=64, module__n_classes=10, criterion=AntidoteLoss,
    ...     criterion__forget_rate=0.2, optimizer=torch.optim.Adam, max_epochs=15,
    ...     train_split=None, verbose=0, callbacks=[ReweightingWarmup(3), estimate],
    ... ).fit((X / 16).astype(np.float32), y_noisy)
    >>> abs(estimate.noise_rate_ - 0.3) < 0.05  # the true rate is 0.3
    True
    """

    def __init__(
        self, warmup_epochs: int = 10, smoothing: float = 0.5, sets_forget_rate: bool = True,
        per_class: bool = False, confident_floor: bool = True,
    ) -> None:
        super().__init__(warmup_epochs, smoothing, sets_forget_rate)
        self.per_class = per_class
        self.confident_floor = confident_floor

    def initialize(self):
        super().initialize()
        self.confusion_ = None
        self.thresholds_ = None
        self.class_rates_ = None
        self.unsure_disagreement_ = math.nan
        self._thresholds = None
        self._reset_epoch()
        return self

    def _reset_epoch(self) -> None:
        self._pending_logits = []
        self._pending_targets = []
        self._pending_size = 0
        self._counts = None
        self._label_sums = None
        self._disagreements = None

    def on_epoch_begin(self, net, **kwargs) -> None:
        self._reset_epoch()

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs) -> None:
        if not training or y_pred is None or y_pred.ndim != 2:
            return
        # Inside a training step every tensor operation costs several times what it costs
        # alone, so the batches' logits are kept (no copy) and counted together: the
        # thresholds are the previous epoch's, so counting later changes nothing.
        self._pending_logits.append(y_pred.detach())
        self._pending_targets.append(batch[1])
        self._pending_size += y_pred.numel()
        if self._pending_size >= PENDING_LOGITS or (
            y_pred.is_cpu and len(self._pending_logits) >= PENDING_BATCHES
        ):
            self._count_pending()

    def _count_pending(self) -> None:
        """Add the kept batches' rows to the epoch's counts and label probabilities."""
        if not self._pending_logits:
            return
        logits = torch.cat(self._pending_logits)
        device = logits.device
        # The targets are joined where the batches left them (on the host for skorch's
        # batches) and moved to the device at once.
        target = torch.cat(
            [torch.as_tensor(t, dtype=torch.long) for t in self._pending_targets]
        ).to(device)
        self._pending_logits, self._pending_targets, self._pending_size = [], [], 0
        n_classes = logits.shape[1]
        proba = torch.softmax(logits, dim=1, dtype=torch.float32)
        if self._thresholds is None:
            self._thresholds = torch.full((n_classes,), MIN_CONFIDENCE, device=device)
        # At most one class can reach a threshold of one half or more: the most probable.
        confidence, predicted = proba.max(dim=1)
        assigned = torch.where(confidence >= self._thresholds[predicted], predicted, target)
        counts = torch.bincount(assigned.add(target, alpha=n_classes), minlength=n_classes**2)
        label_proba = proba.gather(1, target[:, None])[:, 0]
        sums = torch.bincount(target, weights=label_proba, minlength=n_classes)
        disagreements = torch.count_nonzero(predicted != target)
        if self._counts is None:
            self._counts, self._label_sums = counts, sums
            self._disagreements = disagreements
        else:
            self._counts += counts
            self._label_sums += sums
            self._disagreements += disagreements

    def epoch_rate(self) -> float | None:
        self._count_pending()
        if self._counts is None:
            return None
        sums = self._label_sums
        n_classes = len(sums)
        counts = self._counts.reshape(n_classes, n_classes)
        rows = counts.sum(dim=1)
        thresholds = (sums / rows.clamp_min(1)).float().clamp_min(MIN_CONFIDENCE)
        # A class without rows this epoch keeps its thresholds.
        self._thresholds = torch.where(rows > 0, thresholds, self._thresholds)
        # One transfer from the device per epoch: the counts, the thresholds and the
        # disagreements together.
        host = torch.cat([
            counts.flatten().double(), self._thresholds.double(),
            self._disagreements.double().reshape(1),
        ]).cpu().numpy()
        self.confusion_ = host[: n_classes**2].astype(np.int64).reshape(n_classes, n_classes)
        self.thresholds_ = host[n_classes**2 : -1]
        n_rows = max(self.confusion_.sum(), 1)
        counted = self.confusion_.sum() - np.trace(self.confusion_)
        self.unsure_disagreement_ = float((host[-1] - counted) / n_rows)
        self._reset_epoch()
        return counted / n_rows

    def epoch_records(self) -> dict:
        """The epoch's unsure share, as ``noise_unsure`` in the net's history."""
        return {"noise_unsure": self.unsure_disagreement_}

    def next_rate(self, epoch: int, estimate: float) -> float:
        """The overall rate as for every estimate; the per-class rates averaged alike."""
        rates = self.class_noise_rates()
        if self.class_rates_ is None or epoch == self.warmup_epochs:
            # A class without rows this epoch starts from the overall rate.
            self.class_rates_ = np.where(np.isnan(rates), estimate, rates)
        else:
            # ... and keeps its previous rate.
            current = np.where(np.isnan(rates), self.class_rates_, rates)
            self.class_rates_ = (
                self.smoothing * self.class_rates_ + (1.0 - self.smoothing) * current
            )
        return super().next_rate(epoch, estimate)

    def apply_rate(self, criterion) -> None:
        """One rate for one ball, or (``per_class``) each class's rate for its own ball;
        and the confident floor of one ball."""
        per_class = self.per_class and hasattr(criterion, "per_class")
        if per_class:
            rates = np.minimum(self.class_rates_, MAX_FORGET_RATE)
            criterion.set_forget_rate(rates.tolist(), per_class=True)
        else:
            criterion.set_forget_rate(self.noise_rate_)
        if self.confident_floor and hasattr(criterion, "set_confident_floor"):
            # Only once the estimate has settled: before, the rows the network puts in
            # another class include clean rows it has not learnt yet, and memorising the
            # wrong labels takes many epochs.
            settled = self._settling_epochs >= MIN_SETTLING_EPOCHS
            floor = None if per_class or not settled else self._thresholds
            criterion.set_confident_floor(floor)

    def fitted_attributes(self) -> dict:
        if self.confusion_ is None:
            return {}
        return {
            "noise_rate_": self.current_estimate(),
            "class_noise_rates_": self.class_noise_rates(),
        }

    def still_learning_fall(self) -> tuple[float, float] | None:
        """The estimate's fall over the reweighted epochs, where it says it was still learning.

        Returns
        -------
        tuple of two floats, or None
            The mean of the epochs' estimates over the first half of the reweighted epochs
            and over their last quarter (at least two epochs), where the second is below
            the first by more than ``STILL_LEARNING_FALL`` of it and at least
            ``STILL_LEARNING_MIN_RATE``; None otherwise, or before ``MIN_SETTLING_EPOCHS``
            reweighted epochs.
        """
        reweighted = self.history_[self.warmup_epochs :]
        if len(reweighted) < MIN_SETTLING_EPOCHS:
            return None
        first = float(np.mean(reweighted[: len(reweighted) // 2]))
        last = float(np.mean(reweighted[-max(2, len(reweighted) // 4) :]))
        if last < STILL_LEARNING_MIN_RATE or first - last <= STILL_LEARNING_FALL * first:
            return None
        return first, last

    def class_noise_rates(self) -> np.ndarray:
        """Per given class, the fraction of its rows confidently assigned to another class.

        Returns
        -------
        ndarray of shape (n_classes,)
            From the last epoch's counts; NaN for a class without training rows.
        """
        totals = self.confusion_.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return 1.0 - np.diag(self.confusion_) / totals

    def warn_if_unreliable(self, class_names=None, stacklevel: int = 2) -> None:
        """Warn, naming the cause, where the estimate cannot be trusted.

        Parameters
        ----------
        class_names : sequence, optional
            Names of the classes, for the message (default: their indices).
        stacklevel : int, default=2
            Passed to :func:`warnings.warn`.
        """
        if self.confusion_ is None:
            return
        self.warn_if_unsettled(stacklevel + 1)
        fall = self.still_learning_fall()
        if fall is not None:
            warnings.warn(
                f"The noise estimate fell from {fall[0]:.3f} (the first half of the "
                f"reweighted epochs) to {fall[1]:.3f} (their last quarter): the network "
                "was still learning rows it had counted as mislabeled, so the estimate "
                f"({self.noise_rate_:.3f}) may still count clean rows it has not learnt, "
                "and forgetting them costs accuracy. Train more epochs, or give "
                "forget_rate=0 if the labels are clean (skantidote.plotting."
                "plot_forgetting_curve(clf.history_) draws the estimate epoch by epoch).",
                UserWarning,
                stacklevel=stacklevel,
            )
        if self.unsure_disagreement_ >= UNSURE_DISAGREEMENT_WARNING:
            warnings.warn(
                f"The network predicted another class than the label for "
                f"{self.unsure_disagreement_:.1%} of the training rows without being "
                "confident of it (under that class's threshold): the noise estimate that "
                "sets the forget rate counts them as correctly labelled, so it "
                f"({self.noise_rate_:.3f}) may be low by up to that much. The network has "
                "not learnt the data well enough to tell the wrong labels: train more "
                "epochs, give the network more capacity or better features, or give "
                "forget_rate (skantidote.plotting."
                "plot_forgetting_curve(clf.history_) draws the share epoch by epoch).",
                UserWarning,
                stacklevel=stacklevel,
            )
        rates = self.class_noise_rates()
        names = list(class_names) if class_names is not None else list(range(len(rates)))
        if len(names) != len(rates):
            raise ValueError(
                f"class_names must name the {len(rates)} classes of the estimate, got "
                f"{len(names)} names."
            )
        swamped = np.flatnonzero(rates > 0.5)
        if len(swamped):
            # Its share of the labels and the class its rows went to: what tells a user
            # whether it can be that noisy, or is being confused with another class.
            shares = self.confusion_.sum(axis=1) / self.confusion_.sum()
            destinations = np.where(np.eye(len(rates), dtype=bool), -1, self.confusion_)
            described = "; ".join(
                f"{names[j]!r} ({shares[j]:.1%} of the labels, mostly put in "
                f"{names[int(np.argmax(destinations[j]))]!r})"
                for j in swamped
            )
            # With one ball per class already, a class cannot lose its clean rows to
            # another's errors: only the first reading is left.
            confused = "" if self.per_class else (
                " If it cannot be that noisy (it is not rare), the network is confusing it "
                "with the class its rows were put in, and one ball forgets its clean rows: "
                "per_class=True gives every class its own ball."
            )
            warnings.warn(
                f"Rows predicted as another class for more than half of them, by given "
                f"class: {described}. Either that class's labels are mostly wrong, or the "
                "network has not learnt it; where a class's wrong labels outnumber its "
                "right ones, no estimate from the labels alone can tell, and the noise rate "
                f"({self.noise_rate_:.3f}) may be off for it. If its labels are mostly "
                "wrong (a minority class under heavy noise), a long run memorises them: "
                "give forget_rate if you know it, train fewer epochs, or let "
                f"AntidoteClassifier(early_stopping=True) end the run before.{confused} "
                "(The user guide's tuning page, 'When it fails'.)",
                UserWarning,
                stacklevel=stacklevel,
            )


class ResidualNoiseRateEstimate(RunningNoiseRate):
    """Estimate the fraction of corrupted numeric targets from the training residuals.

    A network fitted to the bulk of the data leaves the clean rows with small residuals
    and the corrupted ones (outliers, shifted or swapped targets) with large ones, and
    ANTIDOTE keeps it from fitting the latter. In every epoch the callback keeps the
    residuals of the training batches (the very predictions the step computes, so
    nothing is recomputed) and counts the rows beyond three clean standard deviations,
    the clean scale and the corrupted fraction found together
    (:func:`corrupted_fraction`). From the end of the warm-up on, the criterion's forget
    rate follows a running average of that fraction, as for :class:`NoiseRateEstimate`,
    but only after holding ``start_rate`` for ``hold_epochs`` epochs: the plain loss of
    the warm-up fits part of the corrupted targets (shifted ones can be absorbed
    entirely), and a network that has fitted them leaves them nothing to stand out
    with, so the estimate after the warm-up is biased low and, followed at once, would
    keep the forgetting from ever starting. Forgetting half the rows for a while lets
    the network fit the clean majority; the corrupted residuals then grow, and the
    estimate rises to them. From above, the estimate falls to the corrupted fraction
    (on clean targets, towards 0) within a few epochs.

    What the estimate counts is the rows whose residuals *look* corrupted: targets moved
    by less than about three residual standard deviations (many swapped targets, for
    one) stay with the clean rows, and clean residuals with heavy tails add a few
    points. Multi-output targets are counted per row, by the norm of its residuals.

    Parameters
    ----------
    warmup_epochs : int, default=10
        Epochs before the forget rate is set from the estimate.
    smoothing : float in [0, 1), default=0.5
        Weight of the previous rate in the running average.
    sets_forget_rate : bool, default=True
        Set the criterion's forget rate from the estimate.
    start_rate : float in [0, 1), default=0.5
        The forget rate held from the end of the warm-up for ``hold_epochs`` epochs;
        the running average starts from it.
    hold_epochs : int or None, default=None
        Epochs ``start_rate`` is held; ``None``: as many as the warm-up, at least 5.

    Attributes
    ----------
    noise_rate_ : float
        The current estimate: the forget rate the criterion has.
    residual_scale_ : float
        The last epoch's standard deviation of the clean rows' residuals (per output, in
        the units of the targets the network sees).
    history_ : list of float
        Each epoch's corrupted fraction, also recorded as ``noise_estimate`` in the
        net's history.

    Examples
    --------
    >>> import numpy as np
    >>> from skantidote import AntidoteRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 5))
    >>> y = X @ np.ones(5) / 2 + 0.1 * rng.normal(size=1000)
    >>> y[:250] += rng.choice([-3.0, 3.0], size=250)  # a quarter shifted far away
    >>> reg = AntidoteRegressor(max_epochs=30, random_state=0).fit(X, y)
    >>> estimate = dict(reg.net_.callbacks_)["noise_rate"]  # this callback
    >>> abs(estimate.noise_rate_ - 0.25) < 0.05
    True
    """

    _BEFORE_ESTIMATE = "the warm-up and the hold"

    def __init__(
        self, warmup_epochs: int = 10, smoothing: float = 0.5, sets_forget_rate: bool = True,
        start_rate: float = RESIDUAL_START_RATE, hold_epochs: int | None = None,
    ) -> None:
        super().__init__(warmup_epochs, smoothing, sets_forget_rate)
        self.start_rate = start_rate
        self.hold_epochs = hold_epochs

    def initialize(self):
        super().initialize()
        self.residual_scale_ = math.nan
        self._reset_epoch()
        return self

    def _reset_epoch(self) -> None:
        self._predictions = []
        self._targets = []
        self._norms = []
        self._n_outputs = 1

    def on_epoch_begin(self, net, **kwargs) -> None:
        self._reset_epoch()

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs) -> None:
        if not training or y_pred is None:
            return
        # Kept as they are (no copy) and reduced together: inside a training step every
        # tensor operation costs several times what it costs alone.
        self._predictions.append(y_pred.detach())
        self._targets.append(batch[1])
        if y_pred.is_cpu and len(self._predictions) >= PENDING_BATCHES:
            self._reduce_pending()

    def _reduce_pending(self) -> None:
        """The kept batches' rows as one residual norm each, on the device."""
        if not self._predictions:
            return
        prediction = torch.cat(self._predictions).float()
        prediction = prediction.reshape(len(prediction), -1)
        target = torch.cat([torch.as_tensor(t) for t in self._targets]).to(prediction.device)
        self._predictions, self._targets = [], []
        self._n_outputs = prediction.shape[1]
        self._norms.append(torch.linalg.vector_norm(
            prediction - target.float().reshape(prediction.shape), dim=1
        ))

    def epoch_rate(self) -> float | None:
        self._reduce_pending()
        if not self._norms:
            return None
        # The epoch's residual norms, read from the device at once.
        norms = torch.cat(self._norms).double().cpu().numpy()
        n_outputs = self._n_outputs
        self._reset_epoch()
        fraction, self.residual_scale_ = corrupted_fraction(norms, n_outputs)
        return fraction

    def next_rate(self, epoch: int, estimate: float) -> float:
        """``start_rate`` for ``hold_epochs`` after the warm-up, then the running average."""
        if epoch < self.warmup_epochs + self._hold_epochs():
            return self.start_rate
        return super().next_rate(epoch, estimate)

    def current_estimate(self) -> float:
        """The running estimate; within the hold, the last epoch's own estimate (the
        forget rate then is the held ``start_rate``, which estimates nothing)."""
        if self.history_ and self._last_epoch < self._first_estimated_epoch():
            return self.history_[-1]
        return super().current_estimate()

    def _hold_epochs(self, warmup_epochs: int | None = None) -> int:
        warmup = self.warmup_epochs if warmup_epochs is None else warmup_epochs
        if self.hold_epochs is None:
            return max(warmup, MIN_SETTLING_EPOCHS)
        return self.hold_epochs

    def _first_estimated_epoch(self, warmup_epochs: int | None = None) -> int:
        """The epoch (counted from 1) at whose end the forget rate first follows the
        estimate, after a warm-up of ``warmup_epochs`` (default: this one's): the last of
        the hold."""
        warmup = self.warmup_epochs if warmup_epochs is None else warmup_epochs
        return max(warmup + self._hold_epochs(warmup), 1)

    def _unsettled_account(self, followed: int) -> str:
        reweighted = max(0, self._last_epoch - self.warmup_epochs)
        # Without a warm-up the first epoch trains at the criterion's own rate, not held.
        held = max(
            0,
            min(self._last_epoch, self._first_estimated_epoch()) - max(self.warmup_epochs, 1),
        )
        return (
            f"The noise estimate was followed for {followed} of the {reweighted} "
            f"reweighted epochs only (fewer than {MIN_SETTLING_EPOCHS}): {held} of them "
            f"held the forget rate at {self.start_rate:g} (the hold, "
            f"{self._hold_epochs()} epochs after the warm-up), so that the network fits the "
            "clean majority before the estimate is followed. Too few for the estimate to "
            f"settle: the noise rate ({self.current_estimate():.3f}) may be off."
        )

    def fitted_attributes(self) -> dict:
        if not self.history_:
            return {}
        return {"noise_rate_": self.current_estimate()}

    def warn_if_unreliable(self, stacklevel: int = 2) -> None:
        """Warn, naming the cause, where the estimate cannot be trusted.

        Parameters
        ----------
        stacklevel : int, default=2
            Passed to :func:`warnings.warn`.
        """
        if not self.history_:
            return
        self.warn_if_unsettled(stacklevel + 1)
        if self.current_estimate() >= MAX_FORGET_RATE:
            warnings.warn(
                f"The residuals put {self.history_[-1]:.0%} of the rows beyond three clean "
                "standard deviations: the network has not fitted the bulk of the data, "
                f"so the forget rate was capped at {MAX_FORGET_RATE}. Train more epochs "
                "or a larger network, or give forget_rate.",
                UserWarning,
                stacklevel=stacklevel,
            )


def corrupted_fraction(
    norms: np.ndarray, n_outputs: int = 1, quantile: float = SCALE_QUANTILE,
    cut: float = RESIDUAL_CUT,
) -> tuple[float, float]:
    """The fraction of rows whose residuals lie beyond ``cut`` clean standard deviations.

    Clean residuals are modelled as ``N(0, s^2)`` per output, so that a row's residual
    norm over ``n_outputs`` outputs is ``s`` times a chi variable with ``n_outputs``
    degrees of freedom; corrupted rows lie beyond the cut. Neither ``s`` nor the
    corrupted fraction ``eps`` is known, and each depends on the other: ``s`` is read
    from the ``quantile`` of the norms, which holds only clean rows but is the
    ``quantile / (1 - eps)`` quantile of the clean ones; ``eps`` is the fraction beyond
    the cut, less the clean rows' own tail. Both are iterated to a fixed point from
    ``eps = 0``. A scale read from all rows, even a robust one, would be inflated by the
    corrupted rows enough (with 40 % of them) to call most of them clean.

    Parameters
    ----------
    norms : ndarray of shape (n_rows,)
        Norms of the rows' residual vectors (absolute residuals for one output).
    n_outputs : int, default=1
        Length of each residual vector.
    quantile : float in (0, 1), default=0.25
        Quantile of the norms that the scale is read from: below the clean fraction.
    cut : float, default=3.0
        In clean standard deviations of a single output; for several outputs, the norm
        with the same tail probability.

    Returns
    -------
    fraction : float
        The fraction of rows that look corrupted, in [0, 1).
    scale : float
        The clean residuals' standard deviation per output.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> residuals = np.concatenate([rng.normal(0, 0.1, 700), rng.normal(0, 3.0, 300)])
    >>> fraction, scale = corrupted_fraction(np.abs(residuals))
    >>> round(fraction, 2), round(scale, 2)
    (0.27, 0.1)
    """
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1 or not len(norms):
        raise ValueError(f"norms must be a non-empty 1-D array, got shape {norms.shape}.")
    clean = stats.chi(n_outputs)
    clean_tail = 2.0 * stats.norm.sf(cut)  # the tail of one output beyond the cut
    cut_norm = clean.isf(clean_tail)
    low = np.quantile(norms, quantile)
    fraction = scale = 0.0
    for _ in range(100):
        # The quantile is that of the clean rows at quantile / (1 - fraction).
        clean_quantile = min(quantile / (1.0 - fraction), 0.99)
        scale = low / clean.ppf(clean_quantile)
        beyond = np.mean(norms > cut_norm * scale) if scale > 0 else np.mean(norms > 0)
        updated = min(max((beyond - clean_tail) / (1.0 - clean_tail), 0.0), 0.99)
        if abs(updated - fraction) < 1e-6:
            fraction = updated
            break
        fraction = updated
    return float(fraction), float(scale)
