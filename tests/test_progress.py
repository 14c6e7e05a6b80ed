"""skantidote.callbacks.progress.EpochProgress: the per-epoch progress display."""

from __future__ import annotations

import io
import pickle
import re
import sys

import numpy as np
import pytest
import torch
from sklearn.base import clone
from skorch import NeuralNetClassifier

from skantidote.callbacks.progress import EpochProgress

LINE = re.compile(
    r"^(?P<label>.{13}) \[(?P<bar>[#.]+)\] epoch +(?P<done>\d+)/(?P<total>\d+)  "
    r"loss (?P<loss>\d+\.\d{3})  (?P<phase>.{17}) +\d+\.\ds$"
)


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def data(n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    return X, (X[:, 0] > 0).astype(np.int64)


def net(*callbacks, max_epochs: int = 3, **kwargs) -> NeuralNetClassifier:
    torch.manual_seed(0)
    return NeuralNetClassifier(
        torch.nn.Linear(4, 2), criterion=torch.nn.CrossEntropyLoss, max_epochs=max_epochs,
        train_split=None, verbose=0, callbacks=list(callbacks), **kwargs,
    )


def parse(text: str) -> list[dict]:
    lines = text.splitlines()
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return [m.groupdict() for m in matches]


def test_one_line_per_epoch_on_a_short_fit():
    log = io.StringIO()
    net(EpochProgress("plain", stream=log, forgetting=False)).fit(*data())
    rows = parse(log.getvalue())
    assert [(r["done"], r["total"]) for r in rows] == [("1", "3"), ("2", "3"), ("3", "3")]
    assert [r["label"].rstrip() for r in rows] == ["plain"] * 3
    assert [r["bar"] for r in rows] == ["#" * 8 + "." * 16, "#" * 16 + "." * 8, "#" * 24]
    assert all(r["phase"].strip() == "" for r in rows)


def test_every_tenth_of_the_epochs_on_a_stream_that_is_not_a_terminal():
    log = io.StringIO()
    net(EpochProgress(stream=log, width=10), max_epochs=20).fit(*data())
    rows = parse(log.getvalue())
    assert [int(r["done"]) for r in rows] == [1, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]
    assert rows[-1]["bar"] == "#" * 10
    assert rows[0]["label"].rstrip() == "training"
    # forgetting=True on a net without forgetting: nothing forgotten.
    assert rows[0]["phase"].strip() == "forgetting  0.0%"


def test_redrawn_in_place_on_a_terminal():
    terminal = Terminal()
    net(EpochProgress("tty", stream=terminal), max_epochs=5).fit(*data())
    text = terminal.getvalue()
    assert text.count("\r") == 5  # every epoch, not every tenth
    assert text.endswith("\n") and text.count("\n") == 1  # a newline after the last only
    assert parse(text.replace("\r", "\n").strip())[-1]["done"] == "5"


def test_count_restarts_on_a_warm_second_fit():
    log = io.StringIO()
    model = net(EpochProgress(stream=log), warm_start=True)
    X, y = data()
    model.fit(X, y)
    model.fit(X, y)  # continues training: the history has 6 epochs
    assert len(model.history) == 6
    done = [(r["done"], r["total"]) for r in parse(log.getvalue())]
    assert done == [("1", "3"), ("2", "3"), ("3", "3")] * 2

    log.seek(0)
    log.truncate()
    model.partial_fit(X, y)
    assert [r["done"] for r in parse(log.getvalue())] == ["1", "2", "3"]


def test_default_stream_is_stderr_at_the_time_of_writing(monkeypatch):
    callback = EpochProgress("late")
    later = io.StringIO()
    monkeypatch.setattr(sys, "stderr", later)  # replaced after the callback was made
    net(callback).fit(*data())
    assert [r["label"].rstrip() for r in parse(later.getvalue())] == ["late"] * 3


def test_phase_of_an_antidote_classifier():
    from skantidote import AntidoteClassifier

    log = io.StringIO()
    X, y = data(60)
    AntidoteClassifier(
        forget_rate=0.2, max_epochs=3, warmup_epochs=1, random_state=0,
        callbacks=[EpochProgress("ANTIDOTE", stream=log)],
    ).fit(X, y)
    phases = [r["phase"].strip() for r in parse(log.getvalue())]
    assert phases[0] == "warm-up"
    assert all(re.fullmatch(r"forgetting +\d+\.\d%", p) for p in phases[1:]), phases


def test_clone_shares_the_stream_and_drops_the_state():
    log = io.StringIO()
    callback = EpochProgress("x", stream=log, forgetting=False, width=5)
    net(callback).fit(*data())
    copy = clone(callback)
    assert copy is not callback and copy.stream is log
    assert copy.get_params() == {"label": "x", "stream": log, "forgetting": False, "width": 5}
    assert not hasattr(copy, "first_epoch_")
    # Through an estimator too: a clone of a net writes where the original does.
    copy_net = clone(net(EpochProgress(stream=log)))
    assert copy_net.callbacks[0].stream is log


def test_fitted_net_with_the_default_stream_pickles():
    model = net(EpochProgress())
    model.fit(*data())
    restored = pickle.loads(pickle.dumps(model))
    assert restored.callbacks[0].stream is None


@pytest.mark.parametrize("label", ["a-very-long-label-indeed", ""])
def test_labels_of_any_length(label):
    log = io.StringIO()
    net(EpochProgress(label, stream=log), max_epochs=1).fit(*data())
    assert log.getvalue().startswith(f"{label:<13} [")
