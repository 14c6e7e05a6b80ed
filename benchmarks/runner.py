"""The one runner of the benchmark experiments: a grid of cells, a results CSV, resume.

An :class:`Experiment` lists its cells (dicts of settings) and runs one cell into CSV rows.
:func:`run` appends the rows of each cell to the results CSV as soon as the cell ends and
skips the cells whose key (:attr:`Experiment.key`, a subset of the CSV's columns) is
already in the CSV, so that a run can be interrupted, resumed, or split across sessions
and machines.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from joblib import Parallel, delayed

from benchmarks.paths import display

Cell = dict
Row = dict


@dataclass(frozen=True)
class Experiment:
    """A grid of cells run into rows of a results CSV.

    ``fields`` are the CSV's columns in order; ``key`` the columns that identify a cell
    (every cell has them); ``add_arguments`` adds the experiment's options to its command
    line; ``cells`` lists the cells those options select; ``run_cell`` runs one (in a
    worker process when ``--n-jobs`` > 1, so it must be a module-level function);
    ``summary`` describes the rows of a cell in one line of progress; ``results_csv`` is the
    default CSV for the options; ``report`` the name of the report rendered from it after
    a run (``None``: none); ``unavailable`` says why the experiment cannot run here, or
    ``None``; ``prepare`` runs once before the first cell (untimed warm-ups).
    """

    name: str
    description: str
    fields: tuple[str, ...]
    key: tuple[str, ...]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    cells: Callable[[argparse.Namespace], list[Cell]]
    run_cell: Callable[[Cell], list[Row]]
    summary: Callable[[list[Row]], str]
    results_csv: Callable[[argparse.Namespace], Path]
    report: Callable[[argparse.Namespace], str | None]
    unavailable: Callable[[argparse.Namespace], str | None] = lambda args: None
    prepare: Callable[[argparse.Namespace], None] = lambda args: None


def canonical(value: object) -> str:
    """A key value as text that compares equal however it was written (0.2, "0.20", 100.0)."""
    text = str(value)
    try:
        return f"{float(text):g}"
    except ValueError:
        return text


class ResultsCSV:
    """A results CSV: the keys of the cells it holds, and appending the rows of one more."""

    def __init__(self, path: Path, fields: Sequence[str], key: Sequence[str]) -> None:
        self.path = path
        self.fields = tuple(fields)
        self.key = tuple(key)

    def key_of(self, cell: Mapping) -> tuple[str, ...]:
        return tuple(canonical(cell[column]) for column in self.key)

    def done(self) -> set[tuple[str, ...]]:
        """Keys of the cells with at least one row in the CSV."""
        if not self.path.exists():
            return set()
        with self.path.open(newline="") as fh:
            return {self.key_of(row) for row in csv.DictReader(fh)}

    def append(self, rows: Iterable[Row]) -> None:
        """Append rows (missing columns and NaN left empty), with a header if the file is new."""
        new = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=self.fields)
            if new:
                writer.writeheader()
            for row in rows:
                writer.writerow({k: _cell_text(v) for k, v in row.items()})


def _cell_text(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def pending(cells: Sequence[Cell], results: ResultsCSV) -> list[Cell]:
    """The cells whose key is not in the results CSV yet."""
    done = results.done()
    return [cell for cell in cells if results.key_of(cell) not in done]


def _finished(
    experiment: Experiment, todo: Sequence[Cell], n_jobs: int
) -> Iterator[tuple[Cell, list[Row]]]:
    if n_jobs == 1:
        for cell in todo:
            yield cell, experiment.run_cell(cell)
        return
    jobs = (delayed(_run_one)(experiment.run_cell, cell) for cell in todo)
    yield from Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs)


def _run_one(run_cell: Callable[[Cell], list[Row]], cell: Cell) -> tuple[Cell, list[Row]]:
    return cell, run_cell(cell)


def run(
    experiment: Experiment, cells: Sequence[Cell], results: ResultsCSV, *, n_jobs: int = 1,
    dry_run: bool = False,
) -> int:
    """Run the cells not yet in ``results``, appending each one's rows when it ends.

    Returns the number of cells run (``dry_run``: listed instead).
    """
    todo = pending(cells, results)
    print(f"{experiment.name}: {len(cells)} cells, {len(cells) - len(todo)} already in "
          f"{display(results.path)}, {len(todo)} to run", flush=True)
    if dry_run:
        for cell in todo:
            print(*results.key_of(cell))
        return len(todo)
    start = time.perf_counter()
    for i, (cell, rows) in enumerate(_finished(experiment, todo, n_jobs), 1):
        results.append(rows)
        print(f"[{i}/{len(todo)} {time.perf_counter() - start:7.1f}s] "
              f"{' '.join(results.key_of(cell))}: {experiment.summary(rows)}", flush=True)
    return len(todo)
