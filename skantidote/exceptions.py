"""The exceptions that skantidote raises beyond scikit-learn's and torch's own, and the
rule for where its warnings point: at the first line of the caller's code, outside
skantidote and the libraries that call its estimators (:func:`external_stacklevel`).
"""

from __future__ import annotations

import functools
import os
import sys

__all__ = ["NonFiniteLossError", "external_stacklevel"]


def external_stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside the libraries.

    A warning about a fit belongs to the user's line that started it; a fixed
    ``stacklevel`` gets that line only for one route through the code, and scikit-learn's
    ``fit`` wrapper, a :class:`~sklearn.pipeline.Pipeline` or
    :func:`~sklearn.model_selection.cross_val_score` (through joblib) add frames. So the
    stack is walked from the function that calls this one to the first frame whose module
    lies outside the directories of skantidote, scikit-learn, skorch and joblib (compared
    as paths, so that a package beside them such as ``sklearn_extra`` counts as the
    user's). Python 3.12's
    ``skip_file_prefixes`` does the same, but only from 3.12 on.

    Returns
    -------
    int
        The ``stacklevel`` for a :func:`warnings.warn` called by the function that calls
        this one (1: that function itself). Where every frame is the libraries' own (a
        script inside them), the outermost frame's.

    Examples
    --------
    A fit's warnings point at the line that called ``fit``, here a doctest's:

    >>> import warnings
    >>> import numpy as np
    >>> from skantidote import AntidoteClassifier
    >>> X = np.random.default_rng(0).normal(size=(40, 2))
    >>> y = (X[:, 0] > 0).astype(int)
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     _ = AntidoteClassifier(max_epochs=2, warmup_epochs=2).fit(X, y)
    >>> {record.filename for record in caught}  # not skantidote's nor scikit-learn's
    {'<doctest ...>'}

    A function that warns passes it as ``warnings.warn(message, stacklevel=...)``; called
    from outside the libraries, it points at the caller itself:

    >>> from skantidote.exceptions import external_stacklevel
    >>> external_stacklevel()
    1
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and _in_libraries(frame.f_code.co_filename):
        frame = frame.f_back
        level += 1
    return level


@functools.cache
def _library_directories() -> tuple[str, ...]:
    """The directories of the packages whose frames a warning skips, each ending in a
    separator so that ``sklearn`` does not take in ``sklearn_extra``."""
    # Imported here: at the first warning the packages are imported already, and this
    # module stays light for those that only catch its exceptions.
    import joblib
    import sklearn
    import skorch

    import skantidote

    modules = [skantidote, sklearn, skorch, joblib]
    try:
        # The filter's recommended home is an imbalanced-learn Pipeline.
        import imblearn

        modules.append(imblearn)
    except ImportError:
        pass
    return tuple(
        os.path.join(os.path.normcase(os.path.dirname(os.path.abspath(module.__file__))), "")
        for module in modules
    )


@functools.lru_cache(maxsize=1024)
def _in_libraries(filename: str) -> bool:
    """Whether a frame's file lies in one of :func:`_library_directories`."""
    return os.path.normcase(os.path.abspath(filename)).startswith(_library_directories())


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
