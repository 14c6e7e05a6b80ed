"""The regression report: ``regression.csv`` -> ``regression.md``."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from benchmarks.experiments.regression import (
    CLEAN,
    CORRUPTIONS,
    DATASETS,
    DETECTORS,
    MAX_TRAIN,
    METHODS,
)
from benchmarks.reports.markdown import over_seeds, table

CELL = ["dataset", "corruption", "rate"]
#: What is judged against the targets: label -> (method, the methods it is ranked among;
#: ``None``: all). The last is no target of the issue: the objective against the other
#: methods on the same network.
JUDGED = {
    "`antidote`": ("antidote", None),
    "`antidote (true rate)`": ("antidote_true_rate", None),
    "`antidote` among the same network's methods only (`mse_net`, `huber_net`, `cleanlab`;"
    " no target of the issue)": ("antidote", ("mse_net", "huber_net", "antidote", "cleanlab")),
}
#: Targets on corrupted targets: best or within one std of the best in this fraction of
#: the cells, and never more than this fraction of RMSE behind the best.
WITHIN_STD_SHARE = 0.8
MAX_GAP = 0.05
#: Target on clean targets: at most this fraction of RMSE above ``mse_net``.
CLEAN_MARGIN = 0.02
#: How close ``antidote``'s estimate of the corrupted fraction should come to the truth.
ESTIMATE_MARGIN = 0.05
#: Indicative target of the per-epoch time of ``antidote`` over ``mse_net``.
COST_RATIO = 1.15
SHORT = {
    "mse_net": "mse_net", "huber_net": "huber_net", "antidote": "antidote",
    "antidote_true_rate": "antidote (true rate)", "cleanlab": "cleanlab",
    "huber_regressor": "HuberRegressor", "ransac": "RANSAC", "hgb_absolute": "HGB (abs.)",
}


def ordered(results: pd.DataFrame) -> pd.DataFrame:
    """The rows in the experiment's order of data sets, rates, corruptions and methods."""
    order = {
        "dataset": list(DATASETS), "corruption": [CLEAN, *CORRUPTIONS], "method": list(METHODS),
    }
    keys = {
        column: pd.Categorical(results[column], categories=categories, ordered=True)
        for column, categories in order.items()
    }
    frame = results.assign(**{f"_{column}": key for column, key in keys.items()})
    return frame.sort_values(
        ["_dataset", "rate", "_corruption", "seed", "_method"], kind="stable"
    ).drop(columns=[f"_{column}" for column in order])


def seeded(values: pd.Series, fmt: str, n_seeds: int) -> str:
    """``over_seeds``, saying how many seeds when fewer than the cell's ``n_seeds``."""
    text = over_seeds(values, fmt)
    count = values.notna().sum()
    return text if count in (0, n_seeds) else f"{text} ({count} seed{'s' if count > 1 else ''})"


def four_digits(value: float) -> str:
    """The fixed-point format that shows ``value`` with 4 significant digits (``".2f"`` for
    54.61), for a mean and its std alike."""
    magnitude = int(np.floor(np.log10(abs(value)))) if value else 0
    return f".{max(0, 3 - magnitude)}f"


def ranked(cell: pd.DataFrame) -> pd.DataFrame:
    """Mean and std of each method's RMSE in a cell, over seeds; ``ranked`` is False for a
    method run on fewer seeds than the cell's others (not comparable, not ranked)."""
    stats = cell.groupby("method")["rmse"].agg(["mean", "std", "count"])
    stats["ranked"] = stats["count"] == stats["count"].max()
    return stats


def judge(
    stats: pd.DataFrame, method: str, among: tuple[str, ...] | None = None
) -> tuple[bool, float]:
    """Whether ``method`` is best or within one std (of the best, over seeds) of the best
    ranked method (of those ``among``), and its gap to the best in % of the best's RMSE."""
    competitors = stats[stats["ranked"]]
    if among is not None:
        competitors = competitors[competitors.index.isin(among)]
    best = competitors["mean"].idxmin()
    best_mean, best_std = competitors.loc[best, "mean"], competitors.loc[best, "std"]
    mean = stats.loc[method, "mean"]
    return bool(mean <= best_mean + np.nan_to_num(best_std)), 100 * (mean / best_mean - 1)


def rmse_table(results: pd.DataFrame) -> tuple[list[str], dict[tuple, dict[str, tuple]]]:
    """The RMSE table of every cell, the best in bold, and each judged row's verdict."""
    methods = [m for m in METHODS if m in set(results["method"])]
    clean_net = clean_network(results)
    rows, verdicts = [], {}
    for (dataset, corruption, rate), cell in results.groupby(CELL, sort=False):
        stats = ranked(cell)
        best = stats[stats["ranked"]]["mean"].idxmin()
        texts = []
        for method in methods:
            if method not in stats.index:
                texts.append("–")
                continue
            text = seeded(cell.loc[cell["method"] == method, "rmse"],
                          four_digits(stats.loc[method, "mean"]), int(stats["count"].max()))
            if not stats.loc[method, "ranked"]:
                text += ", not ranked"
            texts.append(f"**{text}**" if method == best else text)
        verdicts[(dataset, corruption, rate)] = {
            label: judge(stats, method, among)
            for label, (method, among) in JUDGED.items() if method in stats.index
        }
        outcome = verdicts[(dataset, corruption, rate)].get("`antidote`")
        verdict = "–" if outcome is None else (
            f"{'yes' if outcome[0] else '**no**'}, {outcome[1]:+.1f} %")
        against_clean = (
            f"{100 * (stats.loc['antidote', 'mean'] / clean_net[dataset] - 1):+.1f} %"
            if "antidote" in stats.index and dataset in clean_net else "–")
        rows.append([dataset, corruption, f"{rate:.0%}", *texts, verdict, against_clean])
    header = ["data", "corruption", "rate", *(SHORT[m] for m in methods),
              "antidote: best or within 1 std, gap", "antidote vs mse_net trained on clean targets"]
    return table(header, rows), verdicts


def clean_network(results: pd.DataFrame) -> pd.Series:
    """Mean RMSE of ``mse_net`` trained on the clean targets, per data set: what the
    network reaches without corruption."""
    clean = results[(results["corruption"] == CLEAN) & (results["method"] == "mse_net")]
    return clean.groupby("dataset")["rmse"].mean()


def targets(verdicts: dict[tuple, dict[str, tuple]], results: pd.DataFrame) -> list[str]:
    """The issue's targets, judged for each ANTIDOTE row, with where they are missed."""
    corrupted = {cell: v for cell, v in verdicts.items() if cell[1] != CLEAN}
    means = results.groupby([*CELL, "method"])["rmse"].mean()
    lines = []
    for label in JUDGED:
        judged = {cell: v[label] for cell, v in corrupted.items() if label in v}
        if not judged:
            continue
        close = [cell for cell, (within, _) in judged.items() if within]
        worst_cell, (_, worst_gap) = max(judged.items(), key=lambda item: item[1][1])
        far = [cell for cell, (_, gap) in judged.items() if gap > 100 * MAX_GAP]
        share = len(close) / len(judged)
        lines += [
            f"* {label}, corrupted targets: best or within one std of the best in "
            f"{len(close)} of {len(judged)} cells ({share:.0%}; target "
            f"{WITHIN_STD_SHARE:.0%}: {'met' if share >= WITHIN_STD_SHARE else '**missed**'});"
            f" more than {100 * MAX_GAP:.0f} % behind the best in {len(far)} cells (target "
            f"none: {'met' if not far else '**missed**'}), at worst {worst_gap:+.1f} % "
            f"({' '.join(map(str, worst_cell[:2]))} {worst_cell[2]:.0%}). By rate: "
            + ", ".join(
                f"{rate:.0%} {sum(c in close for c in cells)}/{len(cells)} close"
                for rate, cells in _by(judged, 2).items())
            + "; by data set: "
            + ", ".join(
                f"{dataset} {sum(c in close for c in cells)}/{len(cells)}"
                for dataset, cells in _by(judged, 0).items())
            + "."
        ]
    clean = [cell for cell in verdicts
             if cell[1] == CLEAN and {"antidote", "mse_net"} <= set(means[cell].index)]
    gaps = {cell: 100 * (means[(*cell, "antidote")] / means[(*cell, "mse_net")] - 1)
            for cell in clean}
    if gaps:
        met = all(gap <= 100 * CLEAN_MARGIN for gap in gaps.values())
        lines.append(
            f"* `antidote`, clean targets, RMSE against `mse_net` (target at most "
            f"{100 * CLEAN_MARGIN:+.0f} %: {'met' if met else '**missed**'}): "
            + ", ".join(f"{cell[0]} {gap:+.1f} %" for cell, gap in gaps.items()) + "."
        )
    clean_net = clean_network(results)
    ceilings = {
        cell[0]: 100 * (clean_net[cell[0]] / _best_mean(results, cell) - 1)
        for cell in verdicts if cell[1] == CLEAN and cell[0] in clean_net
    }
    if ceilings:
        lines.append(
            "* The network's own limit: `mse_net` on clean targets against the best method "
            "on clean targets: "
            + ", ".join(f"{dataset} {gap:+.1f} %" for dataset, gap in ceilings.items())
            + ". Where the network trails on clean targets, a method built on it can "
            "hardly be the best on corrupted ones; the last column of the table compares "
            "`antidote` with that limit."
        )
    bests = Counter(
        results[results["corruption"] != CLEAN].groupby(CELL)
        .apply(lambda cell: _best(ranked(cell)), include_groups=False)
    )
    lines.append(
        "* Best method over the corrupted cells: "
        + ", ".join(f"`{method}` {n}" for method, n in bests.most_common()) + "."
    )
    return lines


def _best_mean(results: pd.DataFrame, cell: tuple) -> float:
    rows = results[(results[CELL] == pd.Series(cell, index=CELL)).all(axis=1)]
    stats = ranked(rows)
    return stats[stats["ranked"]]["mean"].min()


def _best(stats: pd.DataFrame) -> str:
    return stats[stats["ranked"]]["mean"].idxmin()


def _by(cells: dict[tuple, object], position: int) -> dict[object, list[tuple]]:
    groups: dict[object, list[tuple]] = {}
    for cell in cells:
        groups.setdefault(cell[position], []).append(cell)
    return groups


def detection_table(results: pd.DataFrame) -> list[str]:
    """AUROC of each detector's suspicion scores for the corrupted training rows."""
    corrupted = results[(results["corruption"] != CLEAN) & results["method"].isin(DETECTORS)]
    detectors = [m for m in DETECTORS if m in set(corrupted["method"])]
    rows = []
    for (dataset, corruption, rate), cell in corrupted.groupby(CELL, sort=False):
        n_seeds = cell["seed"].nunique()
        rows.append([dataset, corruption, f"{rate:.0%}", *(
            seeded(cell.loc[cell["method"] == method, "auroc"], ".3f", n_seeds)
            for method in detectors)])
    return table(["data", "corruption", "rate", *(SHORT[m] for m in detectors)], rows)


def estimate_lines(results: pd.DataFrame) -> list[str]:
    """``antidote``'s estimate of the corrupted fraction (``noise_rate_``) against the truth."""
    rows = results[(results["method"] == "antidote") & results["estimated_rate"].notna()]
    if rows.empty:
        return []
    lines, close, judged = [], 0, 0
    for (dataset, corruption, rate), cell in rows.groupby(CELL, sort=False):
        n_seeds = cell["seed"].nunique()
        error = (cell["estimated_rate"] - cell["corrupted_fraction"]).abs().mean()
        if corruption != "swap":
            judged += 1
            close += error <= ESTIMATE_MARGIN
        lines.append([
            dataset, corruption, f"{rate:.0%}", f"{cell['corrupted_fraction'].mean():.3f}",
            seeded(cell["estimated_rate"], ".3f", n_seeds), f"{error:.3f}",
        ])
    return [
        "Estimate: `antidote`'s `noise_rate_` (the corrupted fraction it estimated from its "
        "residuals and forgot at) against the true fraction of corrupted training rows, "
        f"mean ± std over seeds. Within {ESTIMATE_MARGIN} of the truth (mean absolute "
        f"error over seeds) in {close} of {judged} cells without swaps; swapped targets "
        "are counted only where the swap moved them beyond about three residual standard "
        "deviations, so the estimate is meant to fall short there.",
        "",
        *table(["data", "corruption", "rate", "true fraction", "estimate", "abs. error"],
               lines),
    ]


def cost_lines(results: pd.DataFrame) -> list[str]:
    """Per-epoch time of ``antidote`` over ``mse_net``, paired fit by fit."""
    epochs = results[results["method"].isin(["antidote", "mse_net"])].pivot_table(
        index=[*CELL, "seed"], columns="method", values="epoch_seconds").dropna()
    if epochs.empty:
        return []
    epochs["ratio"] = epochs["antidote"] / epochs["mse_net"]
    per_dataset = epochs.groupby(level="dataset").median()
    per_dataset = per_dataset.reindex([d for d in DATASETS if d in per_dataset.index])
    overall = epochs["ratio"].median()
    return [
        f"Median over {len(epochs)} paired fits of the ratio of `antidote`'s median epoch "
        f"time to `mse_net`'s (same data, seed and network): **{overall:.2f}** (target at "
        f"most {COST_RATIO:.2f}: {'met' if overall <= COST_RATIO else '**missed**'}). Only "
        "indicative: the fits ran one after the other on a 2-core machine shared with other "
        "jobs, whose load changed during the run.",
        "",
        *table(
            ["data", "mse_net median epoch (ms)", "antidote median epoch (ms)",
             "median ratio"],
            [[dataset, f"{1000 * row['mse_net']:.1f}", f"{1000 * row['antidote']:.1f}",
              f"{row['ratio']:.2f}"] for dataset, row in per_dataset.iterrows()],
        ),
    ]


def time_table(results: pd.DataFrame) -> list[str]:
    """Mean fit time of each method per data set."""
    seconds = results.groupby(["dataset", "method"], sort=False)["seconds"].mean().unstack()
    methods = [m for m in METHODS if m in seconds.columns]
    return table(
        ["data", *(SHORT[m] for m in methods)],
        [[dataset, *(_seconds(seconds.loc[dataset, m]) for m in methods)]
         for dataset in seconds.index],
    )


def _seconds(value: float) -> str:
    return "–" if np.isnan(value) else f"{value:.1f}"


def cleanlab_cells(results: pd.DataFrame) -> str:
    """Where cleanlab ran: its cells and seeds, per data set."""
    ran = results[results["method"] == "cleanlab"]
    parts = []
    for dataset, rows in ran.groupby("dataset", sort=False):
        cells = rows.drop_duplicates(CELL)
        seeds = ", ".join(map(str, sorted(rows["seed"].unique())))
        where = "; ".join(
            f"{corruption} {rate:.0%}"
            for corruption, rate in zip(cells["corruption"], cells["rate"], strict=True))
        parts.append(f"{dataset} ({where}; seeds {seeds})")
    return "; ".join(parts) or "no cell"


def section(results: pd.DataFrame) -> list[str]:
    """Tables and targets of the rows of one training length."""
    lines, verdicts = rmse_table(results)
    return [
        *lines,
        "",
        f"`cleanlab` ran in {cleanlab_cells(results)}; not elsewhere, for lack of time "
        "(it fits the network 66-81 times per cell).",
        "",
        "Targets (over the cells where the judged row ran):",
        "",
        *targets(verdicts, results),
        "",
        "Detection: AUROC of `-sample_weights_` (ANTIDOTE) and of cleanlab's "
        "`-label_quality` for the truly corrupted training rows (mean ± std over seeds):",
        "",
        *detection_table(results),
        "",
        *estimate_lines(results),
        "",
        "Cost:",
        "",
        *cost_lines(results),
        "",
        "Mean fit time in seconds (one CPU thread; `cleanlab` includes all its fits):",
        "",
        *time_table(results),
    ]


def markdown(results: pd.DataFrame, command: str, source: str) -> str:
    """The report (``command`` renders it from the CSV ``source``)."""
    seeds = sorted(results["seed"].unique())
    caps = ", ".join(f"{n:,} rows for {dataset}" for dataset, n in MAX_TRAIN.items())
    lines = [
        "# Regression: AntidoteRegressor on corrupted targets",
        "",
        f"Generated by `{command}` from `{source}`; do not edit by hand. The cells were run "
        "by `python -m benchmarks.run regression` and its slices listed in "
        "`benchmarks/README.md`.",
        "",
        "Every method trains on the same 70 % training split (a random subsample of "
        f"{caps}, drawn per seed before the corruption, to keep the time down) with a "
        "fraction `rate` of its targets corrupted by `skantidote.noise` (`outlier`: "
        "`outlier_targets`, uniform draws within 10 std of the mean; `shift`: "
        "`shifted_targets`, +/- 3 std; `swap`: `swapped_targets`, targets exchanged "
        "between rows, tied values not counted as corrupted) and is scored by its RMSE on "
        "the clean targets of the 30 % test split, in the targets' units; mean ± std over "
        f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''} "
        f"({', '.join(map(str, seeds))}; each seeds the split, the subsample, the "
        "corruption and the models). The networks are the same `AntidoteRegressor` MLP "
        "(256, 256) and training; `mse_net` is `forget_rate=0.0` (squared error), "
        "`huber_net` the same with `loss=\"huber\"`, `antidote` every default "
        "(`forget_rate=\"auto\"`: no rate given, the corrupted fraction estimated from "
        "the residuals in the same run), `antidote (true rate)` `forget_rate` = the "
        "true rate (at rate 0 it is `mse_net`), `cleanlab` cleanlab's regression "
        "`CleanLearning(mse_net, cv_n_folds=5, seed=seed)` with its defaults (a search of "
        "the fraction to drop among 1-20 % by cross-validation, bootstrapped uncertainty, "
        "a refit: 66-81 network fits per cell). `HuberRegressor(max_iter=1000)`, "
        "`RANSACRegressor()` (linear) and `HistGradientBoostingRegressor("
        "loss=\"absolute_error\")` are scikit-learn's robust regressors.",
        "",
        "The best mean of a cell (among the methods run on all its seeds) is in bold. "
        "Targets: `antidote` best or within one std (of the best method, over seeds) of the "
        f"best in at least {WITHIN_STD_SHARE:.0%} of the corrupted cells and never more "
        f"than {100 * MAX_GAP:.0f} % behind it; on clean targets within "
        f"{100 * CLEAN_MARGIN:.0f} % of `mse_net`; per-epoch time at most "
        f"{COST_RATIO:.2f} times `mse_net`'s.",
    ]
    for epochs, rows in ordered(results).groupby("max_epochs"):
        lines += ["", f"## Networks trained for {epochs} epochs", "", *section(rows)]
    lines.append("")
    return "\n".join(lines)
