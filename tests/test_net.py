"""AntidoteNet: sample weights reach the criterion; any loss with the call signature works."""

import numpy as np
import pytest
import torch
from skorch import NeuralNetClassifier

from skantidote.exceptions import NonFiniteLossError
from skantidote.loss import AntidoteLoss
from skantidote.modules import MLP
from skantidote.net import AntidoteNet, net_device, net_input, resolve_device


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return X, y


class _Recording(torch.nn.Module):
    """Cross-entropy that records what it was called with."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def forward(self, logits, target, sample_weight=None):
        self.calls.append(None if sample_weight is None else sample_weight.clone())
        return torch.nn.functional.cross_entropy(logits, target)


def _net(criterion, **kwargs):
    return AntidoteNet(
        MLP, module__n_features=4, module__n_classes=2, module__hidden_layer_sizes=(8,),
        criterion=criterion, max_epochs=1, batch_size=32, train_split=None, verbose=0,
        **kwargs,
    )


def test_sample_weights_reach_the_criterion_batch_by_batch(data):
    X, y = data
    w = np.arange(1, len(y) + 1, dtype=np.float32)
    net = _net(_Recording, iterator_train__shuffle=False).fit(net_input(X, w), y)
    calls = net.criterion_.calls
    assert len(calls) == 3
    np.testing.assert_array_equal(torch.cat(calls).numpy(), w)


def test_without_weights_the_criterion_gets_two_arguments(data):
    X, y = data
    # torch's own loss takes no sample_weight: it works as long as none is fed.
    net = _net(torch.nn.CrossEntropyLoss).fit(net_input(X), y)
    assert np.isfinite(net.history[-1]["train_loss"])
    recorded = _net(_Recording).fit(X, y).criterion_.calls
    assert recorded and all(call is None for call in recorded)


def test_module_never_sees_the_weights(data):
    X, y = data
    weighted = net_input(X, np.linspace(0.5, 2.0, len(y), dtype=np.float32))
    net = _net(AntidoteLoss, criterion__forget_rate=0.2).fit(weighted, y)
    torch.testing.assert_close(net.forward(weighted), net.forward(X))


def test_a_criterion_reporting_non_finite_losses_raises_non_finite_loss_error(data):
    X, y = data
    X = X.copy()
    X[5, 0] = np.inf
    net = _net(AntidoteLoss, criterion__forget_rate=0.2)
    with pytest.raises(NonFiniteLossError, match="training loss is not finite in epoch 1"):
        net.fit(X, y)


def test_other_value_errors_of_the_criterion_pass_through(data):
    class Failing(torch.nn.Module):
        def forward(self, logits, target):
            raise ValueError("a message of the loss's own")

    X, y = data
    with pytest.raises(ValueError, match="own") as info:
        _net(Failing).fit(X, y)
    assert not isinstance(info.value, NonFiniteLossError)


def test_devices():
    assert resolve_device("auto") in ("cpu", "cuda")
    assert resolve_device(torch.device("cpu")) == "cpu"
    with pytest.raises(ValueError, match="device must be 'auto'"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            resolve_device("cuda:0")
    net = NeuralNetClassifier(torch.nn.Linear(2, 2), device=None).initialize()
    assert net_device(net) == torch.device("cpu")  # from the module's parameters
