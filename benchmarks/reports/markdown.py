"""Markdown of every report: tables and the ``mean ± std`` of a result over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str = "") -> list[str]:
    """A markdown table, as lines; ``align`` is the alignment marker of every column
    (``""`` for none, ``":"`` right-aligned)."""
    lines = ["| " + " | ".join(header) + " |", "|" + f"---{align}|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def mean_std(mean: float, std: float, fmt: str) -> str:
    """``mean ± std``, both in the format ``fmt`` (e.g. ``".2f"``)."""
    return f"{mean:{fmt}} ± {std:{fmt}}"


def over_seeds(values: pd.Series, fmt: str = ".3f") -> str:
    """A result over seeds: ``mean ± std``, the value alone for one seed, ``–`` for none
    (missing values left out)."""
    values = values.dropna()
    if values.empty:
        return "–"
    if len(values) == 1:
        return f"{values.mean():{fmt}}"
    return mean_std(values.mean(), values.std(), fmt)
