"""A one-line-per-epoch progress display of a skorch net's training."""

from __future__ import annotations

import math
import sys
import time
from typing import TextIO

from skorch.callbacks import Callback

__all__ = ["EpochProgress"]


class EpochProgress(Callback):
    """Per-epoch progress of a fit: a bar, the epoch, the loss, the phase, the time.

    Every line reads like::

        ANTIDOTE      [######..................] epoch  25/100  loss 0.812  forgetting 12.5%    3.1s

    the label, a bar and the count of this fit's epochs, the epoch's training loss, for an
    ANTIDOTE net whether it is a warm-up epoch or else the fraction of the training rows
    forgotten (the ``warmup`` and ``forgotten`` entries of the net's history), and the time
    since the fit began. On a terminal the line is redrawn in place every epoch; on any
    other stream (a log file, a pipe) a line is written after the first epoch, every 10 %
    of the epochs and after the last one.

    The epochs are counted from the start of each fit call, so a warm-started or partial
    fit counts from 1 again, out of the net's ``max_epochs``.

    Parameters
    ----------
    label : str, default="training"
        Name of the run at the start of each line (padded to 13 characters, so that the
        lines of several runs align).
    stream : file-like, default=None
        Where to write: any object with ``write``, ``flush`` and ``isatty``. ``None``
        means ``sys.stderr`` at the time of writing (so that redirecting ``sys.stderr``,
        as pytest's ``capsys`` does, redirects the display). A stream other than ``None``
        is shared by :func:`sklearn.base.clone` and pickled with the net.
    forgetting : bool, default=True
        Whether to show the phase (warm-up, or the fraction forgotten): leave it on for an
        ANTIDOTE net, turn it off for a net without forgetting.
    width : int, default=24
        Number of characters of the bar.

    Attributes
    ----------
    first_epoch_ : int
        Length of the net's history when the current fit began.
    start_ : float
        :func:`time.monotonic` when the current fit began.

    Examples
    --------
    >>> import io
    >>> import numpy as np
    >>> import torch
    >>> from skorch import NeuralNetClassifier
    >>> from skantidote.callbacks.progress import EpochProgress
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 4)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> log = io.StringIO()
    >>> net = NeuralNetClassifier(
    ...     torch.nn.Linear(4, 2), criterion=torch.nn.CrossEntropyLoss, max_epochs=3,
    ...     train_split=None, verbose=0,
    ...     callbacks=[EpochProgress("linear", stream=log, forgetting=False)],
    ... )
    >>> _ = net.fit(X, y)
    >>> print(log.getvalue(), end="")  # doctest: +ELLIPSIS
    linear        [########................] epoch   1/3  loss ...s
    linear        [################........] epoch   2/3  loss ...s
    linear        [########################] epoch   3/3  loss ...s

    With :class:`~skantidote.AntidoteClassifier`, pass it in ``callbacks``:
    ``AntidoteClassifier(callbacks=[EpochProgress("ANTIDOTE")])``.
    """

    def __init__(self, label: str = "training", stream: TextIO | None = None,
                 forgetting: bool = True, width: int = 24) -> None:
        self.label = label
        self.stream = stream
        self.forgetting = forgetting
        self.width = width

    def __sklearn_clone__(self) -> EpochProgress:
        # clone() would deep-copy the stream: sys.stdout cannot be copied, and writing to
        # a copy of a StringIO would leave the caller's buffer empty. A clone of the
        # callback writes where the original does.
        return type(self)(**self.get_params(deep=False))

    def on_train_begin(self, net, X=None, y=None, **kwargs) -> None:
        """Remember where this fit's epochs start in the history, and the time."""
        self.first_epoch_ = len(net.history)
        self.start_ = time.monotonic()

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs) -> None:
        """Write (or redraw) the progress line of the epoch that just ended."""
        row = net.history[-1]
        total = max(int(net.max_epochs), 1)
        done = min(len(net.history) - self.first_epoch_, total)
        filled = round(self.width * done / total)
        bar = "#" * filled + "." * (self.width - filled)
        phase = ""
        if self.forgetting:
            forgotten = row.get("forgotten", 0.0) or 0.0
            phase = "warm-up" if row.get("warmup") else f"forgetting {forgotten:5.1%}"
        elapsed = time.monotonic() - self.start_
        text = (f"{self.label:<13} [{bar}] epoch {done:>3}/{total}  "
                f"loss {row.get('train_loss', math.nan):.3f}  {phase:<17} {elapsed:5.1f}s")
        stream = self.stream if self.stream is not None else sys.stderr
        if stream.isatty():
            stream.write("\r" + text + ("\n" if done >= total else ""))
        elif done in (1, total) or done % max(1, math.ceil(total / 10)) == 0:
            stream.write(text + "\n")
        stream.flush()
