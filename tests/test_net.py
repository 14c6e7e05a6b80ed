"""AntidoteNet: sample weights reach the criterion; any loss with the call signature works;
sparse rows are densified a minibatch at a time."""

import numpy as np
import pytest
import torch
from scipy import sparse
from skorch import NeuralNetClassifier
from skorch.dataset import Dataset, ValidSplit
from skorch.helper import predefined_split

from skantidote.exceptions import NonFiniteLossError
from skantidote.loss import AntidoteLoss
from skantidote.modules import MLP
from skantidote.net import (
    AcceleratedAntidoteNet,
    AntidoteNet,
    RowsDataset,
    net_device,
    net_input,
    resolve_device,
)
from skantidote.row_scores import score_rows


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
    params = dict(
        module__n_features=4, module__n_classes=2, module__hidden_layer_sizes=(8,),
        max_epochs=1, batch_size=32, train_split=None, verbose=0,
    )
    return AntidoteNet(MLP, criterion=criterion, **{**params, **kwargs})


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


# ----------------------------------------------------------------------------------
# sparse rows
# ----------------------------------------------------------------------------------


@pytest.fixture
def sparse_data():
    X = sparse.random(96, 4, density=0.5, format="csr", dtype=np.float32, random_state=0)
    y = (X[:, 0].toarray().ravel() > X[:, 1].toarray().ravel()).astype(np.int64)
    return X, y


def test_sparse_rows_come_as_dense_float32_minibatches(sparse_data):
    X, y = sparse_data
    w = np.linspace(0.5, 2.0, len(y), dtype=np.float32)
    dataset = RowsDataset(net_input(X.astype(np.float64), w), y)
    features, target = dataset.__getitems__([7, 3, 7])
    assert features["X"].dtype == torch.float32
    np.testing.assert_array_equal(features["X"].numpy(), X[[7, 3, 7]].toarray())
    np.testing.assert_array_equal(features["sample_weight"].numpy(), w[[7, 3, 7]])
    np.testing.assert_array_equal(target.numpy(), y[[7, 3, 7]])
    # One row, as a map-style dataset's item.
    row, label = dataset[3]
    np.testing.assert_array_equal(row["X"].numpy(), X[3].toarray()[0])
    assert (row["sample_weight"].item(), label.item()) == (w[3], y[3])
    # Prediction has no targets: zeros stand in for them, as in skorch's Dataset.
    assert RowsDataset(X).__getitems__([0, 1])[1].tolist() == [0.0, 0.0]
    assert len(RowsDataset(X)) == 96


def test_sparse_rows_are_held_as_csr(sparse_data):
    X, y = sparse_data
    dataset = RowsDataset(net_input(X.tocoo(), np.ones(96)), y)
    assert dataset.X["X"].format == "csr"
    features, _ = dataset.__getitems__([5])
    np.testing.assert_array_equal(features["X"].numpy(), X[[5]].toarray())


def test_sparse_rows_need_one_target_per_row(sparse_data):
    X, y = sparse_data
    with pytest.raises(ValueError, match=r"numbers of rows \{'X': 96, 'y': 95\}"):
        RowsDataset(X, y[:-1])


def test_sparse_input_trains_exactly_as_dense(sparse_data):
    X, y = sparse_data
    w = np.linspace(0.5, 2.0, len(y), dtype=np.float32)
    nets = []
    for features in (X, X.toarray()):
        valid = Dataset(net_input(features[:32], w[:32]), y[:32])
        net = _net(_Recording, max_epochs=2, train_split=predefined_split(valid))
        torch.manual_seed(0)
        nets.append(net.fit(net_input(features[32:], w[32:]), y[32:]))
    sparse_net, dense_net = nets
    # The same shuffled minibatches, weights and losses, epoch by epoch: two training
    # batches and the validation batch per epoch.
    assert [len(call) for call in sparse_net.criterion_.calls] == [32, 32, 32] * 2
    torch.testing.assert_close(
        torch.cat(sparse_net.criterion_.calls), torch.cat(dense_net.criterion_.calls)
    )
    for key in ("train_loss", "valid_loss", "valid_acc"):
        assert sparse_net.history[:, key] == dense_net.history[:, key]
    torch.testing.assert_close(sparse_net.forward(X), dense_net.forward(X.toarray()))
    sparse_scores = score_rows(sparse_net, X, y, w)
    dense_scores = score_rows(dense_net, X.toarray(), y, w)
    np.testing.assert_array_equal(sparse_scores.weights, dense_scores.weights)


def test_arrays_are_served_a_minibatch_at_a_time_and_read_only_ones_train_as_writable(data):
    X, y = data
    # What a pandas DataFrame's values are under copy-on-write, or a read-only memory map.
    read_only = X.copy()
    read_only.flags.writeable = False
    net = _net(AntidoteLoss, criterion__forget_rate=0.2)
    dataset = net.get_dataset(net_input(read_only, np.ones(len(y), dtype=np.float32)), y)
    assert isinstance(dataset, RowsDataset)
    features, _ = dataset.__getitems__([3, 1])
    assert features["X"].numpy().flags.writeable  # a copy of the rows, not a view
    # Writable arrays too (one index per minibatch is faster than skorch's row by row),
    # unless a collate_fn of the user's expects rows.
    assert isinstance(net.get_dataset(X, y), RowsDataset)
    custom = _net(AntidoteLoss, iterator_train__collate_fn=torch.utils.data.default_collate)
    assert type(custom.get_dataset(X, y)) is Dataset
    assert isinstance(custom.get_dataset(read_only, y), RowsDataset)
    # The same shuffled minibatches (their weights tell the rows apart) and losses as
    # skorch's Dataset, read-only or not.
    w = np.linspace(0.5, 2.0, len(y), dtype=np.float32)
    rows_by_rows = {"iterator_train__collate_fn": torch.utils.data.default_collate,
                    "iterator_valid__collate_fn": torch.utils.data.default_collate}
    nets = []
    for features, params in ((X, rows_by_rows), (X, {}), (read_only, {})):
        valid = Dataset(features[:32], y[:32])
        net = _net(_Recording, max_epochs=2, train_split=predefined_split(valid), **params)
        torch.manual_seed(0)
        nets.append(net.fit(net_input(features[32:], w[32:]), y[32:]))
    skorch_net = nets[0]
    for net in nets[1:]:
        torch.testing.assert_close(
            torch.cat(net.criterion_.calls[:2]), torch.cat(skorch_net.criterion_.calls[:2])
        )
        for key in ("train_loss", "valid_loss", "valid_acc"):
            assert net.history[:, key] == skorch_net.history[:, key]
        torch.testing.assert_close(net.forward(read_only), skorch_net.forward(X))


def test_sparse_batches_follow_the_iterator_parameters(sparse_data):
    X, y = sparse_data
    net = _net(
        _Recording, iterator_train__batch_size=40, iterator_train__drop_last=True,
        iterator_valid__batch_size=-1,
    ).fit(net_input(X, np.ones(96, dtype=np.float32)), y)
    assert [len(call) for call in net.criterion_.calls] == [40, 40]
    assert [len(batch) for batch in net.forward_iter(X)] == [96]


def test_skorch_validation_split_of_sparse_rows(sparse_data):
    X, y = sparse_data
    # ValidSplit hands the net Subsets of the dataset; they are fetched a batch at a time.
    net = _net(AntidoteLoss, criterion__forget_rate=0.2, train_split=ValidSplit(4))
    net.fit(net_input(X, np.ones(96, dtype=np.float32)), y)
    assert np.isfinite(net.history[-1]["valid_loss"])
    assert net.history[-1]["valid_batch_count"] == 1


def test_sparse_rows_through_accelerate(sparse_data):
    accelerate = pytest.importorskip("accelerate")
    X, y = sparse_data
    nets = []
    for features in (X, X.toarray()):
        net = AcceleratedAntidoteNet(
            MLP, accelerator=accelerate.Accelerator(cpu=True), module__n_features=4,
            module__n_classes=2, criterion=AntidoteLoss, criterion__forget_rate=0.2,
            batch_size=32, max_epochs=2, train_split=None, device=None, verbose=0,
        )
        torch.manual_seed(0)
        nets.append(net.fit(net_input(features, np.ones(96, dtype=np.float32)), y))
    torch.testing.assert_close(nets[0].forward(X), nets[1].forward(X.toarray()))


def test_a_net_without_a_criterion_trains_on_logits_and_predicts_probabilities():
    # skorch's classifier defaults to NLLLoss of probabilities, which on logits ran to NaN.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    net = AntidoteNet(MLP, module__n_features=4, module__n_classes=2, max_epochs=30,
                      lr=0.05, train_split=None, verbose=0).fit(X, y)
    assert np.isfinite([row["train_loss"] for row in net.history]).all()
    proba = net.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert (proba >= 0).all() and (net.predict(X) == y).mean() > 0.8


def test_auto_prediction_keeps_skorch_s_rule_for_its_own_losses():
    # One logit per row with BCEWithLogitsLoss: skorch's sigmoid, two columns; a softmax
    # over the batch would be wrong.
    class OneLogit(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 1)

        def forward(self, X):
            return self.linear(X).squeeze(-1)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.float32)
    net = AntidoteNet(OneLogit, criterion=torch.nn.BCEWithLogitsLoss, max_epochs=20, lr=0.1,
                      train_split=None, verbose=0).fit(X, y)
    proba = net.predict_proba(X)
    assert proba.shape == (64, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
