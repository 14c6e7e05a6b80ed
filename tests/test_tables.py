"""skantidote.tables: format detection, reading, atomic writing of tables and figures."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skantidote import tables
from skantidote.tables import (
    TableError,
    atomic_write,
    check_readable,
    read_table,
    save_figure,
    table_format,
    write_table,
)

HAS_PYARROW = importlib.util.find_spec("pyarrow") is not None


@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({
        "x": [0.5, np.nan, 2.25],
        "count": [1, 2, 3],
        "colour": ["red", None, "blue, green"],  # a separator inside a value is quoted
        "label": ["cat", "dog", "cat"],
    })


@pytest.mark.parametrize("name, expected", [
    ("data.csv", ("csv", None)),
    ("DATA.CSV", ("csv", None)),
    ("data.tsv", ("tsv", None)),
    ("archive.2024.csv.gz", ("csv", ".gz")),
    ("data.tsv.zst", ("tsv", ".zst")),
    ("data.parquet", ("parquet", None)),
    ("data.pq", ("parquet", None)),
])
def test_table_format_follows_the_extensions(name, expected):
    assert table_format(name) == expected
    assert table_format(Path("some/dir") / name) == expected


@pytest.mark.parametrize("name", ["data.xlsx", "data", "data.gz", "data.parquet.gz", ".csv"])
def test_unsupported_extension_names_the_file_and_the_valid_ones(name):
    with pytest.raises(TableError) as exc:
        table_format(name)
    message = str(exc.value)
    assert repr(name) in message
    for valid in (".csv", ".tsv", ".parquet", ".gz"):
        assert valid in message


def test_table_error_is_a_value_error():
    assert issubclass(TableError, ValueError)


@pytest.mark.parametrize("name", ["data.csv", "data.tsv", "data.csv.gz", "data.tsv.bz2"])
def test_round_trip_of_text_tables(tmp_path, frame, name):
    path = tmp_path / name
    write_table(frame, path)
    pd.testing.assert_frame_equal(read_table(path), frame)
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_compressed_file_is_compressed(tmp_path, frame):
    path = tmp_path / "data.csv.gz"
    write_table(frame, path)
    assert path.read_bytes()[:2] == b"\x1f\x8b"  # gzip magic number


def test_index_is_written_on_request(tmp_path, frame):
    path = tmp_path / "data.csv"
    write_table(frame.set_index("label"), path, index=True)
    assert list(read_table(path).columns) == ["label", "x", "count", "colour"]


@pytest.mark.skipif(not HAS_PYARROW, reason="Parquet needs pyarrow")
def test_round_trip_of_parquet_keeps_dtypes_and_index(tmp_path, frame):
    path = tmp_path / "data.parquet"
    indexed = frame.set_axis([10, 20, 30])
    write_table(indexed, path, index=True)
    pd.testing.assert_frame_equal(read_table(path), indexed)


def test_missing_pyarrow_says_how_to_install_it(tmp_path, frame, monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec",
        lambda name, *args: None if name == "pyarrow" else real_find_spec(name, *args),
    )
    with pytest.raises(TableError, match=r"writing Parquet file '.*out\.pq' needs pyarrow"):
        write_table(frame, tmp_path / "out.pq")
    source = tmp_path / "in.parquet"
    source.write_bytes(b"anything")
    with pytest.raises(TableError, match=r"reading Parquet file .* pip install pyarrow"):
        read_table(source)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.parquet"]


def test_read_errors_name_the_file(tmp_path):
    missing = tmp_path / "absent.csv"
    with pytest.raises(TableError, match=f"input file not found: {str(missing)!r}"):
        read_table(missing)
    with pytest.raises(TableError, match="is not a file"):
        read_table(tmp_path)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(TableError, match=f"input file {str(empty)!r} is empty"):
        read_table(empty)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(TableError, match=f"cannot read {str(binary)!r} as CSV: "):
        read_table(binary)


@pytest.mark.skipif(not HAS_PYARROW, reason="Parquet needs pyarrow")
def test_corrupt_parquet_quotes_the_reader_on_one_line(tmp_path):
    path = tmp_path / "data.parquet"
    path.write_bytes(b"not a parquet file")
    with pytest.raises(TableError, match="as PARQUET: ") as exc:
        read_table(path)
    assert "\n" not in str(exc.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="needs POSIX permissions that apply to this user")
def test_unreadable_file(tmp_path, frame):
    path = tmp_path / "secret.csv"
    write_table(frame, path)
    path.chmod(0)
    try:
        with pytest.raises(TableError, match=f"no permission to read {str(path)!r}"):
            check_readable(path)
    finally:
        path.chmod(0o600)


def test_duplicated_columns_are_named(tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    path.write_text("a,b\n1,2\n")
    # pandas renames repeated CSV headers ("a.1"), but other readers (a Parquet file
    # written by another tool) can give repeated names: stand in for such a reader.
    repeated = pd.DataFrame([[1, 2, 3, 4, 5]], columns=["a", "b", "a", "c", "b"])
    monkeypatch.setattr(pd, "read_csv", lambda *args, **kwargs: repeated)
    with pytest.raises(TableError, match="has duplicated column names: 'a', 'b'$"):
        read_table(path)


@pytest.mark.parametrize("name, text, separator", [
    ("data.csv", "a;b;label\n1,5;2;yes\n3,0;4;no\n", "';'"),
    ("data.tsv", "a,b,label\n1.5,2,yes\n3.0,4,no\n", "','"),
])
def test_a_table_of_one_column_with_another_separator_says_so(tmp_path, name, text, separator):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(TableError, match=f"looks separated by {separator}; save it"):
        read_table(path)


def test_a_table_of_one_plain_column_is_read(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("label\nyes\nno\n")
    assert read_table(path).columns.tolist() == ["label"]


def test_check_readable_returns_the_format(tmp_path, frame):
    path = tmp_path / "data.tsv.xz"
    write_table(frame, path)
    assert check_readable(path) == "tsv"


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def failing(name: str) -> None:
        Path(name).write_text("partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, failing)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]

    atomic_write(target, lambda name: Path(name).write_text("new\n"))
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_write_leaves_nothing_when_interrupted(tmp_path):
    target = tmp_path / "new.csv"

    def interrupted(name: str) -> None:
        Path(name).write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, interrupted)
    assert list(tmp_path.iterdir()) == []


def test_atomic_write_temporary_name_ends_like_the_target(tmp_path):
    seen = []
    atomic_write(tmp_path / "t.csv.gz", lambda name: seen.append(name) or Path(name).touch())
    assert seen[0].endswith("-t.csv.gz") and Path(seen[0]).parent == tmp_path


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_atomic_write_gives_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write(tmp_path / "f.txt", lambda name: Path(name).write_text("x"))
    finally:
        os.umask(umask)
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o644


def test_write_table_refuses_an_unsupported_extension(tmp_path, frame):
    with pytest.raises(TableError, match="'.*out.json'"):
        write_table(frame, tmp_path / "out.json")
    assert list(tmp_path.iterdir()) == []


def test_save_figure_writes_atomically_and_closes(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    save_figure(fig, tmp_path / "fig.svg")
    assert b"<svg" in (tmp_path / "fig.svg").read_bytes()
    assert not plt.fignum_exists(fig.number)

    fig = plt.figure()
    with pytest.raises(TableError, match=r"'.*fig\.txt': use one of \.png"):
        save_figure(fig, tmp_path / "fig.txt")
    assert not plt.fignum_exists(fig.number)
    assert [p.name for p in tmp_path.iterdir()] == ["fig.svg"]


def test_require_matplotlib_names_the_purpose(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    with pytest.raises(TableError, match="--plot needs matplotlib: pip install matplotlib"):
        tables.require_matplotlib("--plot")
