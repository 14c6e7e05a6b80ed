"""Diagnostic plots of skantidote.plotting, on the outputs of a real (tiny) fit."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

from skantidote import AntidoteClassifier, NoisyLabelFilter  # noqa: E402
from skantidote.noise import symmetric_noise  # noqa: E402
from skantidote.plotting import (  # noqa: E402
    plot_forgetting_curve,
    plot_label_confusion,
    plot_label_quality,
    plot_summary,
)


@pytest.fixture(scope="module")
def fitted():
    """A NoisyLabelFilter fitted in well under a second: 300 digits, 6 epochs."""
    X, y = load_digits(n_class=4, return_X_y=True)
    X, y = X[:300] / 16.0, y[:300]
    y_noisy, corrupted = symmetric_noise(y, 0.3, random_state=0)
    clf = AntidoteClassifier(forget_rate=0.3, max_epochs=6, warmup_epochs=2,
                             hidden_layer_sizes=(32,), random_state=0)
    cleaner = NoisyLabelFilter(clf, forget_rate=0.3, averaging_epochs=2, random_state=0)
    cleaner.fit_resample(X, y_noisy)
    return cleaner.label_issues_, cleaner.estimator_.history_, corrupted


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def saved(fig: Figure, tmp_path, name: str = "fig.png") -> bytes:
    path = tmp_path / name
    fig.savefig(path)
    return path.read_bytes()


def legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


# ---------------------------------------------------------------------------
# plot_label_quality
# ---------------------------------------------------------------------------


def test_label_quality_flagged_vs_kept(fitted, tmp_path):
    issues, _, _ = fitted
    fig = plot_label_quality(issues)
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    texts = legend_texts(ax)
    n_flagged = int(issues["is_label_issue"].sum())
    assert f"kept ({len(issues) - n_flagged})" in texts
    assert f"flagged ({n_flagged})" in texts
    assert any(t.startswith("flagging cut") for t in texts)
    assert ax.get_xlim()[0] <= 0.0 and ax.get_xlim()[1] >= 1.0
    # Stacked bars: the total height over all bins is the number of rows.
    heights = {}
    for patch in ax.patches:
        x = round(patch.get_x(), 9)
        heights[x] = heights.get(x, 0) + patch.get_height()
    assert sum(heights.values()) == pytest.approx(len(issues))
    png = saved(fig, tmp_path)
    assert png.startswith(b"\x89PNG") and len(png) > 5_000


def test_label_quality_with_truth_and_weights(fitted, tmp_path):
    issues, _, corrupted = fitted
    fig = plot_label_quality(issues, truth=corrupted, column="sample_weight")
    ax = fig.axes[0]
    texts = legend_texts(ax)
    flagged = issues["is_label_issue"].to_numpy()
    assert f"flagged, corrupted (found) ({int((flagged & corrupted).sum())})" in texts
    assert f"kept, corrupted (missed) ({int((~flagged & corrupted).sum())})" in texts
    assert len([t for t in texts if t.startswith(("kept", "flagged"))]) == 4
    assert "weight" in ax.get_xlabel()
    assert saved(fig, tmp_path, "w.svg").startswith(b"<?xml")


def test_label_quality_draws_on_given_axes(fitted):
    issues, _, corrupted = fitted
    fig, (left, right) = plt.subplots(1, 2)
    assert plot_label_quality(issues, truth=corrupted.astype(int), ax=right) is fig
    assert right.patches and not left.patches


def test_label_quality_errors(fitted):
    issues, _, _ = fitted
    with pytest.raises(ValueError, match=r"shape \(300,\).*got shape \(3,\)"):
        plot_label_quality(issues, truth=[True, False, True])
    with pytest.raises(ValueError, match="truth must be boolean"):
        plot_label_quality(issues, truth=np.full(len(issues), 2))
    with pytest.raises(ValueError, match="'margin'"):
        plot_label_quality(issues, column="margin")
    with pytest.raises(TypeError, match="DataFrame.*got ndarray"):
        plot_label_quality(issues.to_numpy())


# ---------------------------------------------------------------------------
# plot_forgetting_curve
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("as_frame", [False, True])
def test_forgetting_curve(fitted, tmp_path, as_frame):
    _, history, _ = fitted
    fig = plot_forgetting_curve(pd.DataFrame(history) if as_frame else history)
    assert len(fig.axes) == 2  # forgotten fraction and its twin with the loss
    ax, twin = fig.axes
    assert ax.get_xlabel() == "epoch"
    assert "forgotten" in ax.get_ylabel() and "loss" in twin.get_ylabel()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [r["forgotten"] for r in history])
    np.testing.assert_allclose(twin.lines[0].get_ydata(), [r["train_loss"] for r in history])
    # The two warm-up epochs are shaded and named in the legend.
    assert "warm-up (2 epochs)" in legend_texts(ax)
    (span,) = ax.patches
    x0, x1 = span.get_x(), span.get_x() + span.get_width()
    assert (x0, x1) == pytest.approx((0.5, 2.5))
    assert saved(fig, tmp_path).startswith(b"\x89PNG")


def test_forgetting_curve_shows_the_noise_estimate_when_recorded():
    estimates = [0.0, 0.07, 0.05, 0.04, 0.03, 0.02, 0.015, 0.014]
    history = [{"epoch": e, "train_loss": 1.0 / e, "forgotten": 0.01, "noise_estimate": r}
               for e, r in enumerate(estimates, start=1)]
    ax = plot_forgetting_curve(history).axes[0]
    (estimate,) = [line for line in ax.lines if line.get_linestyle() == "--"]
    np.testing.assert_allclose(estimate.get_ydata(), estimates)
    assert "noise estimate (each epoch's)" in legend_texts(ax)
    assert ax.get_ylim()[1] == pytest.approx(0.07 * 1.15)  # room for the estimate


def test_forgetting_curve_shows_the_unsure_share_when_recorded():
    unsure = [0.3, 0.25, 0.2, 0.18, 0.16]
    history = [{"epoch": e, "train_loss": 1.0 / e, "forgotten": 0.01, "noise_estimate": 0.05,
                "noise_unsure": u} for e, u in enumerate(unsure, start=1)]
    ax = plot_forgetting_curve(history).axes[0]
    (line,) = [line for line in ax.lines if line.get_linestyle() == ":"]
    np.testing.assert_allclose(line.get_ydata(), unsure)
    assert "disagreeing, unsure (not counted)" in legend_texts(ax)
    assert ax.get_ylim()[1] == pytest.approx(0.3 * 1.15)


def test_forgetting_curve_without_optional_keys():
    history = [{"train_loss": 1.0 / e, "forgotten": 0.1} for e in range(1, 5)]
    fig = plot_forgetting_curve(history)
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_xdata(), [1, 2, 3, 4])
    assert not fig.axes[0].patches  # no warm-up information, no shading


def test_forgetting_curve_errors():
    with pytest.raises(ValueError, match="lacks the key.*'forgotten'"):
        plot_forgetting_curve([{"epoch": 1, "train_loss": 1.0}])
    with pytest.raises(ValueError, match="empty"):
        plot_forgetting_curve([])
    with pytest.raises(TypeError, match="history must be"):
        plot_forgetting_curve(42)


# ---------------------------------------------------------------------------
# plot_label_confusion
# ---------------------------------------------------------------------------


def test_label_confusion_counts(fitted, tmp_path):
    issues, _, _ = fitted
    fig = plot_label_confusion(issues)
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # heatmap and colour bar
    flagged = issues[issues["is_label_issue"]]
    expected = pd.crosstab(flagged["given_label"], flagged["predicted_label"]).reindex(
        index=range(4), columns=range(4), fill_value=0
    )
    np.testing.assert_array_equal(ax.images[0].get_array(), expected.to_numpy())
    cells = [int(t.get_text()) for t in ax.texts]
    assert len(cells) == 16 and sum(cells) == len(flagged)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2", "3"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted label", "given label")
    assert saved(fig, tmp_path).startswith(b"\x89PNG")


def test_label_confusion_string_labels_and_no_flags():
    issues = pd.DataFrame({
        "is_label_issue": [False, False, False],
        "given_label": ["cat", "dog", "emu"],
        "predicted_label": ["cat", "dog", "dog"],
    })
    fig = plot_label_confusion(issues)
    ax = fig.axes[0]
    assert ax.get_title() == "no flagged rows"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog", "emu"]
    assert ax.images[0].get_array().sum() == 0


# ---------------------------------------------------------------------------
# plot_summary and the optional dependency
# ---------------------------------------------------------------------------


def test_summary(fitted, tmp_path):
    issues, history, corrupted = fitted
    fig = plot_summary(issues, history, truth=corrupted, title="tiny")
    # histogram, forgetting curve + twin, confusion + colour bar
    assert len(fig.axes) == 5
    assert fig.get_suptitle() == "tiny"
    assert saved(fig, tmp_path).startswith(b"\x89PNG")
    assert len(plot_summary(issues).axes) == 3


def test_missing_matplotlib_gives_an_install_hint(fitted, monkeypatch):
    issues, _, _ = fitted
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_label_quality(issues)
