"""Pickled estimators refuse to load into another major version of skantidote."""

from __future__ import annotations

from skantidote import version

__all__ = ["VersionedPickleMixin"]


def _major(version: str) -> str:
    return str(version).split(".", 1)[0]


class VersionedPickleMixin:
    """Record the package version in an estimator's pickle; refuse another major version.

    A fitted network's structure and training state follow the package's internals, which
    may change between major versions; loading such a pickle would fail later and more
    obscurely, or predict wrongly. Mix in before ``BaseEstimator``.

    Examples
    --------
    >>> import pickle
    >>> from skantidote import AntidoteClassifier
    >>> state = AntidoteClassifier().__getstate__()
    >>> state["_skantidote_version"] == __import__("skantidote").__version__
    True
    """

    def __getstate__(self):
        # A copy: object.__getstate__ may return the live __dict__ itself.
        state = dict(super().__getstate__())
        state["_skantidote_version"] = version.__version__
        return state

    def __setstate__(self, state):
        saved = state.pop("_skantidote_version", None)
        current = version.__version__
        if saved is not None and _major(saved) != _major(current):
            raise RuntimeError(
                f"This {type(self).__name__} was saved with skantidote {saved} and cannot be "
                f"loaded with skantidote {current}: the major versions differ "
                f"({_major(saved)} != {_major(current)}). Load it with skantidote "
                f"{_major(saved)}.x, or refit it with skantidote {current}."
            )
        super().__setstate__(state)
