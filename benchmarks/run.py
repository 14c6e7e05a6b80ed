"""Run a benchmark experiment, resumably, and render its report.

Run from the repository root::

    python -m benchmarks.run suite --tier quick        # suite_quick.csv -> suite_quick.md
    python -m benchmarks.run suite --tier full [...]   # suite.csv -> suite.md
    python -m benchmarks.run classifier_accuracy       # classifier_accuracy.csv -> .md
    python -m benchmarks.run filter_detection [...]    # filter_detection.csv -> .md
    python -m benchmarks.run small_tables              # small_tables.csv -> .md
    python -m benchmarks.run bundled_tables            # bundled_tables.csv -> .md
    python -m benchmarks.run regression                # regression.csv -> .md
    python -m benchmarks.run cifar10 --data-dir DIR    # cifar10.csv (needs a GPU)

Each cell's rows are appended to the experiment's CSV (``--csv``) as soon as it ends;
cells already there are skipped, so a run resumes where it stopped. The report is rendered
from the whole CSV when the run ends or is interrupted (``--no-report``: not).
``--dry-run`` lists the cells still to run. Everything runs single-threaded (one torch
thread, OMP/BLAS threads 1); ``--n-jobs`` runs cells in parallel processes.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from benchmarks.experiments import (  # noqa: E402
    bundled_tables,
    cifar10,
    classifier_accuracy,
    filter_detection,
    regression,
    small_tables,
    suite,
)
from benchmarks.paths import display  # noqa: E402
from benchmarks.render import write_report  # noqa: E402
from benchmarks.runner import ResultsCSV, run  # noqa: E402

EXPERIMENTS = {
    experiment.name: experiment
    for experiment in (suite.EXPERIMENT, classifier_accuracy.EXPERIMENT,
                       filter_detection.EXPERIMENT, small_tables.EXPERIMENT,
                       regression.EXPERIMENT, bundled_tables.EXPERIMENT,
                       cifar10.EXPERIMENT)
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run", description=__doc__.split("\n")[0]
    )
    experiments = parser.add_subparsers(dest="experiment", required=True)
    for experiment in EXPERIMENTS.values():
        # argparse formats help with %: a description's "40 %" must stay text.
        description = experiment.description.replace("%", "%%")
        options = experiments.add_parser(
            experiment.name, help=description, description=description)
        options.add_argument("--csv", type=Path, help="results CSV (default: the experiment's)")
        options.add_argument("--dry-run", action="store_true", help="list the cells to run")
        options.add_argument("--n-jobs", type=int, default=1,
                             help="cells run in parallel processes")
        options.add_argument("--no-report", action="store_true",
                             help="do not render the report after the run")
        experiment.add_arguments(options)
    args = parser.parse_args(argv)
    experiment = EXPERIMENTS[args.experiment]
    reason = experiment.unavailable(args)
    if reason:
        print(reason)
        return 0
    results = ResultsCSV(args.csv or experiment.results_csv(args), experiment.fields,
                         experiment.key)
    cells = experiment.cells(args)
    report = experiment.report(args)
    try:
        if not args.dry_run:
            experiment.prepare(args)
        run(experiment, cells, results, n_jobs=args.n_jobs, dry_run=args.dry_run)
    finally:
        if report and not args.dry_run and not args.no_report and results.path.exists():
            print(f"wrote {display(write_report(report, results.path))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
