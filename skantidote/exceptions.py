"""The exceptions that skantidote raises beyond scikit-learn's and torch's own."""

from __future__ import annotations

__all__ = ["NonFiniteLossError"]


class NonFiniteLossError(ValueError, FloatingPointError):
    """Training diverged: the loss of an epoch is NaN or infinite.

    Raised by :meth:`AntidoteClassifier.fit <skantidote.AntidoteClassifier.fit>` and
    :meth:`~skantidote.AntidoteClassifier.partial_fit` after the network's parameters have
    been restored to those of the last epoch whose losses were finite (see
    :class:`~skantidote.callbacks.FiniteLossGuard`). A subclass of both ``ValueError`` and
    ``FloatingPointError``.

    Parameters
    ----------
    message : str
        The error message.
    epoch : int, default=0
        The epoch whose loss was not finite.
    last_finite_epoch : int or None, default=0
        The epoch whose parameters the network has now; ``None`` while not yet restored.

    Attributes
    ----------
    epoch : int
        The epoch (counted as in ``history_``) whose loss was not finite.
    last_finite_epoch : int or None
        The epoch whose parameters the network has now; 0 for the parameters the failed
        fit call started from, ``None`` when the error was raised before any restore.
    where : str
        ``"training"`` or ``"validation"``: which loss was not finite.
    lr : float or None
        The learning rate of the diverging fit, when known.

    Examples
    --------
    >>> from skantidote.exceptions import NonFiniteLossError
    >>> error = NonFiniteLossError.diverged("training", epoch=3, lr=0.1, last_finite_epoch=2)
    >>> print(error)  # doctest: +NORMALIZE_WHITESPACE
    Training diverged: the training loss is not finite in epoch 3 (lr=0.1); the network
    keeps the parameters of epoch 2, the last with finite losses. Lower the learning rate
    (e.g. lr=0.01), use a smaller forget_rate/delta, or check the inputs for extreme values
    (standardise the features).
    """

    def __init__(
        self,
        message: str,
        epoch: int = 0,
        last_finite_epoch: int | None = 0,
        *,
        where: str = "training",
        lr: float | None = None,
    ) -> None:
        super().__init__(message)
        self.epoch = epoch
        self.last_finite_epoch = last_finite_epoch
        self.where = where
        self.lr = lr

    @classmethod
    def diverged(
        cls, where: str, *, epoch: int, lr: float | None, last_finite_epoch: int | None
    ) -> NonFiniteLossError:
        """The error for a ``where`` loss that is not finite in ``epoch``.

        Parameters
        ----------
        where : {"training", "validation"}
            Which loss diverged.
        epoch : int
            The epoch, counted as in the net's history.
        lr : float or None
            The learning rate, to suggest a tenth of it.
        last_finite_epoch : int or None
            The epoch whose parameters the network was restored to (0: not trained);
            ``None`` when nothing has been restored yet.

        Returns
        -------
        NonFiniteLossError
        """
        rate = "" if lr is None else f" (lr={lr:g})"
        if last_finite_epoch is None:
            kept = ""
        elif last_finite_epoch:
            kept = (
                f"; the network keeps the parameters of epoch {last_finite_epoch}, the last "
                "with finite losses"
            )
        else:
            kept = "; no epoch finished with finite losses, so the network was not trained"
        smaller = "a lower learning rate" if lr is None else f"e.g. lr={lr / 10:g}"
        return cls(
            f"Training diverged: the {where} loss is not finite in epoch {epoch}{rate}{kept}. "
            f"Lower the learning rate ({smaller}), use a smaller forget_rate/delta, or check "
            "the inputs for extreme values (standardise the features).",
            epoch=epoch,
            last_finite_epoch=last_finite_epoch,
            where=where,
            lr=lr,
        )

    def restored(self, last_finite_epoch: int) -> NonFiniteLossError:
        """The same error, once the network is back at ``last_finite_epoch``.

        Parameters
        ----------
        last_finite_epoch : int
            The epoch whose parameters the network has now (0: not trained).

        Returns
        -------
        NonFiniteLossError
        """
        return self.diverged(
            self.where, epoch=self.epoch, lr=self.lr, last_finite_epoch=last_finite_epoch
        )
