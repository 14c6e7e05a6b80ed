"""Reading and writing tables and figures: CSV, TSV and Parquet files, atomic writes.

The format of a file follows its name: ``.csv`` and ``.tsv``, optionally compressed
(``.gz``, ``.bz2``, ``.xz``, ``.zip``, ``.zst``), and ``.parquet`` or ``.pq`` (needs
pyarrow). Every problem is a :class:`TableError` whose one-line message names the file and
what would be valid. Files are written atomically: a reader sees the old file or the
complete new one, never a partial one.

pandas is imported only where a table is read or written, so that checking paths (the
command line's early error paths) stays fast.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "COMPRESSIONS",
    "FIGURE_FORMATS",
    "TABLE_FORMATS",
    "TableError",
    "atomic_write",
    "check_readable",
    "listing",
    "read_table",
    "require_matplotlib",
    "require_pyarrow",
    "save_figure",
    "table_format",
    "write_table",
]

#: Table formats by file extension (the extension before an optional compression one).
TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
#: Compression extensions of CSV and TSV files (pandas infers the compression from them).
COMPRESSIONS = (".gz", ".bz2", ".xz", ".zip", ".zst")
#: Extensions of the figure files that :func:`save_figure` writes.
FIGURE_FORMATS = (".png", ".pdf", ".svg", ".jpg", ".jpeg")


class TableError(ValueError):
    """A table or figure file cannot be read or written.

    The message is one line that names the file and what would be valid.
    """


def listing(values: Sequence[Any], limit: int = 8) -> str:
    """``values`` for a one-line message: strings quoted, at most ``limit`` of them.

    Parameters
    ----------
    values : sequence
        The values to name.
    limit : int, default=8
        How many to show; the rest are counted.

    Returns
    -------
    str

    Examples
    --------
    >>> from skantidote.tables import listing
    >>> listing(["a", 2, "c"], limit=2)
    "'a', 2, ... (1 more)"
    """
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values[:limit])
    more = len(values) - limit
    return shown + (f", ... ({more} more)" if more > 0 else "")


def table_format(path: str | os.PathLike[str]) -> tuple[str, str | None]:
    """The table format and the compression extension that the name of ``path`` gives.

    Parameters
    ----------
    path : str or path-like
        A file name; the file need not exist.

    Returns
    -------
    format : {"csv", "tsv", "parquet"}
        The table format.
    compression : str or None
        The compression extension (e.g. ``".gz"``), ``None`` for an uncompressed file.

    Raises
    ------
    TableError
        If the extension is not one of :data:`TABLE_FORMATS`, optionally followed by one
        of :data:`COMPRESSIONS` (CSV and TSV only).

    Examples
    --------
    >>> from skantidote.tables import table_format
    >>> table_format("data.csv")
    ('csv', None)
    >>> table_format("scores.TSV.gz")
    ('tsv', '.gz')
    >>> table_format("data.xlsx")
    Traceback (most recent call last):
    ...
    skantidote.tables.TableError: unsupported file type of 'data.xlsx': use .csv or .tsv ...
    """
    path = Path(path)
    suffixes = [s.lower() for s in path.suffixes]
    compression = None
    if suffixes and suffixes[-1] in COMPRESSIONS:
        compression = suffixes.pop()
    fmt = TABLE_FORMATS.get(suffixes[-1]) if suffixes else None
    if fmt is None or (fmt == "parquet" and compression):
        raise TableError(
            f"unsupported file type of {str(path)!r}: use .csv or .tsv (optionally "
            f"compressed: {', '.join(COMPRESSIONS)}) or .parquet/.pq"
        )
    return fmt, compression


def require_pyarrow(path: str | os.PathLike[str], *, write: bool = False) -> None:
    """Raise :class:`TableError` if pyarrow, needed for the Parquet file ``path``, is missing.

    Parameters
    ----------
    path : str or path-like
        The Parquet file, named in the message.
    write : bool, default=False
        Whether the file is to be written (the message says "writing") or read.

    Raises
    ------
    TableError
        If pyarrow is not installed; the message says how to install it.
    """
    if importlib.util.find_spec("pyarrow") is None:
        verb = "writing" if write else "reading"
        raise TableError(
            f"{verb} Parquet file {str(path)!r} needs pyarrow: pip install pyarrow "
            "(or the extra: pip install 'skantidote[parquet]')"
        )


def require_matplotlib(purpose: str) -> None:
    """Raise :class:`TableError` if matplotlib, needed for ``purpose``, is missing.

    Parameters
    ----------
    purpose : str
        What needs matplotlib, the subject of the message (e.g. ``"--plot"``).

    Raises
    ------
    TableError
        If matplotlib is not installed; the message says how to install it.
    """
    if importlib.util.find_spec("matplotlib") is None:
        raise TableError(f"{purpose} needs matplotlib: pip install matplotlib")


def check_readable(path: str | os.PathLike[str]) -> str:
    """Check that ``path`` is a table file that can be read, without reading it.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    format : {"csv", "tsv", "parquet"}
        Its format, from its name (see :func:`table_format`).

    Raises
    ------
    TableError
        If the file does not exist, is not a regular file, cannot be read by this user,
        has an unsupported extension, or is a Parquet file and pyarrow is missing.

    Examples
    --------
    >>> from skantidote.tables import check_readable
    >>> check_readable("no-such-file.csv")
    Traceback (most recent call last):
    ...
    skantidote.tables.TableError: input file not found: 'no-such-file.csv'
    """
    path = Path(path)
    if not path.exists():
        raise TableError(f"input file not found: {str(path)!r}")
    if not path.is_file():
        raise TableError(f"input {str(path)!r} is not a file")
    if not os.access(path, os.R_OK):
        raise TableError(f"no permission to read {str(path)!r}")
    fmt, _ = table_format(path)
    if fmt == "parquet":
        require_pyarrow(path)
    return fmt


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a CSV, TSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str or path-like
        The file; its extension selects the format (see :func:`table_format`).

    Returns
    -------
    frame : pandas.DataFrame
        The table: column names from the CSV or TSV header; a Parquet file's index as
        it was written.

    Raises
    ------
    TableError
        If the file cannot be read (see :func:`check_readable`), is empty, cannot be
        parsed in its format (the message quotes the parser), has duplicated column
        names, or is a CSV or TSV of one column whose name holds another separator.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skantidote.tables import read_table
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = Path(directory) / "data.csv"
    ...     _ = path.write_text("x,label\\n0.5,cat\\n1.5,dog\\n")
    ...     read_table(path)
         x label
    0  0.5   cat
    1  1.5   dog
    """
    import pandas as pd

    path = Path(path)
    fmt = check_readable(path)
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="," if fmt == "csv" else "\t", low_memory=False)
    except pd.errors.EmptyDataError:
        raise TableError(f"input file {str(path)!r} is empty") from None
    except PermissionError:
        raise TableError(f"no permission to read {str(path)!r}") from None
    except Exception as exc:  # parser errors, decoding errors, corrupt Parquet, ...
        # The parser's own words say what is wrong, on one line and of bounded length.
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise TableError(f"cannot read {str(path)!r} as {fmt.upper()}: {reason}") from None
    if frame.columns.duplicated().any():
        duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
        raise TableError(f"{str(path)!r} has duplicated column names: {listing(duplicated)}")
    if fmt != "parquet" and frame.shape[1] == 1:
        # One column cannot hold a target and features: most likely another separator,
        # such as the semicolons of spreadsheets set to a decimal comma.
        expected = "comma" if fmt == "csv" else "tab"
        others = [sep for sep in (";", ",", "\t", "|") if sep in str(frame.columns[0])]
        if others:
            raise TableError(
                f"{str(path)!r} was read as {expected}-separated ({fmt.upper()}, from its "
                f"extension) and has one column, {str(frame.columns[0])[:60]!r}, whose "
                f"name holds {others[0]!r}: it looks separated by {others[0]!r}; save it "
                "with commas as .csv (decimal points, not commas), with tabs as .tsv, or "
                "as Parquet"
            )
    return frame


def atomic_write(path: str | os.PathLike[str], write: Callable[[str], object]) -> None:
    """Write a file atomically: ``write`` fills a temporary file, then it replaces ``path``.

    The temporary file is in the same directory (so that ``os.replace`` is atomic) and its
    name ends like ``path``'s, so that writers that infer the format or compression from
    the name do the right thing. Readers of ``path`` see the old file or the complete new
    one, never a partial one; on failure ``path`` is untouched and the temporary file is
    removed. The new file gets the permissions of a newly created file (the umask's).

    Parameters
    ----------
    path : str or path-like
        Destination; its directory must exist.
    write : callable
        Called with the temporary file's name; writes the content there. Its return value
        is ignored; what it raises propagates.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from skantidote.tables import atomic_write
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = Path(directory) / "notes.txt"
    ...     atomic_write(path, lambda name: Path(name).write_text("done\\n"))
    ...     print(path.read_text(), end="")
    done
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=f"-{path.name}", dir=directory)
    os.close(fd)
    try:
        write(tmp)
        # mkstemp creates the file readable by its owner only; give it the usual mode.
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


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], *,
                index: bool = False) -> None:
    """Write ``frame`` atomically as a CSV, TSV or Parquet file (see :func:`atomic_write`).

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    path : str or path-like
        Destination; its extension selects the format and compression (see
        :func:`table_format`).
    index : bool, default=False
        Whether to write the frame's index as well.

    Raises
    ------
    TableError
        If the extension is not supported, or the file is Parquet and pyarrow is missing.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> from skantidote.tables import read_table, write_table
    >>> frame = pd.DataFrame({"x": [0.5, 1.5], "label": ["cat", "dog"]})
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = Path(directory) / "data.tsv.gz"
    ...     write_table(frame, path)
    ...     read_table(path).equals(frame)
    True
    """
    path = Path(path)
    fmt, _ = table_format(path)
    if fmt == "parquet":
        require_pyarrow(path, write=True)
        atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=index))
    else:
        sep = "," if fmt == "csv" else "\t"
        atomic_write(path, lambda tmp: frame.to_csv(tmp, sep=sep, index=index))


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 120) -> None:
    """Save a matplotlib figure atomically (see :func:`atomic_write`), then close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure; it is closed even if saving fails, so that scripts saving many
        figures do not accumulate open ones.
    path : str or path-like
        Destination; its extension, one of :data:`FIGURE_FORMATS`, selects the format.
    dpi : int, default=120
        Resolution of raster formats.

    Raises
    ------
    TableError
        If the extension is not one of :data:`FIGURE_FORMATS`.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from skantidote.tables import save_figure
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [1, 0])
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     path = Path(directory) / "line.png"
    ...     save_figure(fig, path)
    ...     path.read_bytes().startswith(b"\\x89PNG")
    True
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    try:
        suffix = path.suffix.lower()
        if suffix not in FIGURE_FORMATS:
            raise TableError(
                f"unsupported figure file type {str(path)!r}: use one of "
                f"{', '.join(FIGURE_FORMATS)}"
            )
        fmt = suffix.lstrip(".")
        atomic_write(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=dpi))
    finally:
        plt.close(fig)
