"""Render a benchmark report from its results CSV, or check the committed reports.

Run from the repository root::

    python -m benchmarks.render suite                # suite.csv -> suite.md + PNG plots
    python -m benchmarks.render suite_quick          # suite_quick.csv -> suite_quick.md
    python -m benchmarks.render filter_detection     # filter_detection.csv -> .md
    python -m benchmarks.render classifier_accuracy  # classifier_accuracy.csv -> .md
    python -m benchmarks.render cost                 # cost_epochs.csv (+ ...) -> cost.md
    python -m benchmarks.render loss_speed           # loss_speed.csv (+ .json) -> .md
    python -m benchmarks.render small_tables         # small_tables.csv -> .md
    python -m benchmarks.render bundled_tables       # bundled_tables.csv -> .md
    python -m benchmarks.render regression           # regression.csv -> .md
    python -m benchmarks.render --check              # re-render every committed report
                                                     # in memory and compare

``--csv`` and ``--output`` render another CSV (e.g. a slice run with ``--csv``); every
report states the command that rendered it. ``--check`` exits 1 when a report whose CSV is
committed does not match its re-rendering (plots compared byte for byte).
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pandas as pd

from benchmarks.paths import RESULTS, display
from benchmarks.reports import (
    bundled_tables,
    classifier_accuracy,
    cost,
    filter_detection,
    loss_speed,
    regression,
    small_tables,
    suite,
)
from benchmarks.reports.plots import suite_plots


def _markdown_next_to(csv: Path) -> Path:
    return csv.with_suffix(".md")


@dataclass(frozen=True)
class Report:
    """How a report is rendered: ``text(csv, command)`` is its markdown, by default written
    to ``output_for(csv)``; ``plots(csv, output)`` writes its PNGs next to ``output`` and
    returns their paths."""

    csv: Path
    text: Callable[[Path, str], str]
    plots: Callable[[Path, Path], list[Path]] | None = None
    output_for: Callable[[Path], Path] = _markdown_next_to

    @property
    def output(self) -> Path:
        return self.output_for(self.csv)


def _suite_text(csv: Path, command: str, *, title: str, runs: str) -> str:
    return suite.markdown(pd.read_csv(csv), title, command, display(csv), runs)


def _suite_plots(csv: Path, output: Path) -> list[Path]:
    return suite_plots(pd.read_csv(csv), output.with_suffix(""))


REPORTS = {
    "suite": Report(
        RESULTS / "suite.csv",
        partial(_suite_text, title="Benchmark suite: accuracy under label noise",
                runs="`python -m benchmarks.run suite --tier full` and its slices listed in "
                "`benchmarks/README.md`"),
        _suite_plots,
    ),
    "suite_quick": Report(
        RESULTS / "suite_quick.csv",
        partial(_suite_text, title="Benchmark suite, quick tier (regression check)",
                runs="`python -m benchmarks.run suite --tier quick`"),
    ),
    "filter_detection": Report(
        RESULTS / "filter_detection.csv",
        lambda csv, command: filter_detection.markdown(pd.read_csv(csv), command, csv.name),
    ),
    "classifier_accuracy": Report(
        RESULTS / "classifier_accuracy.csv",
        lambda csv, command: classifier_accuracy.markdown(pd.read_csv(csv), command, csv.name),
    ),
    "cost": Report(RESULTS / "cost_epochs.csv", cost.read_and_render,
                   output_for=lambda csv: cost.result_files(csv)[2]),
    "loss_speed": Report(RESULTS / "loss_speed.csv", loss_speed.read_and_render),
    "small_tables": Report(
        RESULTS / "small_tables.csv",
        lambda csv, command: small_tables.markdown(pd.read_csv(csv), command, csv.name),
    ),
    "bundled_tables": Report(
        RESULTS / "bundled_tables.csv",
        lambda csv, command: bundled_tables.markdown(pd.read_csv(csv), command, csv.name),
    ),
    "regression": Report(
        RESULTS / "regression.csv",
        lambda csv, command: regression.markdown(pd.read_csv(csv), command, csv.name),
    ),
}


def command(name: str, csv: Path, output: Path) -> str:
    """The command line that renders report ``name`` from ``csv`` into ``output``."""
    report = REPORTS[name]
    words = ["python -m benchmarks.render", name]
    if csv.resolve() != report.csv.resolve():
        words.append(f"--csv {display(csv)}")
    if output.resolve() != default_output(name, csv).resolve():
        words.append(f"--output {display(output)}")
    return " ".join(words)


def default_output(name: str, csv: Path) -> Path:
    """Where report ``name`` of ``csv`` goes unless told: next to it (``suite.csv`` ->
    ``suite.md``, ``cost_epochs.csv`` -> ``cost.md``)."""
    return REPORTS[name].output_for(csv)


def markdown(name: str, csv: Path, output: Path, plots: list[Path]) -> str:
    """The report's markdown, with links to its plots."""
    text = REPORTS[name].text(csv, command(name, csv, output))
    if plots:
        text += "\n" + "\n".join(f"![{p.stem}]({p.name})" for p in plots) + "\n"
    return text


def write_report(
    name: str, csv: Path | None = None, output: Path | None = None, *, with_plots: bool = True
) -> Path:
    """Render report ``name`` from ``csv`` (default: its own) into ``output``; its path."""
    report = REPORTS[name]
    csv = csv or report.csv
    output = output or default_output(name, csv)
    plots = report.plots(csv, output) if report.plots and with_plots else []
    output.write_text(markdown(name, csv, output, plots), encoding="utf-8")
    return output


def check() -> bool:
    """Re-render every report whose CSV is committed; print how each compares."""
    matched = True
    for name, report in REPORTS.items():
        if not report.csv.exists():
            print(f"{name}: skipped, no {display(report.csv)}")
            continue
        with tempfile.TemporaryDirectory() as tmp:
            plots = report.plots(report.csv, Path(tmp) / report.output.name) if report.plots else []
            text = markdown(name, report.csv, report.output, plots)
            same_plots = all(
                (report.output.parent / p.name).read_bytes() == p.read_bytes() for p in plots
            )
        committed = report.output.read_text(encoding="utf-8")
        if text == committed and same_plots:
            print(f"{name}: {display(report.output)} matches its re-rendering")
            continue
        matched = False
        print(f"{name}: {display(report.output)} DIFFERS from its re-rendering"
              + ("" if same_plots else " (plots too)"))
        sys.stdout.writelines(difflib.unified_diff(
            committed.splitlines(keepends=True), text.splitlines(keepends=True),
            "committed", "re-rendered"))
    return matched


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.render", description=__doc__.split("\n")[0]
    )
    parser.add_argument("report", nargs="?", choices=list(REPORTS),
                        help="the report to render from its CSV (or --check for all)")
    parser.add_argument("--csv", type=Path, help="results to render (default: the report's)")
    parser.add_argument("--output", type=Path,
                        help="markdown to write (default: the report's, or the CSV as .md)")
    parser.add_argument("--no-plots", action="store_true", help="render the markdown only")
    parser.add_argument("--check", action="store_true",
                        help="compare every committed report with its re-rendering")
    args = parser.parse_args(argv)
    if args.check:
        return 0 if check() else 1
    if args.report is None:
        parser.error("name a report, or --check")
    output = write_report(args.report, args.csv, args.output, with_plots=not args.no_plots)
    print(f"wrote {display(output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
