"""The reports' plots (PNG, written with matplotlib's Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.methods import ANTIDOTE_METHODS, METHODS
from benchmarks.reports.suite import summarise


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
    return out
