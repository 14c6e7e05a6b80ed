"""The ``skantidote`` command line: a demonstration and the cleaning of a data file.

``skantidote demo``
    Trains plain cross-entropy and ANTIDOTE side by side on scikit-learn's digits with
    40 % of the training labels corrupted, reports both test accuracies and how many of the
    corrupted labels :class:`~skantidote.NoisyLabelFilter` finds, and saves a plot.

``skantidote clean DATA.csv --target COLUMN``
    Finds the probably mislabeled rows of a CSV or Parquet table with
    :class:`~skantidote.NoisyLabelFilter` (numeric columns standardised, other columns
    one-hot encoded, missing values imputed) and writes the cleaned table, a report of
    every row's label quality and a plot.

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
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

PROG = "skantidote"
DEMO_PLOT = "skantidote-demo.png"
#: Noise rate injected by the demo (symmetric noise).
DEMO_NOISE = 0.4
#: Extensions of readable tables (after an optional compression extension).
_TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")
_PLOT_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


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


def _add_common(parser: argparse.ArgumentParser, default_epochs: int) -> None:
    parser.add_argument(
        "--seed", type=_seed, default=0, metavar="N",
        help="random seed of the split, the noise and the networks (default: %(default)s)",
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
        "network with plain cross-entropy and with ANTIDOTE (forget_rate=0.4), prints "
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
    _add_common(demo, default_epochs=100)
    demo.set_defaults(handler=run_demo)

    clean = commands.add_parser(
        "clean",
        help="flag, remove or relabel the mislabeled rows of a CSV/Parquet table",
        description="Find the probably mislabeled rows of a table. An ANTIDOTE network "
        "is trained on all columns but the target (numeric columns: median imputation "
        "and standardisation; other columns: most-frequent imputation and one-hot "
        "encoding); every row gets a label quality, the model's probability of its "
        "given label, and rows are flagged: with --forget-rate auto, those whose predicted "
        "class differs from their label; with a fraction, that many lowest-quality rows. "
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
                       help="name of the column of (possibly noisy) class labels")
    clean.add_argument(
        "--forget-rate", type=_forget_rate, default="auto", metavar="R|auto",
        help="fraction of rows to flag, in [0, 1), or 'auto' to flag the rows whose "
        "predicted class differs from their label (default: %(default)s)",
    )
    clean.add_argument(
        "--action", choices=("remove", "relabel"), default="remove",
        help="remove the flagged rows, or relabel them with the model's prediction when "
        "it has probability >= 0.5 (the others are removed) (default: %(default)s)",
    )
    clean.add_argument("--out", type=Path, metavar="CLEAN.csv",
                       help="write the cleaned table (all columns, kept rows) here")
    clean.add_argument(
        "--report", type=Path, metavar="ISSUES.csv",
        help="write one row per input row, worst label quality first: row (0-based "
        "position in the input, header excluded, or the Parquet index), is_label_issue, "
        "label_quality, given_label, predicted_label, sample_weight",
    )
    clean.add_argument("--plot", type=Path, metavar="FIG.png",
                       help="save a diagnostic plot (.png, .pdf, .svg, .jpg; needs "
                       "matplotlib)")
    _add_common(clean, default_epochs=100)
    clean.add_argument(
        "--force", action="store_true", help="overwrite output files that exist",
    )
    clean.set_defaults(handler=run_clean)
    return parser


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _say(*parts: Any) -> None:
    print(*parts, flush=True)


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


_SHOWN_WARNINGS: set[str] = set()


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings as one line on stderr, each message once."""
    text = _one_line(message)
    if text not in _SHOWN_WARNINGS:
        _SHOWN_WARNINGS.add(text)
        print(f"{PROG}: warning: {text}", file=sys.stderr, flush=True)


def _listing(values: Sequence[Any], limit: int = 8) -> str:
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:limit])
    more = len(values) - limit
    return shown + (f", ... ({more} more)" if more > 0 else "")


def _table_format(path: Path) -> tuple[str, str | None]:
    """The format ("csv", "tsv", "parquet") and the compression extension of ``path``."""
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        compression = suffixes.pop()
    fmt = _TABLE_FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None or (fmt == "parquet" and compression):
        raise CLIError(
            f"unsupported file type of {str(path)!r}: use .csv or .tsv (optionally "
            f"compressed: {', '.join(_COMPRESSIONS)}) or .parquet/.pq"
        )
    return fmt, compression


def _need_pyarrow(path: Path, verb: str) -> None:
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        raise CLIError(f"{verb} Parquet file {str(path)!r} needs pyarrow: pip install pyarrow")


def _need_matplotlib(purpose: str) -> None:
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise CLIError(f"{purpose} needs matplotlib: pip install matplotlib")


def _check_input(path: Path) -> str:
    """The format of the input ``path``; ``CLIError`` if it cannot be read."""
    if not path.exists():
        raise CLIError(f"input file not found: {str(path)!r}")
    if not path.is_file():
        raise CLIError(f"input {str(path)!r} is not a file")
    if not os.access(path, os.R_OK):
        raise CLIError(f"no permission to read {str(path)!r}")
    fmt, _ = _table_format(path)
    if fmt == "parquet":
        _need_pyarrow(path, "reading")
    return fmt


def read_table(path: Path):
    """Read a CSV/TSV/Parquet file into a DataFrame; ``CLIError`` for any problem.

    Parameters
    ----------
    path : pathlib.Path
        The file; its extension selects the format.

    Returns
    -------
    frame : pandas.DataFrame
        The table.
    """
    import pandas as pd

    fmt = _check_input(path)
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="," if fmt == "csv" else "\t", low_memory=False)
    except pd.errors.EmptyDataError:
        raise CLIError(f"input file {str(path)!r} is empty") from None
    except PermissionError:
        raise CLIError(f"no permission to read {str(path)!r}") from None
    except Exception as exc:  # parser errors, decoding errors, corrupt Parquet, ...
        reason = _one_line(exc)[:200] or type(exc).__name__
        raise CLIError(f"cannot read {str(path)!r} as {fmt.upper()}: {reason}") from None
    if frame.columns.duplicated().any():
        duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
        raise CLIError(f"{str(path)!r} has duplicated column names: {_listing(duplicated)}")
    return frame


def _check_output(path: Path | None, *, force: bool, inputs: Sequence[Path],
                  allowed: Sequence[str] | None, what: str) -> None:
    """Fail early if ``path`` cannot (or must not) be written."""
    if path is None:
        return
    if allowed is None:
        _table_format(path)
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


def atomic_write(path: Path, write: Callable[[str], None]) -> None:
    """Write a file atomically: ``write`` fills a temporary file, then it replaces ``path``.

    The temporary file is in the same directory (so that ``os.replace`` is atomic) and its
    name ends like ``path``'s, so that writers that infer the format or compression from
    the name do the right thing. Readers of ``path`` see the old file or the complete new
    one, never a partial one; on failure ``path`` is untouched.

    Parameters
    ----------
    path : pathlib.Path
        Destination.
    write : callable
        Called with the temporary file name; writes the content there.
    """
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{path.name}", dir=directory)
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _write_table(frame, path: Path, *, index: bool = False) -> None:
    fmt, _ = _table_format(path)
    if fmt == "parquet":
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=index))
    else:
        sep = "," if fmt == "csv" else "\t"
        atomic_write(path, lambda tmp: frame.to_csv(tmp, sep=sep, index=index))


def _save_figure(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    fmt = path.suffix.lower().lstrip(".")
    try:
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=120))
    finally:
        plt.close(fig)


def _use_agg() -> None:
    """Draw off-screen: the CLI only saves figures."""
    import matplotlib

    matplotlib.use("Agg")


def _progress_callback(label: str, quiet: bool, forgetting: bool = True) -> list:
    """Callbacks list with a per-epoch progress display on stderr (empty when quiet)."""
    if quiet:
        return []
    from skorch.callbacks import Callback

    class Progress(Callback):
        """Per-epoch progress on stderr: redrawn in place on a terminal, else every 10 %."""

        def __init__(self, label: str, forgetting: bool, width: int = 24) -> None:
            self.label = label
            self.forgetting = forgetting
            self.width = width

        def on_train_begin(self, net, **kwargs) -> None:
            self.start_ = time.monotonic()

        def on_epoch_end(self, net, **kwargs) -> None:
            row = net.history[-1]
            total = max(int(net.max_epochs), 1)
            done = min(len(net.history) - getattr(net, "_fit_start", 0), total)
            filled = round(self.width * done / total)
            bar = "#" * filled + "." * (self.width - filled)
            forgotten = row.get("forgotten", 0.0) or 0.0
            phase = ""
            if self.forgetting:
                phase = "warm-up" if row.get("warmup") else f"forgetting {forgotten:5.1%}"
            elapsed = time.monotonic() - getattr(self, "start_", time.monotonic())
            text = (f"{self.label:<13} [{bar}] epoch {done:>3}/{total}  "
                    f"loss {row.get('train_loss', math.nan):.3f}  {phase:<17} {elapsed:5.1f}s")
            stream = sys.stderr
            if stream.isatty():
                stream.write("\r" + text + ("\n" if done >= total else ""))
            elif done in (1, total) or done % max(1, math.ceil(total / 10)) == 0:
                stream.write(text + "\n")
            stream.flush()

    return [("progress", Progress(label, forgetting))]


def _check_not_interrupted(classifier, epochs: int) -> None:
    """Raise KeyboardInterrupt if training stopped early.

    skorch ends its training loop quietly on Ctrl-C; the command must not go on to write
    results of a half-trained model.
    """
    if classifier.n_iter_ < epochs:
        raise KeyboardInterrupt


def _warmup(epochs: int) -> int:
    return min(10, max(1, epochs // 5)) if epochs > 1 else 0


def _percent(x: float) -> str:
    return f"{100 * x:.1f}%"


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
        _need_matplotlib("the demo's plot (or pass --no-plot)")
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

    def classifier(forget_rate: float, label: str):
        return AntidoteClassifier(
            forget_rate=forget_rate, max_epochs=args.epochs,
            warmup_epochs=_warmup(args.epochs), random_state=args.seed,
            callbacks=_progress_callback(label, args.quiet, forgetting=forget_rate > 0),
        )

    ce = make_pipeline(StandardScaler(), classifier(0.0, "cross-entropy"))
    ce.fit(X_train, y_noisy)
    _check_not_interrupted(ce[-1], args.epochs)
    ce_accuracy = ce.score(X_test, y_test)

    cleaner = NoisyLabelFilter(
        make_pipeline(StandardScaler(), classifier(DEMO_NOISE, "ANTIDOTE")),
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
    _say(f"test accuracy, ANTIDOTE (forget_rate={DEMO_NOISE}): {_percent(antidote_accuracy)}")
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
        _save_figure(fig, plot_path)
        _say(f"wrote plot: {plot_path}")
    _say(f"done in {time.monotonic() - start:.0f}s")
    return 0


# ---------------------------------------------------------------------------
# clean
# ---------------------------------------------------------------------------


def _rows(mask, index, limit: int = 5) -> str:
    rows = index[mask].tolist()
    return f"row{'s' if len(rows) > 1 else ''} {_listing(rows, limit)}"


def _prepare(frame, target: str, source: Path):
    """Validate the table; return features, target, numeric and categorical columns."""
    import numpy as np
    import pandas as pd
    from sklearn.utils.multiclass import type_of_target

    if len(frame) == 0:
        raise CLIError(f"{str(source)!r} has no data rows")
    if target not in frame.columns:
        raise CLIError(
            f"target column {target!r} not found in {str(source)!r}; its columns are "
            f"{_listing([str(c) for c in frame.columns], 12)}"
        )
    y = frame[target]
    missing = y.isna().to_numpy()
    if missing.any():
        raise CLIError(
            f"target column {target!r} has {int(missing.sum())} missing value(s) "
            f"({_rows(missing, frame.index)}); fill or drop those rows first"
        )
    if pd.api.types.is_bool_dtype(y):
        y_values = y.to_numpy(dtype=bool)
    elif pd.api.types.is_numeric_dtype(y):
        y_values = y.to_numpy()
        if not np.isfinite(y_values.astype(float)).all():
            bad = ~np.isfinite(y_values.astype(float))
            raise CLIError(
                f"target column {target!r} has infinite values ({_rows(bad, frame.index)})"
            )
        kind = type_of_target(y_values)
        if kind == "continuous":
            raise CLIError(
                f"target column {target!r} holds continuous numbers (e.g. "
                f"{_listing(pd.unique(y_values)[:3].tolist())}), not class labels: "
                "skantidote clean is for classification"
            )
    else:
        y_values = y.astype(str).to_numpy(dtype=object)
    classes, counts = np.unique(y_values, return_counts=True)
    if len(classes) < 2:
        raise CLIError(
            f"target column {target!r} has a single class ({_listing(classes.tolist())}): "
            "at least 2 classes are needed"
        )
    single = classes[counts == 1].tolist()
    if single:
        rows = frame.index[np.isin(y_values, single)].tolist()
        raise CLIError(
            f"class{'es' if len(single) > 1 else ''} {_listing(single)} of target column "
            f"{target!r} {'have' if len(single) > 1 else 'has'} a single row "
            f"(row{'s' if len(rows) > 1 else ''} {_listing(rows)}): every class needs at "
            "least 2 rows; drop or merge it"
        )

    features = frame.drop(columns=[target])
    empty = [c for c in features.columns if features[c].isna().all()]
    if empty:
        print(f"{PROG} clean: note: ignoring column(s) without any value: {_listing(empty)}",
              file=sys.stderr)
        features = features.drop(columns=empty)
    if features.shape[1] == 0:
        raise CLIError(
            f"{str(source)!r} has no usable feature column besides the target {target!r}"
        )
    numeric, categorical = [], []
    for column in features.columns:
        values = features[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            # Dates as seconds since 1970 (standardised like any number).
            values = (values - pd.Timestamp(0, tz=getattr(values.dt, "tz", None))).dt
            values = values.total_seconds()
        elif pd.api.types.is_timedelta64_dtype(values):
            values = values.dt.total_seconds()
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            as_float = values.to_numpy(dtype=float, na_value=np.nan)
            infinite = np.isinf(as_float)
            if infinite.any():
                raise CLIError(
                    f"numeric column {column!r} has {int(infinite.sum())} infinite value(s) "
                    f"({_rows(infinite, frame.index)}); replace them (missing values are "
                    "fine: they are imputed)"
                )
            features[column] = as_float
            numeric.append(column)
        else:
            # Categories as text (mixed types sort), missing values as NaN for the imputer.
            missing = values.isna().to_numpy()
            text = values.astype(str).to_numpy(dtype=object)
            text[missing] = np.nan
            features[column] = text
            categorical.append(column)
    features.columns = [str(c) for c in features.columns]
    numeric = [str(c) for c in numeric]
    categorical = [str(c) for c in categorical]
    return features, y_values, numeric, categorical


def _preprocessor(numeric: list[str], categorical: list[str]):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers = []
    if numeric:
        transformers.append((
            "numeric",
            Pipeline([("impute", SimpleImputer(strategy="median")),
                      ("scale", StandardScaler())]),
            numeric,
        ))
    if categorical:
        transformers.append((
            "categorical",
            Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                      ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]),
            categorical,
        ))
    return ColumnTransformer(transformers, sparse_threshold=0.0)


def run_clean(args: argparse.Namespace) -> int:
    """Run ``skantidote clean``: flag, remove or relabel the mislabeled rows of a table.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options (``data``, ``target``, ``forget_rate``, ``action``, ``out``,
        ``report``, ``plot``, ``seed``, ``epochs``, ``threads``, ``quiet``, ``force``).

    Returns
    -------
    status : int
        0 on success.
    """
    source: Path = args.data
    _check_input(source)
    outputs = [p for p in (args.out, args.report, args.plot) if p is not None]
    resolved = [p.resolve() for p in outputs]
    if len(set(resolved)) < len(resolved):
        raise CLIError("--out, --report and --plot must name different files")
    for path, allowed, what in ((args.out, None, "output"), (args.report, None, "report"),
                                (args.plot, _PLOT_FORMATS, "plot")):
        _check_output(path, force=args.force, inputs=[source], allowed=allowed, what=what)
    for path in (args.out, args.report):
        if path is not None and _table_format(path)[0] == "parquet":
            _need_pyarrow(path, "writing")
    if args.plot is not None:
        _need_matplotlib("--plot")

    frame = read_table(source)
    features, y, numeric, categorical = _prepare(frame, args.target, source)

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
        ("preprocess", _preprocessor(numeric, categorical)),
        ("antidote", AntidoteClassifier(
            forget_rate=model_rate, max_epochs=args.epochs, warmup_epochs=_warmup(args.epochs),
            random_state=args.seed,
            callbacks=_progress_callback("ANTIDOTE", args.quiet, forgetting=model_rate > 0),
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
    _say(
        f"{source}: {n} rows, {len(classes)} classes in {args.target!r}, "
        f"{features.shape[1]} feature columns ({len(numeric)} numeric, "
        f"{len(categorical)} categorical); trained {args.epochs} epochs in "
        f"{time.monotonic() - start:.0f}s"
    )
    _say(f"estimated noise rate (rows predicted as another class): "
         f"{_percent(cleaner.noise_rate_)}")
    relabelled = int((flagged[kept]).sum())
    action = (f"{relabelled} relabelled, {int(flagged.sum()) - relabelled} removed"
              if args.action == "relabel" else f"{int(flagged.sum())} removed")
    _say(f"flagged {int(flagged.sum())} rows ({_percent(flagged.mean())}): {action}; "
         f"{len(kept)} rows kept")
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
            cleaned[args.target] = _restore_dtype(np.asarray(y_clean), frame[args.target])
        _write_table(cleaned, args.out, index=keep_index)
        _say(f"wrote cleaned table: {args.out} ({len(cleaned)} rows)")
    if args.report is not None:
        report = issues.copy()
        report.insert(0, "row", frame.index.to_numpy())
        report = report.sort_values("label_quality", kind="stable")
        _write_table(report, args.report)
        _say(f"wrote label-issues report: {args.report} ({len(report)} rows, worst first)")
    if args.plot is not None:
        _use_agg()
        from skantidote.plotting import plot_summary

        fig = plot_summary(
            issues, cleaner.estimator_[-1].history_,
            title=f"{source.name}: {int(flagged.sum())} of {n} rows flagged "
            f"(estimated noise rate {_percent(cleaner.noise_rate_)})",
        )
        _save_figure(fig, args.plot)
        _say(f"wrote plot: {args.plot}")
    if not outputs:
        _say("nothing written: pass --out, --report and/or --plot to save the results")
    return 0


def _restore_dtype(values, original):
    """Relabelled targets in the dtype of the original column where possible."""
    import pandas as pd

    if pd.api.types.is_numeric_dtype(original) or pd.api.types.is_bool_dtype(original):
        try:
            return values.astype(original.dtype)
        except (TypeError, ValueError):
            return values
    return values


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
        except CLIError as exc:
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
