"""The reports' plots (PNG, written with matplotlib's Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.methods import ANTIDOTE_METHODS, METHODS
from benchmarks.reports.suite import summarise

#: The methods whose per-class noise estimates the suite records, and their plot labels.
ESTIMATORS = {
    "antidote_auto": "ANTIDOTE, in the run", "cleanlab": "cleanlab, 5-fold confident joint",
}


def suite_plots(df: pd.DataFrame, prefix: Path) -> list[Path]:
    """Accuracy per cell and method (bars, std as error bars) and ms per epoch per data set
    and method: ``<prefix>_accuracy.png`` and ``<prefix>_epoch_time.png``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = summarise(df)
    s["std"] = s["std"].fillna(0.0)
    s["cell"] = (s["dataset"] + " " + s["noise"] + " " + s["rate"].map(lambda r: f"{float(r):g}")
                 + "\n" + s["epochs"].astype(str) + " epochs")
    cells = list(dict.fromkeys(s["cell"]))
    methods = [m for m in METHODS if m in set(s["method"])]
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(max(8, 1.6 * len(cells)), 4.5))
    x = np.arange(len(cells))
    for i, m in enumerate(methods):
        sub = s[s["method"] == m].set_index("cell").reindex(cells)
        ax.bar(x + (i - len(methods) / 2 + 0.5) * width, sub["mean"], width,
               yerr=sub["std"], label=m, capsize=1.5,
               hatch="//" if m in ANTIDOTE_METHODS else None)
    ax.set_xticks(x, cells, rotation=20)
    lo = np.nanmin(s["mean"]) if len(s) else 0
    ax.set_ylim(max(0, lo - 5), 100)
    ax.set_ylabel("clean test accuracy (%)")
    ax.legend(ncol=1, fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title("Accuracy under label noise (mean ± std over seeds)")
    fig.tight_layout()
    out = [prefix.with_name(prefix.name + "_accuracy.png")]
    fig.savefig(out[0], dpi=120)
    plt.close(fig)

    t = s.groupby(["dataset", "method"])["epoch_s"].mean().unstack()
    t = t[[m for m in methods if m in t.columns]]
    ax = (1000 * t).plot.bar(figsize=(8, 4), rot=0)
    ax.set_ylabel("ms per epoch (1 thread)")
    ax.set_title("Per-epoch wall time")
    ax.legend(ncol=4, fontsize=7)
    ax.figure.tight_layout()
    out.append(prefix.with_name(prefix.name + "_epoch_time.png"))
    ax.figure.savefig(out[1], dpi=120)
    plt.close(ax.figure)
    class_noise = class_noise_plot(df, prefix.with_name(prefix.name + "_class_noise.png"))
    return out if class_noise is None else [*out, class_noise]


def class_noise_plot(df: pd.DataFrame, path: Path) -> Path | None:
    """Estimated against true per-class noise rates (every class of every seed), one panel
    per noise cell that has them, ANTIDOTE's in-run estimate against cleanlab's confident
    joint: ``path``; ``None`` when no row has per-class estimates."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "class_noise_rates" not in df.columns:
        return None
    rows = df[df["class_noise_rates"].notna() & df["method"].isin(ESTIMATORS)]
    if rows.empty:
        return None
    cells = list(dict.fromkeys(
        zip(rows["dataset"], rows["noise"], rows["rate"], rows["epochs"], strict=True)
    ))
    columns = min(4, len(cells))
    rows_of_panels = -(-len(cells) // columns)
    fig, axes = plt.subplots(
        rows_of_panels, columns, figsize=(3.2 * columns, 3.2 * rows_of_panels),
        squeeze=False, sharex=True, sharey=True,
    )
    panels = axes.ravel()
    for ax in panels[len(cells):]:
        ax.set_visible(False)
    for ax, (dataset, noise, rate, epochs) in zip(panels, cells, strict=False):
        cell = rows[(rows["dataset"] == dataset) & (rows["noise"] == noise)
                    & (rows["rate"] == rate) & (rows["epochs"] == epochs)]
        for method, label in ESTIMATORS.items():
            mine = cell[cell["method"] == method]
            if mine.empty:
                continue
            estimated = np.concatenate([np.array(v.split(), float)
                                        for v in mine["class_noise_rates"]])
            true = np.concatenate([np.array(v.split(), float)
                                   for v in mine["true_class_noise_rates"]])
            mae = np.nanmean(np.abs(estimated - true))
            ax.scatter(true, estimated, s=9, alpha=0.6, label=f"{label} (MAE {mae:.3f})")
        ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(f"{dataset} {noise} {float(rate):g}, {epochs} epochs", fontsize=9)
        ax.legend(fontsize=6, loc="upper left")
    fig.supxlabel("true rate of wrong labels in the class")
    fig.supylabel("estimated rate")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
