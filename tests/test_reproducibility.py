"""Seeds and torch's global generator: reproducible fits without side effects."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from sklearn.datasets import make_classification

from skantidote import AntidoteClassifier
from skantidote.reproducibility import draw_seed, local_torch_rng


def _fit_proba(X, y):
    clf = AntidoteClassifier(
        hidden_layer_sizes=(16,), max_epochs=3, forget_rate=0.1, lr=1e-2, random_state=0
    )
    return clf.fit(X, y).predict_proba(X)


def test_fits_in_threads_are_reproducible_and_leave_the_global_generator_alone():
    """torch's generator is the process's: fits in threads must not restore each other's."""
    X, y = make_classification(200, 6, random_state=0)
    X = X.astype(np.float32)
    alone = _fit_proba(X, y)
    torch.manual_seed(5)
    before = torch.get_rng_state().clone()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: _fit_proba(X, y), range(4)))
    assert torch.equal(torch.get_rng_state(), before)
    for proba in results:
        np.testing.assert_array_equal(proba, alone)


def test_the_device_may_be_named():
    with local_torch_rng("cpu", seed=3):
        first = torch.rand(2)
    with local_torch_rng(torch.device("cpu"), seed=3):
        np.testing.assert_array_equal(torch.rand(2), first)


@pytest.mark.parametrize("bad", [1.5, "0", True])
def test_draw_seed_names_what_it_takes(bad):
    with pytest.raises(ValueError, match="random_state must be None, an int"):
        draw_seed(bad)
