"""Diagnostic plots for noisy-label cleaning and ANTIDOTE training.

The functions take the outputs of :class:`~skantidote.NoisyLabelFilter` (its
``label_issues_`` table) and of :class:`~skantidote.AntidoteClassifier` (its ``history_``)
and return a :class:`matplotlib.figure.Figure`. They never call ``plt.show()``: save the
figure with ``fig.savefig(...)``, or let a notebook display it.

matplotlib is an optional dependency (``pip install matplotlib``, or the ``plot`` extra of
skantidote); it is imported only when a function is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover - imported for type hints only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_forgetting_curve",
    "plot_label_confusion",
    "plot_label_quality",
    "plot_summary",
]

# Colours of the row groups (colour-blind safe, from the Okabe-Ito palette).
_COLORS = {
    "kept": "#0072B2",
    "flagged": "#D55E00",
    "kept, clean": "#0072B2",
    "kept, corrupted (missed)": "#E69F00",
    "flagged, clean (false alarm)": "#56B4E9",
    "flagged, corrupted (found)": "#D55E00",
}


def _pyplot():
    """Import and return ``matplotlib.pyplot``, with an install hint if it is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "skantidote's plotting functions need matplotlib, which is not installed: "
            "pip install matplotlib (or pip install 'skantidote[plot]')."
        ) from exc
    return plt


def _new_axes(ax: Axes | None) -> tuple[Figure, Axes]:
    """``ax`` and its figure, or a new figure with one axes."""
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 4.0), layout="constrained")
    return fig, ax


def _check_issues(label_issues: Any, columns: Sequence[str]) -> pd.DataFrame:
    """``label_issues`` as a DataFrame that has ``columns``; a clear error otherwise."""
    if not isinstance(label_issues, pd.DataFrame):
        raise TypeError(
            "label_issues must be a pandas DataFrame such as NoisyLabelFilter.label_issues_, "
            f"got {type(label_issues).__name__}."
        )
    missing = [c for c in columns if c not in label_issues.columns]
    if missing:
        raise ValueError(
            f"label_issues lacks the column(s) {missing}; it has {list(label_issues.columns)}. "
            "Pass NoisyLabelFilter.label_issues_ (or a table with the same columns)."
        )
    return label_issues


def plot_label_quality(
    label_issues: pd.DataFrame,
    truth: Sequence[bool] | np.ndarray | pd.Series | None = None,
    column: str = "label_quality",
    ax: Axes | None = None,
    bins: int = 30,
) -> Figure:
    """Histogram of the per-row label quality (or ANTIDOTE weight), flagged vs kept rows.

    Rows are split into those flagged as label issues and those kept. When the truly
    corrupted rows are known (synthetic noise), each group is split further into clean
    and corrupted rows, which shows at a glance the mislabeled rows found, the ones
    missed and the false alarms. The bars are stacked.

    Parameters
    ----------
    label_issues : pandas.DataFrame
        One row per sample with a boolean ``is_label_issue`` column and ``column``, e.g.
        :attr:`NoisyLabelFilter.label_issues_ <skantidote.NoisyLabelFilter>`.
    truth : array-like of bool of shape (n_samples,), default=None
        ``True`` for the rows whose label is really wrong (e.g. the mask returned by
        :func:`skantidote.noise.symmetric_noise`), in the order of ``label_issues``.
    column : str, default="label_quality"
        The score to plot: ``"label_quality"`` (probability of the given label, in
        [0, 1]) or ``"sample_weight"`` (mean ANTIDOTE weight), or any numeric column.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created when ``None``.
    bins : int, default=30
        Number of histogram bins.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the histogram.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import pandas as pd
    >>> from skantidote.plotting import plot_label_quality
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.random(200) < 0.3
    >>> quality = np.where(truth, rng.beta(1, 8, 200), rng.beta(8, 1, 200))
    >>> issues = pd.DataFrame({"is_label_issue": quality < 0.3, "label_quality": quality})
    >>> fig = plot_label_quality(issues, truth=truth)
    >>> fig.axes[0].get_xlabel()
    'label quality (probability of the given label)'
    """
    issues = _check_issues(label_issues, ["is_label_issue", column])
    values = pd.to_numeric(issues[column], errors="coerce").to_numpy(dtype=float)
    flagged = issues["is_label_issue"].to_numpy(dtype=bool)
    n = len(values)
    if truth is not None:
        truth_arr = np.asarray(truth)
        if truth_arr.shape != (n,):
            raise ValueError(
                f"truth must be a boolean array of shape ({n},) like label_issues, "
                f"got shape {truth_arr.shape}."
            )
        if truth_arr.dtype != bool:
            if not np.isin(truth_arr, [0, 1]).all():
                raise ValueError(
                    "truth must be boolean (True = truly mislabeled), got values such as "
                    f"{truth_arr[~np.isin(truth_arr, [0, 1])][:3].tolist()}."
                )
            truth_arr = truth_arr.astype(bool)
        groups = {
            "kept, clean": ~flagged & ~truth_arr,
            "kept, corrupted (missed)": ~flagged & truth_arr,
            "flagged, clean (false alarm)": flagged & ~truth_arr,
            "flagged, corrupted (found)": flagged & truth_arr,
        }
    else:
        groups = {"kept": ~flagged, "flagged": flagged}

    fig, ax = _new_axes(ax)
    finite = np.isfinite(values)
    if column == "label_quality":
        edges = np.linspace(0.0, 1.0, bins + 1)
    elif finite.any():
        low, high = float(values[finite].min()), float(values[finite].max())
        edges = np.linspace(low, high if high > low else low + 1.0, bins + 1)
    else:
        edges = np.linspace(0.0, 1.0, bins + 1)
    data = [values[mask & finite] for mask in groups.values()]
    labels = [f"{name} ({int(mask.sum())})" for name, mask in groups.items()]
    colors = [_COLORS[name] for name in groups]
    ax.hist(data, bins=edges, stacked=True, label=labels, color=colors, edgecolor="white",
            linewidth=0.3)
    if column == "label_quality" and flagged.any():
        cut = float(np.nanmax(values[flagged]))
        ax.axvline(cut, color="black", linestyle="--", linewidth=1.0,
                   label=f"flagging cut ({cut:.2f})")
    xlabel = {
        "label_quality": "label quality (probability of the given label)",
        "sample_weight": "ANTIDOTE weight (1 = an average row)",
    }.get(column, column)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("rows")
    ax.set_title(f"{int(flagged.sum())} of {n} rows flagged")
    ax.legend(fontsize="small", frameon=False)
    return fig


def _history_frame(history: Any) -> pd.DataFrame:
    """``history`` (list of dicts or DataFrame) as a DataFrame with the needed columns."""
    if isinstance(history, pd.DataFrame):
        frame = history.copy()
    elif isinstance(history, Sequence) and all(isinstance(r, Mapping) for r in history):
        frame = pd.DataFrame(list(history))
    else:
        raise TypeError(
            "history must be AntidoteClassifier.history_ (a list of dicts) or a DataFrame "
            f"of it, got {type(history).__name__}."
        )
    if frame.empty:
        raise ValueError("history is empty: fit the classifier first.")
    missing = [c for c in ("train_loss", "forgotten") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"history lacks the key(s) {missing}; it has {list(frame.columns)}. Pass "
            "AntidoteClassifier.history_."
        )
    if "epoch" not in frame.columns:
        frame["epoch"] = np.arange(1, len(frame) + 1)
    return frame


def plot_forgetting_curve(
    history: Sequence[Mapping[str, Any]] | pd.DataFrame,
    ax: Axes | None = None,
) -> Figure:
    """Fraction of rows forgotten and training loss per epoch of an ANTIDOTE fit.

    The left axis shows ``forgotten`` (the mean fraction of minibatch rows whose ANTIDOTE
    weight is below 0.1) and, where the history has it, ``noise_estimate`` (each epoch's
    estimate of the noise rate, dashed: with ``forget_rate="auto"`` the rate follows its
    running average; one that is still falling at the end counted clean rows the network
    was still learning) and ``noise_unsure`` (dotted: the share of rows the estimate
    cannot see, whose label the network does not predict without being confident of
    another class; a large one means the network has not learnt the data well enough for
    the estimate to tell the wrong labels); the right axis (a twin) the training loss.
    Warm-up epochs, which train with plain cross-entropy and forget nothing, are shaded.

    Parameters
    ----------
    history : list of dict or pandas.DataFrame
        :attr:`AntidoteClassifier.history_ <skantidote.AntidoteClassifier>` or
        ``pandas.DataFrame(clf.history_)``: per-epoch records with the keys
        ``train_loss`` and ``forgotten`` and, optionally, ``epoch``, ``warmup``,
        ``noise_estimate`` and ``noise_unsure``.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on (the loss goes on a twin of it); a new figure is created when
        ``None``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure; it holds ``ax`` and its twin.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skantidote.plotting import plot_forgetting_curve
    >>> history = [
    ...     {"epoch": e, "train_loss": 2.0 / e, "forgotten": 0.0 if e <= 2 else 0.3,
    ...      "warmup": e <= 2}
    ...     for e in range(1, 11)
    ... ]
    >>> fig = plot_forgetting_curve(history)
    >>> len(fig.axes)
    2
    """
    frame = _history_frame(history)
    epochs = pd.to_numeric(frame["epoch"]).to_numpy(dtype=float)
    forgotten = pd.to_numeric(frame["forgotten"], errors="coerce").to_numpy(dtype=float)
    loss = pd.to_numeric(frame["train_loss"], errors="coerce").to_numpy(dtype=float)

    fig, ax = _new_axes(ax)
    if "warmup" in frame.columns:
        warm = frame["warmup"].fillna(False).to_numpy(dtype=bool)
        if warm.any():
            # Shade every run of warm-up epochs (one run for a plain fit).
            first = epochs[warm].min()
            last = epochs[warm].max()
            n_warm = int(warm.sum())
            ax.axvspan(first - 0.5, last + 0.5, color="0.85", zorder=0,
                       label=f"warm-up ({n_warm} epoch{'s' if n_warm != 1 else ''})")
    lines_left = ax.plot(epochs, forgotten, color=_COLORS["flagged"], marker=".",
                         label="rows forgotten (weight < 0.1)")
    shown = [forgotten]
    if "noise_estimate" in frame.columns:
        estimate = pd.to_numeric(frame["noise_estimate"], errors="coerce").to_numpy(float)
        lines_left += ax.plot(epochs, estimate, color=_COLORS["flagged"], linestyle="--",
                              label="noise estimate (each epoch's)")
        shown.append(estimate)
    if "noise_unsure" in frame.columns:
        unsure = pd.to_numeric(frame["noise_unsure"], errors="coerce").to_numpy(float)
        lines_left += ax.plot(epochs, unsure, color=_COLORS["flagged"], linestyle=":",
                              label="disagreeing, unsure (not counted)")
        shown.append(unsure)
    ax.set_xlabel("epoch")
    ax.set_ylabel("fraction of rows forgotten", color=_COLORS["flagged"])
    values = np.concatenate(shown)
    top = np.nanmax(values) if np.isfinite(values).any() else 0.0
    ax.set_ylim(0.0, max(0.05, min(1.0, top * 1.15)))
    twin = ax.twinx()
    line_loss = twin.plot(epochs, loss, color=_COLORS["kept"], marker=".", label="train loss")
    twin.set_ylabel("train loss", color=_COLORS["kept"])
    handles = [h for h in ax.get_legend_handles_labels()[0] if h not in lines_left]
    handles += lines_left + line_loss
    ax.legend(handles=handles, fontsize="small", frameon=False, loc="center right")
    ax.set_title("ANTIDOTE forgetting")
    return fig


def plot_label_confusion(
    label_issues: pd.DataFrame,
    ax: Axes | None = None,
) -> Figure:
    """Counts of (given label, predicted label) pairs among the flagged rows, as a heatmap.

    Every cell is annotated with its count. For symmetric noise the counts spread evenly;
    a structured noise (one class systematically mistaken for another) shows as a few
    bright cells.

    Parameters
    ----------
    label_issues : pandas.DataFrame
        One row per sample with the columns ``is_label_issue``, ``given_label`` and
        ``predicted_label``, e.g. :attr:`NoisyLabelFilter.label_issues_
        <skantidote.NoisyLabelFilter>`. All classes that appear in the table are shown.
    ax : matplotlib.axes.Axes, default=None
        Axes to draw on; a new figure is created when ``None``.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the heatmap (and its colour bar).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skantidote.plotting import plot_label_confusion
    >>> issues = pd.DataFrame({
    ...     "is_label_issue": [True, True, False, True],
    ...     "given_label": ["cat", "dog", "dog", "cat"],
    ...     "predicted_label": ["dog", "cat", "dog", "dog"],
    ... })
    >>> fig = plot_label_confusion(issues)
    >>> fig.axes[0].get_ylabel()
    'given label'
    """
    issues = _check_issues(label_issues, ["is_label_issue", "given_label", "predicted_label"])
    classes = pd.unique(
        pd.concat([issues["given_label"], issues["predicted_label"]], ignore_index=True)
    )
    try:
        classes = np.sort(classes)
    except TypeError:  # mixed types: keep the order of appearance
        pass
    position = {label: i for i, label in enumerate(classes)}
    flagged = issues[issues["is_label_issue"].to_numpy(dtype=bool)]
    counts = np.zeros((len(classes), len(classes)), dtype=int)
    for given, predicted in zip(flagged["given_label"], flagged["predicted_label"],
                                strict=True):
        counts[position[given], position[predicted]] += 1

    fig, ax = _new_axes(ax)
    image = ax.imshow(counts, cmap="Oranges", vmin=0, aspect="auto")
    names = [str(c) for c in classes]
    ax.set_xticks(range(len(classes)), names, rotation=90 if len(classes) > 10 else 0)
    ax.set_yticks(range(len(classes)), names)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("given label")
    peak = counts.max()
    if len(classes) <= 30:
        fontsize = "small" if len(classes) <= 12 else "xx-small"
        for i in range(len(classes)):
            for j in range(len(classes)):
                color = "white" if peak and counts[i, j] > 0.6 * peak else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", color=color,
                        fontsize=fontsize)
    fig.colorbar(image, ax=ax, label="flagged rows")
    title = f"flagged rows: given vs predicted ({len(flagged)})"
    ax.set_title(title if len(flagged) else "no flagged rows")
    return fig


def plot_summary(
    label_issues: pd.DataFrame,
    history: Sequence[Mapping[str, Any]] | pd.DataFrame | None = None,
    truth: Sequence[bool] | np.ndarray | pd.Series | None = None,
    title: str | None = None,
) -> Figure:
    """One figure with the label-quality histogram, the forgetting curve and the confusion.

    Parameters
    ----------
    label_issues : pandas.DataFrame
        :attr:`NoisyLabelFilter.label_issues_ <skantidote.NoisyLabelFilter>`.
    history : list of dict or pandas.DataFrame, default=None
        :attr:`AntidoteClassifier.history_ <skantidote.AntidoteClassifier>` of the model
        that scored the rows; the forgetting-curve panel is left out when ``None``.
    truth : array-like of bool of shape (n_samples,), default=None
        ``True`` for the truly mislabeled rows, when known.
    title : str, default=None
        Title of the whole figure.

    Returns
    -------
    fig : matplotlib.figure.Figure
        A figure with one panel per plot (two or three); the forgetting curve adds a
        twin axes.

    See Also
    --------
    plot_label_quality, plot_forgetting_curve, plot_label_confusion

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from skantidote.plotting import plot_summary
    >>> issues = pd.DataFrame({
    ...     "is_label_issue": [True, False, False, True],
    ...     "label_quality": [0.1, 0.9, 0.8, 0.2],
    ...     "given_label": [0, 1, 1, 0],
    ...     "predicted_label": [1, 1, 1, 1],
    ... })
    >>> history = [{"epoch": 1, "train_loss": 0.7, "forgotten": 0.0, "warmup": True},
    ...            {"epoch": 2, "train_loss": 0.5, "forgotten": 0.4, "warmup": False}]
    >>> fig = plot_summary(issues, history, title="demo")
    >>> len(fig.axes)  # histogram, forgetting curve + twin, confusion + colour bar
    5
    """
    plt = _pyplot()
    panels = 3 if history is not None else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4.5), layout="constrained")
    plot_label_quality(label_issues, truth=truth, ax=axes[0])
    if history is not None:
        plot_forgetting_curve(history, ax=axes[1])
    plot_label_confusion(label_issues, ax=axes[-1])
    if title:
        fig.suptitle(title)
    return fig
