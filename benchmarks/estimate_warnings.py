"""What a benchmark records of the class-label noise estimate's own view of its reliability.

:class:`~skantidote.callbacks.NoiseRateEstimate` warns where its estimate cannot be
trusted, and keeps the share of training rows it is blind to (``unsure_disagreement_``).
The experiments that fit ``forget_rate="auto"`` record both, so that their reports can
set the estimate's misses beside what the fit said about them.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

from sklearn.pipeline import Pipeline

#: The estimate's warnings (``NoiseRateEstimate.warn_if_unreliable``), by a phrase of each.
ESTIMATE_WARNINGS = {
    "reweighted epochs only": "unsettled",
    "noise estimate fell": "still learning",
    "without being confident": "unsure",
    "predicted as another class for more than half": "class swamped",
}


def raised_estimate_warnings(caught: Iterable[object]) -> str:
    """The short names of the estimate's warnings among ``caught`` (warning records),
    joined by ``"; "`` in the order of ``ESTIMATE_WARNINGS``."""
    messages = [str(record.message) for record in caught]
    return "; ".join(
        name for phrase, name in ESTIMATE_WARNINGS.items()
        if any(phrase in message for message in messages)
    )


def unsure_disagreement(model: object) -> float:
    """The last epoch's ``unsure_disagreement_`` of a fitted classifier's noise estimate
    (the classifier alone or ending a pipeline); NaN where it has none."""
    final = model[-1] if isinstance(model, Pipeline) else model
    net = getattr(final, "net_", None)
    if net is None:
        return math.nan
    estimate = dict(net.callbacks_).get("noise_rate")
    return getattr(estimate, "unsure_disagreement_", math.nan)


def warning_counts(raised: Sequence[str]) -> str:
    """How many of a cell's fits raised each warning, from their ``raised_estimate_warnings``
    ("unsure 3/3, class swamped 1/3"); missing values (NaN) count as none."""
    counts = Counter(
        name for names in raised if isinstance(names, str)
        for name in names.split("; ") if name
    )
    order = list(ESTIMATE_WARNINGS.values())
    return ", ".join(
        f"{name} {counts[name]}/{len(raised)}" for name in sorted(counts, key=order.index)
    )
