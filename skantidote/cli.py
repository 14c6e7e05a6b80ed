"""The ``skantidote`` command line: a demonstration and the cleaning of a data file.

``skantidote demo``
    Trains plain cross-entropy and ANTIDOTE side by side on scikit-learn's digits with
    40 % of the training labels corrupted, reports both test accuracies and how many of the
    corrupted labels :class:`~skantidote.NoisyLabelFilter` finds, and saves a plot.

``skantidote clean DATA.csv --target COLUMN``
    Finds the probably mislabeled rows of a CSV or Parquet table with
    :class:`~skantidote.NoisyLabelFilter` (numeric columns standardised, other columns
    one-hot encoded, missing values imputed) and writes the cleaned table, a report of
    every row's label quality and a plot. A numeric target of many distinct values
    (:func:`~skantidote.table_features.detect_task`, or ``--task regression``) is cleaned
    with an :class:`~skantidote.AntidoteRegressor` instead: the rows it forgets are
    flagged, and the report gives every row's weight, prediction and residual.

Exit status: 0 on success, 2 for a usage error or bad input (one line on stderr), 1 for an
unexpected failure (one line on stderr; set ``SKANTIDOTE_DEBUG=1`` for the traceback), 130
when interrupted.

The same commands run as ``python -m skantidote``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Light: file checks only; pandas is imported where a table is read or written.
from skantidote import tables
from skantidote.tables import listing
from skantidote.target_tasks import MAX_AUTO_CLASSES, TASKS

__all__ = ["command_line_terms", "main"]

PROG = "skantidote"
DEMO_PLOT = "skantidote-demo.png"
#: Noise rate injected by the demo (symmetric noise).
DEMO_NOISE = 0.4


class CLIError(Exception):
    """Bad input or usage: reported as one line on stderr, exit status 2."""


# ---------------------------------------------------------------------------
# argument parsing
# ---------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are a single line on stderr (exit status 2)."""

    def error(self, message: str):  # noqa: D102 - argparse API
        message = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive_int(name: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} must be a positive integer, got {text!r}"
            ) from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer, got {text!r}")
        return value

    return parse


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"seed must be an integer in [0, 2**32 - 1], got {text!r}"
        )
    return value


def _forget_rate(text: str) -> float | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(
            f"forget rate must be a number in [0, 1) or 'auto', got {text!r}"
        )
    return value


def _add_common(parser: argparse.ArgumentParser, default_epochs: int, seeds: str) -> None:
    parser.add_argument(
        "--seed", type=_seed, default=0, metavar="N",
        help=f"random seed of {seeds} (default: %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=_positive_int("epochs"), default=default_epochs, metavar="N",
        help="training epochs of every network (default: %(default)s); the first "
        "min(10, N // 5) epochs are a plain cross-entropy warm-up",
    )
    parser.add_argument(
        "--threads", type=_positive_int("threads"), default=1, metavar="N",
        help="torch CPU threads (default: %(default)s; small networks train fastest on "
        "one thread, above all on a busy machine)",
    )
    parser.add_argument(
        "--quiet", "-q", action="store_true",
        help="no progress display on stderr (results are still printed)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``skantidote`` command.

    Returns
    -------
    parser : argparse.ArgumentParser
        The parser, with one sub-parser per command (``demo``, ``clean``).

    Examples
    --------
    >>> from skantidote.cli import build_parser
    >>> args = build_parser().parse_args(["clean", "data.csv", "--target", "label"])
    >>> args.command, args.target, args.forget_rate
    ('clean', 'label', 'auto')
    """
    from skantidote import __version__

    parser = _Parser(
        prog=PROG,
        description="Learning with noisy labels (ANTIDOTE): find, remove or correct "
        "mislabeled rows of a table.",
        epilog="Exit status: 0 success, 2 usage error or bad input, 1 unexpected failure. "
        "Run 'skantidote COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    exit_status = ("Exit status: 0 success, 2 usage error or bad input (one line on stderr), "
                   "1 unexpected failure.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="plain cross-entropy vs ANTIDOTE on digits with 40%% noisy labels",
        description="Demonstration on scikit-learn's digits (1797 8x8 images, 10 classes, "
        "no download): 70/30 stratified split, 40% of the training labels replaced by a "
        "random other class (symmetric noise), standardised pixels. Trains the same "
        "network with plain cross-entropy and with ANTIDOTE (told no noise rate: it "
        "estimates it in the same run), prints "
        "both accuracies on the clean test labels and the precision and recall of the "
        "rows that NoisyLabelFilter flags against the truly corrupted ones, and saves a "
        "plot. Takes about half a minute.",
        epilog=exit_status,
    )
    demo.add_argument(
        "--out-dir", type=Path, default=Path("."), metavar="DIR",
        help=f"directory of the plot {DEMO_PLOT} (created if missing; default: the "
        "current directory)",
    )
    demo.add_argument(
        "--no-plot", action="store_true",
        help=f"do not save the plot (otherwise {DEMO_PLOT} is written, replacing the "
        "previous demo's)",
    )
    _add_common(demo, default_epochs=100, seeds="the split, the noise and the networks")
    demo.set_defaults(handler=run_demo)

    clean = commands.add_parser(
        "clean",
        help="flag, remove or relabel the mislabeled rows of a CSV/Parquet table",
        description="Find the probably mislabeled rows of a table. An ANTIDOTE network "
        "is trained on all columns but the target (numeric columns: median imputation "
        "and standardisation; other columns: most-frequent imputation and one-hot "
        "encoding, the categories of a single row in one shared column; text columns "
        "whose every value is different, such as IDs, are left out). Class labels: "
        "every row gets a label quality, the model's probability of its given label, and "
        "rows are flagged: with --forget-rate auto, those whose predicted class differs "
        "from their label; with a fraction, that many lowest-quality rows. Regression "
        "targets (a numeric target column with a "
        f"fractional value or more than {MAX_AUTO_CLASSES} distinct values, or any numeric "
        "column with --task regression): every row gets its ANTIDOTE weight, prediction "
        "and residual, and rows are flagged: with --forget-rate auto, those the model "
        "forgot (weight below 0.1); with a fraction, that many lowest-weight rows. "
        "Prints a summary; writes the cleaned table "
        "(--out), the report of every row worst first (--report) and a plot (--plot). "
        "Outputs are written atomically, never over the input, and over an existing "
        "file only with --force. Formats follow the extensions: .csv, .tsv (optionally "
        "compressed: .gz, .bz2, .xz, .zip, .zst), .parquet/.pq (needs pyarrow).",
        epilog=exit_status,
    )
    clean.add_argument("data", type=Path, metavar="DATA", help="input table (.csv, .tsv, "
                       ".parquet); it is never modified")
    clean.add_argument("--target", "-t", required=True, metavar="COLUMN",
                       help="name of the column of (possibly noisy) class labels or "
                       "numeric targets")
    clean.add_argument(
        "--task", choices=TASKS, default="auto",
        help="what the target holds: 'auto' takes a numeric column with a fractional "
        f"value or more than {MAX_AUTO_CLASSES} distinct values for regression targets "
        "and any other column for class labels (default: %(default)s)",
    )
    clean.add_argument(
        "--forget-rate", type=_forget_rate, default="auto", metavar="R|auto",
        help="fraction of rows to flag, in [0, 1), or 'auto' to flag the rows whose "
        "predicted class differs from their label (regression: the rows whose weight "
        "is below 0.1); the network trains with forget rate R, or with 'auto' with the "
        "noise rate it estimates in training (default: %(default)s)",
    )
    clean.add_argument(
        "--per-class", action="store_true",
        help="class labels only: one divergence ball per class, each forgetting within "
        "that class's rows only (at the class's estimated rate with --forget-rate auto, "
        "at R in every class with --forget-rate R), so that no class is forgotten for "
        "another's errors (for classes of similar size that overlap or are confused with "
        "each other)",
    )
    clean.add_argument(
        "--action", choices=("remove", "relabel"), default="remove",
        help="remove the flagged rows, or relabel them with the model's prediction: a "
        "class when it has probability >= 0.5 (the others are removed), a regression "
        "target always (default: %(default)s)",
    )
    clean.add_argument("--out", type=Path, metavar="CLEAN.csv",
                       help="write the cleaned table (all columns, kept rows) here")
    clean.add_argument(
        "--report", type=Path, metavar="ISSUES.csv",
        help="write one row per input row, worst first: row (0-based position in the "
        "input, header excluded, or the Parquet index), then for class labels "
        "is_label_issue, label_quality, given_label, predicted_label, sample_weight "
        "(lowest label quality first), for regression targets is_label_issue, "
        "sample_weight, given_target, predicted_target, residual (lowest weight first)",
    )
    clean.add_argument("--plot", type=Path, metavar="FIG.png",
                       help="save a diagnostic plot (.png, .pdf, .svg, .jpg; needs "
                       "matplotlib)")
    _add_common(
        clean, default_epochs=100,
        seeds="the network: its initial weights, dropout and the order of its batches",
    )
    clean.add_argument(
        "--force", action="store_true", help="overwrite output files that exist",
    )
    clean.set_defaults(handler=run_clean)
    return parser


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _say(*parts: Any) -> None:
    try:
        print(*parts, flush=True)
    except BrokenPipeError:
        # The reader of the summary has gone (``| head``): the files still get written.
        # Later prints go nowhere, and so does the flush at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


_SHOWN_WARNINGS: set[str] = set()
#: The estimators' warnings advise in Python's terms; on the command line, in its options.
_COMMAND_LINE_TERMS = {
    "train fewer epochs, or let AntidoteClassifier(early_stopping=True) end the run "
    "before": "or train fewer epochs (--epochs N)",
    "forget_rate=0": "--forget-rate 0",
    "give forget_rate": "give --forget-rate",
    "skantidote.plotting.plot_forgetting_curve(clf.history_) draws": "--plot draws",
    "per_class=True": "--per-class",
    "check its rows in label_issues_, and leave it out of the cleaning with "
    "sampling_strategy (a list of the classes to clean) or flag fewer rows (forget_rate or "
    "threshold)": "check its rows (--report lists them) and flag fewer rows (--forget-rate "
    "with a fraction)",
}


def command_line_terms(text: str) -> str:
    """A warning's advice in the command line's terms instead of Python's.

    Parameters
    ----------
    text : str
        A warning message of skantidote's estimators.

    Returns
    -------
    str
        The message with the Python remedies it names replaced by the options of
        ``skantidote clean`` that have the same effect.

    Examples
    --------
    >>> from skantidote.cli import command_line_terms
    >>> command_line_terms("Train more epochs, or give forget_rate.")
    'Train more epochs, or give --forget-rate.'
    """
    for python, option in _COMMAND_LINE_TERMS.items():
        text = text.replace(python, option)
    return text


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr, in the command line's terms, each message once."""
    text = command_line_terms(_one_line(message))
    if text not in _SHOWN_WARNINGS:
        _SHOWN_WARNINGS.add(text)
        print(f"{PROG}: warning: {text}", file=sys.stderr, flush=True)


def _check_output(path: Path | None, *, force: bool, inputs: Sequence[Path],
                  allowed: Sequence[str] | None, what: str) -> None:
    """Fail early if ``path`` cannot (or must not) be written."""
    if path is None:
        return
    if allowed is None:
        tables.table_format(path)
    elif path.suffix.lower() not in allowed:
        raise CLIError(
            f"unsupported {what} file type {str(path)!r}: use one of {', '.join(allowed)}"
        )
    for source in inputs:
        if path.exists() and source.exists() and os.path.samefile(path, source):
            raise CLIError(f"{what} {str(path)!r} is the input file: choose another name")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise CLIError(f"directory of {what} {str(path)!r} does not exist")
    if path.is_dir():
        raise CLIError(f"{what} {str(path)!r} is a directory")
    if path.exists() and not force:
        raise CLIError(f"{what} {str(path)!r} exists; pass --force to overwrite it")


def _use_agg() -> None:
    """Draw off-screen: the CLI only saves figures."""
    import matplotlib

    matplotlib.use("Agg")


def _progress(label: str, quiet: bool, forgetting: bool) -> list:
    """Callbacks list with a per-epoch progress display on stderr (empty when quiet)."""
    if quiet:
        return []
    from skantidote.callbacks.progress import EpochProgress

    return [("progress", EpochProgress(label, forgetting=forgetting))]


def _check_not_interrupted(classifier, epochs: int) -> None:
    """Raise KeyboardInterrupt if training stopped early.

    skorch ends its training loop quietly on Ctrl-C; the command must not go on to write
    results of a half-trained model.
    """
    if classifier.n_iter_ < epochs:
        raise KeyboardInterrupt


def _feature_columns(numeric: Sequence[str], categorical: Sequence[str]) -> str:
    """The summary's count of feature columns, naming the categorical ones."""
    named = f": {listing(list(categorical))}" if categorical else ""
    return (f"{len(numeric) + len(categorical)} feature columns ({len(numeric)} numeric, "
            f"{len(categorical)} categorical{named})")


def _percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def _fate(args: argparse.Namespace, count: int, verb: str, noun: str = "") -> str:
    """What happens to ``count`` rows in the cleaned table: done when ``--out`` writes
    it, only planned when nothing is written."""
    return f"{count} {noun}{verb if args.out is not None else 'to be ' + verb}"


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------


def run_demo(args: argparse.Namespace) -> int:
    """Run ``skantidote demo``: cross-entropy vs ANTIDOTE on digits with noisy labels.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``out_dir``, ``no_plot``, ``seed``, ``epochs``, ``threads``,
        ``quiet``).

    Returns
    -------
    status : int
        0 on success.
    """
    plot_path = None
    if not args.no_plot:
        tables.require_matplotlib("the demo's plot (or pass --no-plot)")
        if args.out_dir.exists() and not args.out_dir.is_dir():
            raise CLIError(f"--out-dir {str(args.out_dir)!r} is not a directory")
        # The demo's own figure: rewriting it is what running the demo again means.
        plot_path = args.out_dir / DEMO_PLOT

    start = time.monotonic()
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skantidote import AntidoteClassifier, NoisyLabelFilter
    from skantidote.noise import symmetric_noise

    torch.set_num_threads(args.threads)
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=args.seed
    )
    y_noisy, corrupted = symmetric_noise(y_train, DEMO_NOISE, random_state=args.seed)
    _say(
        f"digits: {len(y)} images of 8x8 pixels, 10 classes; 70/30 stratified split; "
        f"{corrupted.sum()} of the {len(y_train)} training labels ({_percent(corrupted.mean())})"
        " replaced by a random other class; test labels clean"
    )

    def classifier(forget_rate: float | str, label: str):
        return AntidoteClassifier(
            forget_rate=forget_rate, max_epochs=args.epochs,
            random_state=args.seed,
            callbacks=_progress(label, args.quiet, forgetting=forget_rate != 0),
        )

    ce = make_pipeline(StandardScaler(), classifier(0.0, "cross-entropy"))
    ce.fit(X_train, y_noisy)
    _check_not_interrupted(ce[-1], args.epochs)
    ce_accuracy = ce.score(X_test, y_test)

    cleaner = NoisyLabelFilter(
        make_pipeline(StandardScaler(), classifier("auto", "ANTIDOTE")),
        forget_rate="auto", averaging_epochs=min(5, args.epochs), random_state=args.seed,
    )
    cleaner.fit_resample(X_train, y_noisy)
    antidote = cleaner.estimator_
    _check_not_interrupted(antidote[-1], args.epochs)
    antidote_accuracy = antidote.score(X_test, y_test)

    issues = cleaner.label_issues_
    flagged = issues["is_label_issue"].to_numpy()
    found = int((flagged & corrupted).sum())
    precision = found / max(int(flagged.sum()), 1)
    recall = found / max(int(corrupted.sum()), 1)
    _say(f"test accuracy, plain cross-entropy:        {_percent(ce_accuracy)}")
    _say(f"test accuracy, ANTIDOTE (no rate given):    {_percent(antidote_accuracy)}")
    _say(
        f"noise rate estimated by ANTIDOTE in training: "
        f"{_percent(antidote[-1].noise_rate_)} (true {_percent(corrupted.mean())})"
    )
    _say(
        f"corrupted labels found by NoisyLabelFilter: estimated noise rate "
        f"{_percent(cleaner.noise_rate_)} (true {_percent(corrupted.mean())}); "
        f"{int(flagged.sum())} rows flagged, {found} of them truly corrupted: "
        f"precision {_percent(precision)}, recall {_percent(recall)}"
    )

    if plot_path is not None:
        _use_agg()
        from skantidote.plotting import plot_summary

        args.out_dir.mkdir(parents=True, exist_ok=True)
        fig = plot_summary(
            issues, antidote[-1].history_, truth=corrupted,
            title=f"digits, {int(100 * DEMO_NOISE)}% symmetric label noise: test accuracy "
            f"{_percent(ce_accuracy)} (cross-entropy) vs {_percent(antidote_accuracy)} "
            f"(ANTIDOTE); precision {_percent(precision)}, recall {_percent(recall)}",
        )
        tables.save_figure(fig, plot_path)
        _say(f"wrote plot: {plot_path}")
    _say(f"done in {time.monotonic() - start:.0f}s")
    return 0


# ---------------------------------------------------------------------------
# clean
# ---------------------------------------------------------------------------


def run_clean(args: argparse.Namespace) -> int:
    """Run ``skantidote clean``: flag, remove or relabel the mislabeled rows of a table.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``data``, ``target``, ``task``, ``forget_rate``, ``action``,
        ``out``, ``report``, ``plot``, ``seed``, ``epochs``, ``threads``, ``quiet``,
        ``force``).

    Returns
    -------
    status : int
        0 on success.
    """
    source: Path = args.data
    tables.check_readable(source)
    outputs = [p for p in (args.out, args.report, args.plot) if p is not None]
    resolved = [p.resolve() for p in outputs]
    if len(set(resolved)) < len(resolved):
        raise CLIError("--out, --report and --plot must name different files")
    for path, allowed, what in ((args.out, None, "output"), (args.report, None, "report"),
                                (args.plot, tables.FIGURE_FORMATS, "plot")):
        _check_output(path, force=args.force, inputs=[source], allowed=allowed, what=what)
    for path in (args.out, args.report):
        if path is not None and tables.table_format(path)[0] == "parquet":
            tables.require_pyarrow(path, write=True)
    if args.plot is not None:
        tables.require_matplotlib("--plot")

    frame = tables.read_table(source)
    from skantidote.table_features import prepare_table

    prepared = prepare_table(frame, args.target, task=args.task, source=str(source))
    if args.per_class and prepared.task == "regression":
        raise CLIError(
            f"--per-class applies to class labels, and {args.target!r} was taken as "
            "numeric regression targets: drop --per-class, or pass --task "
            "classification if the column holds class codes"
        )
    if prepared.empty_columns:
        print(f"{PROG} clean: note: ignoring column(s) without any value: "
              f"{listing(prepared.empty_columns)}", file=sys.stderr)
    if prepared.identifier_columns:
        print(f"{PROG} clean: note: ignoring text column(s) whose every value is "
              f"different (identifiers: they describe no row like another, and the network "
              f"would memorise every label through them): "
              f"{listing(prepared.identifier_columns)}", file=sys.stderr)
    if prepared.single_row_classes:
        rows = "; ".join(f"{label!r} (row {row!r})"
                         for label, row in list(prepared.single_row_classes.items())[:5])
        more = len(prepared.single_row_classes) - 5
        print(f"{PROG} clean: note: class(es) of a single row, kept as they are: {rows}"
              f"{f' and {more} more' if more > 0 else ''}. A label seen once is often a "
              "typo; it is flagged if the network puts its row in another class",
              file=sys.stderr)
    if prepared.task == "regression":
        _clean_regression(args, frame, prepared)
    else:
        _clean_classification(args, frame, prepared)
    if not outputs:
        _say("nothing written: pass --out, --report and/or --plot to save the results")
    return 0


def _clean_classification(args: argparse.Namespace, frame, prepared) -> None:
    """``clean`` of class labels: NoisyLabelFilter's flags, report and plot."""
    source: Path = args.data
    from skantidote.table_features import make_preprocessor, restore_dtype

    features, y = prepared.X, prepared.y
    numeric, categorical = prepared.numeric, prepared.categorical

    start = time.monotonic()
    import numpy as np
    import pandas as pd
    import torch
    from sklearn.pipeline import Pipeline

    from skantidote import AntidoteClassifier, NoisyLabelFilter
    from skantidote.filter import scoring_forget_rate

    torch.set_num_threads(args.threads)
    rate = args.forget_rate
    model_rate = scoring_forget_rate(rate)
    model = Pipeline([
        ("preprocess", make_preprocessor(numeric, categorical)),
        ("antidote", AntidoteClassifier(
            forget_rate=model_rate, per_class=args.per_class, max_epochs=args.epochs,
            random_state=args.seed,
            callbacks=_progress("ANTIDOTE", args.quiet, forgetting=model_rate != 0),
        )),
    ])
    cleaner = NoisyLabelFilter(
        model, forget_rate=rate, action=args.action, averaging_epochs=min(5, args.epochs),
        random_state=args.seed,
    )
    _, y_clean = cleaner.fit_resample(features, y)
    _check_not_interrupted(cleaner.estimator_[-1], args.epochs)
    kept = cleaner.sample_indices_
    issues = cleaner.label_issues_

    # Summary.
    flagged = issues["is_label_issue"].to_numpy()
    n = len(frame)
    classes = np.unique(y)
    balls = ", one divergence ball per class," if args.per_class and model_rate != 0 else ""
    _say(
        f"{source}: {n} rows, {len(classes)} classes in {args.target!r}, "
        f"{_feature_columns(numeric, categorical)}; trained {args.epochs} epochs{balls} in "
        f"{time.monotonic() - start:.0f}s"
    )
    estimate = (f" (the network's in-training estimate of the noise rate: "
                f"{_percent(cleaner.estimator_[-1].noise_rate_)})"
                if model_rate == "auto" else "")
    _say(f"estimated noise rate (rows predicted as another class): "
         f"{_percent(cleaner.noise_rate_)}{estimate}")
    relabelled = int((flagged[kept]).sum())
    removed = _fate(args, int(flagged.sum()) - relabelled, "removed")
    action = (f"{_fate(args, relabelled, 'relabelled')}, {removed}"
              if args.action == "relabel" else removed)
    _say(f"flagged {int(flagged.sum())} rows ({_percent(flagged.mean())}): {action}; "
         f"{_fate(args, len(kept), 'kept', 'rows ')}")
    per_class = pd.DataFrame({"class": y, "flagged": flagged}).groupby("class")["flagged"]
    counts = per_class.agg(["size", "sum"])
    width = max(len(str(c)) for c in counts.index)
    _say(f"  {'class':<{max(width, 5)}}  {'rows':>6}  {'flagged':>7}")
    for label, (size, hits) in counts.iterrows():
        _say(f"  {str(label):<{max(width, 5)}}  {size:>6}  {hits:>7}  ({_percent(hits / size)})")

    # Outputs.
    keep_index = not isinstance(frame.index, pd.RangeIndex)
    if args.out is not None:
        cleaned = frame.iloc[kept].copy()
        if args.action == "relabel":
            cleaned[args.target] = restore_dtype(np.asarray(y_clean), frame[args.target])
        tables.write_table(cleaned, args.out, index=keep_index)
        _say(f"wrote cleaned table: {args.out} ({len(cleaned)} rows)")
    if args.report is not None:
        report = issues.copy()
        report.insert(0, "row", frame.index.to_numpy())
        report = report.sort_values("label_quality", kind="stable")
        tables.write_table(report, args.report)
        _say(f"wrote label-issues report: {args.report} ({len(report)} rows, worst first)")
    if args.plot is not None:
        _use_agg()
        from skantidote.plotting import plot_summary

        fig = plot_summary(
            issues, cleaner.estimator_[-1].history_,
            title=f"{source.name}: {int(flagged.sum())} of {n} rows flagged "
            f"(estimated noise rate {_percent(cleaner.noise_rate_)})",
        )
        tables.save_figure(fig, args.plot)
        _say(f"wrote plot: {args.plot}")


def _clean_regression(args: argparse.Namespace, frame, prepared) -> None:
    """``clean`` of regression targets: an AntidoteRegressor's weights flag the rows."""
    source: Path = args.data
    from skantidote.table_features import make_preprocessor, restore_dtype, target_issues

    features, y = prepared.X, prepared.y
    numeric, categorical = prepared.numeric, prepared.categorical

    start = time.monotonic()
    import numpy as np
    import pandas as pd
    import torch
    from sklearn.pipeline import Pipeline

    from skantidote import AntidoteRegressor
    from skantidote.filter import scoring_forget_rate
    from skantidote.loss import FORGOTTEN_WEIGHT

    torch.set_num_threads(args.threads)
    model_rate = scoring_forget_rate(args.forget_rate)
    model = Pipeline([
        ("preprocess", make_preprocessor(numeric, categorical)),
        ("antidote", AntidoteRegressor(
            forget_rate=model_rate, max_epochs=args.epochs, random_state=args.seed,
            callbacks=_progress("ANTIDOTE", args.quiet, forgetting=True),
        )),
    ])
    model.fit(features, y)
    regressor = model[-1]
    _check_not_interrupted(regressor, args.epochs)
    predictions = model.predict(features)
    weights = regressor.sample_weights_
    issues = target_issues(y, predictions, weights, forget_rate=args.forget_rate)

    # Summary.
    flagged = issues["is_label_issue"].to_numpy()
    n = len(frame)
    forgotten = float(np.mean(weights < FORGOTTEN_WEIGHT))
    chosen = ", chosen by --task auto" if args.task == "auto" else ""
    _say(
        f"{source}: {n} rows, regression target {args.target!r} ({len(np.unique(y))} "
        f"distinct values, mean {y.mean():.4g}, std {y.std():.4g}{chosen}), "
        f"{_feature_columns(numeric, categorical)}; trained {args.epochs} epochs in "
        f"{time.monotonic() - start:.0f}s"
    )
    _say(f"rows forgotten by the model (ANTIDOTE weight < {FORGOTTEN_WEIGHT}): "
         f"{_percent(forgotten)}")
    relabel = args.action == "relabel"
    n_flagged = int(flagged.sum())
    action = (f"{_fate(args, n_flagged, 'relabelled')} with the prediction" if relabel
              else _fate(args, n_flagged, "removed"))
    _say(f"flagged {n_flagged} rows ({_percent(flagged.mean())}): {action}; "
         f"{_fate(args, n if relabel else n - n_flagged, 'kept', 'rows ')}")
    residual = issues["residual"].to_numpy()
    # Never all rows: the weights have mean 1, and a fraction below 1 leaves some.
    _say(f"in-sample RMSE of the model: {np.sqrt(np.mean(residual[~flagged] ** 2)):.4g} "
         f"on the {n - n_flagged} unflagged rows, {np.sqrt(np.mean(residual ** 2)):.4g} "
         f"on all {n} rows")

    # Outputs.
    keep_index = not isinstance(frame.index, pd.RangeIndex)
    if args.out is not None:
        if relabel:
            cleaned = frame.copy()
            cleaned[args.target] = restore_dtype(np.where(flagged, predictions, y),
                                                 frame[args.target])
        else:
            cleaned = frame.iloc[np.flatnonzero(~flagged)].copy()
        tables.write_table(cleaned, args.out, index=keep_index)
        _say(f"wrote cleaned table: {args.out} ({len(cleaned)} rows)")
    if args.report is not None:
        report = issues.copy()
        report.insert(0, "row", frame.index.to_numpy())
        # Worst first: target_issues' ranking (lowest weight, then largest |residual|).
        report = report.iloc[np.lexsort((-np.abs(residual), weights))]
        tables.write_table(report, args.report)
        _say(f"wrote target-issues report: {args.report} ({len(report)} rows, worst first)")
    if args.plot is not None:
        _use_agg()
        fig = _regression_figure(
            issues, regressor.history_,
            title=f"{source.name}: {n_flagged} of {n} rows flagged "
            f"({_percent(forgotten)} forgotten by the model)",
        )
        tables.save_figure(fig, args.plot)
        _say(f"wrote plot: {args.plot}")


def _regression_figure(issues, history, title: str):
    """Weights of the flagged and kept rows, the forgetting curve, given vs predicted."""
    import matplotlib.pyplot as plt

    from skantidote.plotting import plot_forgetting_curve, plot_label_quality

    fig, axes = plt.subplots(1, 3, figsize=(16.5, 4.5), layout="constrained")
    plot_label_quality(issues, column="sample_weight", ax=axes[0])
    plot_forgetting_curve(history, ax=axes[1])
    flagged = issues["is_label_issue"].to_numpy()
    ax = axes[2]
    # The colours of skantidote.plotting's kept and flagged rows.
    for mask, name, color in ((~flagged, "kept", "#0072B2"), (flagged, "flagged", "#D55E00")):
        ax.scatter(issues["predicted_target"][mask], issues["given_target"][mask], s=8,
                   color=color, alpha=0.7, label=f"{name} ({int(mask.sum())})")
    low = min(issues["given_target"].min(), issues["predicted_target"].min())
    high = max(issues["given_target"].max(), issues["predicted_target"].max())
    ax.plot([low, high], [low, high], color="0.5", linewidth=1.0, label="given = predicted")
    ax.set_xlabel("predicted target")
    ax.set_ylabel("given target")
    ax.set_title("given vs predicted targets")
    ax.legend(fontsize="small", frameon=False)
    fig.suptitle(title)
    return fig


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``skantidote`` command line.

    Parameters
    ----------
    argv : sequence of str, default=None
        The arguments (without the program name); ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        The exit status: 0 success, 2 usage error or bad input, 1 unexpected failure,
        130 interrupted. ``--help`` and usage errors exit directly (``SystemExit``).

    Examples
    --------
    >>> from skantidote.cli import main
    >>> main(["clean", "no-such-file.csv", "--target", "y"])  # doctest: +SKIP
    skantidote: error: input file not found: 'no-such-file.csv'
    2
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = bool(os.environ.get("SKANTIDOTE_DEBUG"))
    with warnings.catch_warnings():
        if not debug:
            warnings.showwarning = _show_warning
        try:
            return args.handler(args)
        except (CLIError, tables.TableError) as exc:
            print(f"{PROG} {args.command}: error: {_one_line(exc)}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"\n{PROG} {args.command}: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:
            if debug:
                raise
            print(
                f"{PROG} {args.command}: unexpected failure: {type(exc).__name__}: "
                f"{_one_line(exc)[:300]} (set SKANTIDOTE_DEBUG=1 for the traceback)",
                file=sys.stderr,
            )
            return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
