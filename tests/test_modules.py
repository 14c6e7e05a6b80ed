"""Tests of the built-in torch modules (skantidote.modules)."""

import numpy as np
import pytest
import torch
from torch import nn

from skantidote.modules import CNN, MLP


def test_mlp_shapes_and_layers():
    net = MLP(n_features=5, n_classes=3, hidden_layer_sizes=(7, 4))
    assert net(torch.zeros(2, 5)).shape == (2, 3)
    linear = [m for m in net.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(5, 7), (7, 4), (4, 3)]
    assert not any(isinstance(m, nn.Dropout) for m in net.modules())


def test_mlp_without_hidden_layers_is_linear():
    net = MLP(n_features=5, n_classes=2, hidden_layer_sizes=())
    assert len(net.layers) == 1 and isinstance(net.layers[0], nn.Linear)


def test_mlp_accepts_numpy_sizes_and_int():
    net = MLP(np.int64(3), np.int64(2), hidden_layer_sizes=np.array([4, 4]))
    assert net(torch.zeros(1, 3)).shape == (1, 2)
    assert MLP(3, 2, hidden_layer_sizes=6)(torch.zeros(1, 3)).shape == (1, 2)


def test_mlp_dropout_only_in_training():
    torch.manual_seed(0)
    net = MLP(4, 3, hidden_layer_sizes=(64,), dropout=0.5)
    assert sum(isinstance(m, nn.Dropout) for m in net.modules()) == 1
    x = torch.randn(8, 4)
    net.eval()
    assert torch.equal(net(x), net(x))
    net.train()
    assert not torch.equal(net(x), net(x))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_features": 0, "n_classes": 2}, ValueError, "n_features must be an integer >= 1"),
        ({"n_features": 2.5, "n_classes": 2}, TypeError, "n_features must be an integer"),
        ({"n_features": 3, "n_classes": 1}, ValueError, "n_classes must be an integer >= 2"),
        ({"n_features": 3, "n_classes": True}, TypeError, "n_classes"),
        (
            {"n_features": 3, "n_classes": 2, "hidden_layer_sizes": (4, -1)},
            ValueError,
            "hidden_layer_sizes",
        ),
        (
            {"n_features": 3, "n_classes": 2, "hidden_layer_sizes": "wide"},
            TypeError,
            "hidden_layer_sizes must be a sequence",
        ),
        ({"n_features": 3, "n_classes": 2, "dropout": 1.0}, ValueError, r"dropout .* \[0, 1\)"),
    ],
)
def test_mlp_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        MLP(**kwargs)


@pytest.mark.parametrize("shape", [(1, 8, 8), (3, 32, 32), (2, 5, 7)])
def test_cnn_flat_and_image_input(shape):
    net = CNN(input_shape=shape, n_classes=4, channels=(4, 8)).eval()
    flat = torch.randn(3, int(np.prod(shape)))
    out = net(flat)
    assert out.shape == (3, 4)
    torch.testing.assert_close(net(flat.reshape(3, *shape)), out)


def test_cnn_two_dimensional_shape_means_one_channel():
    net = CNN(input_shape=(8, 8), n_classes=3, channels=(4,))
    assert net.input_shape == (1, 8, 8)
    assert net(torch.zeros(2, 64)).shape == (2, 3)


def test_cnn_skips_pooling_on_tiny_images():
    # Three stages on a 2x2 image: only the first can pool.
    net = CNN(input_shape=(1, 2, 2), n_classes=2, channels=(2, 2, 2))
    assert sum(isinstance(m, nn.MaxPool2d) for m in net.modules()) == 1
    assert net(torch.zeros(3, 4)).shape == (3, 2)


def test_cnn_rows_are_independent_in_eval_mode():
    torch.manual_seed(0)
    net = CNN(input_shape=(1, 8, 8), n_classes=10, channels=(4, 8))
    net(torch.randn(16, 64))  # update the batch-norm running statistics
    net.eval()
    x = torch.randn(5, 64)
    full = net(x)
    rows = torch.cat([net(x[i : i + 1]) for i in range(5)])
    torch.testing.assert_close(full, rows)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_shape": (1, 2, 3, 4)}, ValueError, r"\(channels, height, width\)"),
        ({"input_shape": (1, 0, 8)}, ValueError, "input_shape"),
        ({"input_shape": (1, 8, 8), "channels": ()}, ValueError, "at least one entry"),
        ({"input_shape": (1, 8, 8), "dropout": -0.1}, ValueError, "dropout"),
    ],
)
def test_cnn_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        CNN(n_classes=3, **kwargs)


def test_cnn_wrong_row_length():
    net = CNN(input_shape=(1, 8, 8), n_classes=3, channels=(4,))
    with pytest.raises(ValueError, match="expects rows of 64 values, got 63"):
        net(torch.zeros(2, 63))


@pytest.mark.parametrize(
    "make", [lambda: MLP(4, 3, (16,)), lambda: CNN((1, 2, 2), 3, channels=(4,))]
)
def test_modules_learn(make):
    torch.manual_seed(0)
    net = make()
    x = torch.randn(32, 4)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0).long()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
    first = None
    for _ in range(50):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        optimizer.step()
        first = loss.item() if first is None else first
    assert loss.item() < 0.5 * first


def test_mlp_regression_outputs_and_one_of_the_two_widths():
    net = MLP(n_features=4, n_outputs=2, hidden_layer_sizes=(8,))
    assert net(torch.zeros(3, 4)).shape == (3, 2) and net.n_classes is None
    with pytest.raises(ValueError, match="exactly one of n_classes"):
        MLP(n_features=4)
    with pytest.raises(ValueError, match="exactly one of n_classes"):
        MLP(n_features=4, n_classes=3, n_outputs=1)
    with pytest.raises(ValueError, match="n_outputs must be an integer >= 1"):
        MLP(n_features=4, n_outputs=0)
