"""Seeds for a fit, and torch's global RNG kept out of the user's way."""

from __future__ import annotations

import contextlib
import numbers
import threading
from collections.abc import Iterator

import numpy as np
import torch

__all__ = ["draw_seed", "local_torch_rng"]

#: torch has one global generator per device: blocks that fork it in threads of one
#: process would save and restore each other's states, so they take turns.
_GLOBAL_RNG_TURN = threading.RLock()


def draw_seed(random_state) -> int:
    """A 32-bit seed from a scikit-learn ``random_state``.

    Parameters
    ----------
    random_state : None, int or numpy.random.RandomState
        ``None`` draws a fresh seed from the operating system's entropy, without touching
        NumPy's global RNG; an int is used as it is (modulo 2**32); a ``RandomState``
        advances by one draw.

    Returns
    -------
    int

    Examples
    --------
    >>> from skantidote.reproducibility import draw_seed
    >>> draw_seed(7)
    7
    """
    if random_state is None:
        return int(np.random.SeedSequence().generate_state(1)[0])
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state) % (2**32)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    raise ValueError(
        "random_state must be None, an int or a numpy.random.RandomState, got "
        f"{random_state!r}."
    )


@contextlib.contextmanager
def local_torch_rng(device: torch.device | str, seed: int | None = None) -> Iterator[None]:
    """Restore the caller's global torch RNG state after the block; seed it inside.

    Parameter initialisation, dropout and the DataLoader's shuffling all draw from torch's
    global generators -- and every DataLoader iteration draws a base seed from them, even
    without shuffling, so prediction does too. Forking makes a fit reproducible from
    ``random_state`` without any side effect on the user's RNG. Those generators are the
    process's, so blocks in different threads (a ``threading`` joblib backend, a Dask
    worker with several threads, a threaded server) run one at a time: each would
    otherwise restore the others' generators mid-fit.

    Parameters
    ----------
    device : torch.device or str
        The device trained on; on CUDA its generator is forked (and seeded) too.
    seed : int, optional
        Seed of the generators inside the block; ``None`` leaves them as they are.

    Examples
    --------
    >>> import torch
    >>> from skantidote.reproducibility import local_torch_rng
    >>> before = torch.random.get_rng_state()
    >>> with local_torch_rng(torch.device("cpu"), seed=0):
    ...     _ = torch.rand(3)
    >>> bool((torch.random.get_rng_state() == before).all())
    True
    """
    device = torch.device(device)
    cuda = []
    if device.type == "cuda":
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]
    with _GLOBAL_RNG_TURN, torch.random.fork_rng(devices=cuda):
        if seed is not None:
            torch.default_generator.manual_seed(seed)
            for index in cuda:
                # Only the device we train on; torch.manual_seed would seed every GPU.
                with torch.cuda.device(index):
                    torch.cuda.manual_seed(seed)
        yield
