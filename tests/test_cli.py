"""The ``skantidote`` command line, run for real as ``python -m skantidote`` subprocesses."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_friedman1

from skantidote import cli, tables
from skantidote.loss import FORGOTTEN_WEIGHT
from skantidote.noise import shifted_targets, symmetric_noise

REPORT_COLUMNS = [
    "row", "is_label_issue", "label_quality", "given_label", "predicted_label", "sample_weight",
]
REGRESSION_REPORT_COLUMNS = [
    "row", "is_label_issue", "sample_weight", "given_target", "predicted_target", "residual",
]
# Few epochs: these tests check the plumbing, not the quality of the cleaning.
FAST = ["--epochs", "4", "--seed", "0"]
HAS_PYARROW = __import__("importlib").util.find_spec("pyarrow") is not None


def run_cli(*args: str | os.PathLike, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m skantidote ARGS`` in ``cwd``; one torch thread, no colour, text I/O."""
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.pop("SKANTIDOTE_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "skantidote", *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=240,
    )


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def assert_one_line_error(result: subprocess.CompletedProcess, fragment: str,
                          status: int = 2) -> None:
    """Exit ``status``, a single stderr line containing ``fragment``, no traceback."""
    message = f"rc={result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == status, message
    assert "Traceback" not in result.stderr, message
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, message
    assert fragment.lower() in lines[0].lower(), message
    assert lines[0].startswith("skantidote"), message


def noisy_frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric and categorical features, string labels with 20 % symmetric noise."""
    X, y = make_classification(
        n_samples=n, n_features=5, n_informative=4, n_redundant=0, n_classes=3,
        class_sep=2.0, random_state=seed,
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    frame["colour"] = np.where(X[:, 0] > 0, "red", "blue")
    frame.loc[[3, 11], "x1"] = np.nan  # NaN features are imputed, not errors
    frame.loc[5, "colour"] = np.nan
    labels = np.array(["ant", "bee", "cat"])[y]
    noisy, corrupted = symmetric_noise(labels, 0.2, random_state=seed)
    frame["label"] = noisy
    return frame, corrupted


@pytest.fixture
def data_csv(tmp_path: Path) -> Path:
    path = tmp_path / "data.csv"
    noisy_frame()[0].to_csv(path, index=False)
    return path


def corrupted_regression_frame(n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Friedman #1 features (and a categorical one), targets of 20 % of the rows shifted."""
    X, y = make_friedman1(n_samples=n, n_features=6, noise=0.3, random_state=seed)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(6)])
    frame["colour"] = np.where(X[:, 0] > 0.5, "red", "blue")
    frame.loc[[3, 11], "x1"] = np.nan  # NaN features are imputed, not errors
    y_corrupted, corrupted = shifted_targets(y, 0.2, shift=4.0, random_state=seed)
    frame["price"] = y_corrupted
    return frame, corrupted


# ---------------------------------------------------------------------------
# help and usage
# ---------------------------------------------------------------------------


def test_help_of_clean_lists_every_option(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["clean", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for option in ("DATA", "--target", "--task", "--forget-rate", "--per-class", "--action",
                   "--out", "--report", "--plot", "--seed", "--epochs", "--force", "--threads",
                   "--quiet", "Exit status"):
        assert option in out, option


def build_help(*command: str) -> str:
    """Help text of a (sub)command, in-process."""
    parser = cli.build_parser()
    if command:
        parser = parser._subparsers._group_actions[0].choices[command[0]]
    return parser.format_help()


def test_help_of_demo_and_top_level(capsys):
    demo = build_help("demo")
    for option in ("--out-dir", "--seed", "--epochs", "--no-plot", "--quiet",
                   "Exit status"):
        assert option in demo
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "demo" in out and "clean" in out and "Exit status" in out


def test_no_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "COMMAND" in err[0]


def test_unexpected_failure_exits_1_with_one_line(monkeypatch, capsys, data_csv):
    def broken(path):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tables, "read_table", broken)
    status = cli.main(["clean", str(data_csv), "--target", "label"])
    assert status == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "unexpected failure: RuntimeError: disk on fire" in err[0]


def test_importing_the_command_line_is_cheap():
    # --help and the early error paths must not wait for pandas, scikit-learn or torch.
    code = ("import sys, skantidote.cli; "
            "print(sorted(m for m in ('pandas', 'sklearn', 'torch', 'skorch') "
            "if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ---------------------------------------------------------------------------
# bad input: one line on stderr, exit status 2, input untouched
# ---------------------------------------------------------------------------


def _write(frame: pd.DataFrame, name: str):
    def make(directory: Path) -> Path:
        path = directory / name
        frame.to_csv(path, index=False)
        return path

    return make


def _bytes(content: bytes, name: str):
    def make(directory: Path) -> Path:
        path = directory / name
        path.write_bytes(content)
        return path

    return make


_FRAME = noisy_frame()[0]
_CONSTANT = _FRAME.assign(label="ant")
_NAN_TARGET = _FRAME.copy()
_NAN_TARGET.loc[7, "label"] = np.nan
_SINGLE = _FRAME.copy()
_SINGLE.loc[42, "label"] = "zebra"
_INF = _FRAME.copy()
_INF.loc[[4, 9], "x2"] = np.inf
_CONTINUOUS = _FRAME.assign(label=np.linspace(0.0, 1.0, len(_FRAME)))

# (id, input builder or None for a missing file, extra arguments, fragment of the error).
# Run as real subprocesses (each pays for importing torch: a few seconds).
BAD_INPUTS = [
    ("missing-file", None, [], "not found"),
    ("missing-target", _write(_FRAME, "d.csv"), ["--target", "nope"],
     "target column 'nope' not found"),
    ("constant-target", _write(_CONSTANT, "d.csv"), [], "single class"),
    ("nan-target", _write(_NAN_TARGET, "d.csv"), [], "missing value"),
    ("inf-feature", _write(_INF, "d.csv"), [], "'x2' has 2 infinite"),
    ("unsupported-extension", _write(_FRAME, "d.xlsx"), [], "unsupported file type"),
    ("unreadable-csv", _bytes(bytes(range(256)) * 20, "d.csv"), [], "cannot read"),
    ("corrupt-parquet", _bytes(b"not a parquet file", "d.parquet"), [],
     "cannot read" if HAS_PYARROW else "pip install pyarrow"),
    ("output-is-input", _write(_FRAME, "d.csv"), ["--out", "d.csv", "--force"],
     "is the input file"),
]
# More bad input, checked in-process through cli.main (same code path, no import cost).
BAD_INPUTS_IN_PROCESS = [
    ("semicolon-csv", _bytes(b"a;b;label\n1,5;2;x\n2,5;3;y\n", "d.csv"), [],
     "looks separated by ';'"),
    # Continuous targets are regression targets, unless classification is asked for.
    ("continuous-target", _write(_CONTINUOUS, "d.csv"), ["--task", "classification"],
     "continuous"),
    ("text-regression-target", _write(_FRAME, "d.csv"), ["--task", "regression"],
     "is not numeric"),
    ("constant-regression-target", _write(_FRAME.assign(label=2.5), "d.csv"),
     ["--task", "regression"], "is constant"),
    ("bad-task", _write(_FRAME, "d.csv"), ["--task", "ranking"], "'ranking'"),
    ("empty-file", _bytes(b"", "d.csv"), [], "empty"),
    ("header-only", _bytes(b"x0,label\n", "d.csv"), [], "no data rows"),
    ("no-feature-column", _write(_FRAME[["label"]], "d.csv"), [], "no usable feature"),
    ("directory", lambda d: (d / "d.csv").mkdir() or d / "d.csv", [], "not a file"),
    ("bad-forget-rate", _write(_FRAME, "d.csv"), ["--forget-rate", "1.5"], "'1.5'"),
    ("bad-epochs", _write(_FRAME, "d.csv"), ["--epochs", "0"], "epochs must be"),
    ("bad-action", _write(_FRAME, "d.csv"), ["--action", "delete"], "'delete'"),
    ("per-class-regression", _write(_CONTINUOUS, "d.csv"), ["--per-class"],
     "--per-class applies to class labels"),
    ("output-dir-missing", _write(_FRAME, "d.csv"), ["--out", "no/such/dir/c.csv"],
     "does not exist"),
    ("bad-output-extension", _write(_FRAME, "d.csv"), ["--out", "c.json"],
     "unsupported file type"),
    ("bad-plot-extension", _write(_FRAME, "d.csv"), ["--plot", "fig.txt"], "'fig.txt'"),
    ("same-outputs", _write(_FRAME, "d.csv"), ["--out", "a.csv", "--report", "a.csv"],
     "different files"),
]


def _clean_args(path: Path, extra: list[str]) -> list[str]:
    args = ["--target", "label"] if "--target" not in extra else []
    return ["clean", path.name, *args, *extra, *FAST]


@pytest.mark.parametrize(
    "make, extra, fragment", [case[1:] for case in BAD_INPUTS], ids=[c[0] for c in BAD_INPUTS]
)
def test_bad_input_is_one_clear_line(tmp_path, make, extra, fragment):
    path = make(tmp_path) if make is not None else tmp_path / "absent.csv"
    before = digest(path) if path.exists() else None
    result = run_cli(*_clean_args(path, extra), cwd=tmp_path)
    assert_one_line_error(result, fragment)
    assert result.stdout == ""
    if before is not None:
        assert digest(path) == before
    # Nothing written: neither outputs nor temporary files.
    assert sorted(p.name for p in tmp_path.iterdir()) == ([path.name] if before else [])


@pytest.mark.parametrize(
    "make, extra, fragment", [case[1:] for case in BAD_INPUTS_IN_PROCESS],
    ids=[c[0] for c in BAD_INPUTS_IN_PROCESS],
)
def test_more_bad_input_in_process(tmp_path, monkeypatch, capsys, make, extra, fragment):
    path = make(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    try:
        status = cli.main(_clean_args(path, extra))
    except SystemExit as exc:  # argparse usage errors
        status = exc.code
    captured = capsys.readouterr()
    result = subprocess.CompletedProcess([], status, captured.out, captured.err)
    assert_one_line_error(result, fragment)
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_missing_target_option_is_a_usage_error(capsys, data_csv):
    with pytest.raises(SystemExit) as exc:
        cli.main(["clean", str(data_csv)])
    result = subprocess.CompletedProcess([], exc.value.code, "", capsys.readouterr().err)
    assert_one_line_error(result, "required: --target")


# ---------------------------------------------------------------------------
# cleaning
# ---------------------------------------------------------------------------


def test_clean_writes_table_report_and_plot(tmp_path, data_csv):
    before = digest(data_csv)
    original = pd.read_csv(data_csv)
    result = run_cli(
        "clean", data_csv, "--target", "label", "--out", "clean.csv", "--report",
        "issues.csv", "--plot", "fig.png", *FAST, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert digest(data_csv) == before  # the input is never modified
    # Atomic writes leave no temporary file behind.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clean.csv", "data.csv", "fig.png", "issues.csv",
    ]

    # Summary on stdout: rows, classes, noise rate, flagged rows per class.
    out = result.stdout
    assert "300 rows" in out and "3 classes" in out
    assert "estimated noise rate" in out and "the network's in-training estimate" in out
    for label in ("ant", "bee", "cat"):
        assert any(line.split()[:1] == [label] for line in out.splitlines()), out
    # Progress display on stderr.
    assert "epoch" in result.stderr and "4/4" in result.stderr

    report = pd.read_csv(tmp_path / "issues.csv")
    assert list(report.columns) == REPORT_COLUMNS
    assert len(report) == len(original)
    assert sorted(report["row"]) == list(range(len(original)))
    assert report["label_quality"].is_monotonic_increasing  # worst first
    given = original["label"].to_numpy()[report["row"].to_numpy()]
    np.testing.assert_array_equal(report["given_label"].to_numpy(), given)

    cleaned = pd.read_csv(tmp_path / "clean.csv")
    kept_rows = np.sort(report.loc[~report["is_label_issue"], "row"].to_numpy())
    assert list(cleaned.columns) == list(original.columns)
    assert len(cleaned) == len(kept_rows) == len(original) - report["is_label_issue"].sum()
    assert report["is_label_issue"].sum() > 0
    pd.testing.assert_frame_equal(
        cleaned, original.iloc[kept_rows].reset_index(drop=True), check_dtype=False
    )

    png = (tmp_path / "fig.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_existing_outputs_need_force_and_relabel(tmp_path, data_csv):
    out, report = tmp_path / "clean.csv", tmp_path / "issues.csv"
    out.write_text("old\n")
    report.write_text("old\n")
    args = ["clean", data_csv, "--target", "label", "--out", out.name, "--report",
            report.name, "--action", "relabel", "--forget-rate", "0.1", *FAST]

    refused = run_cli(*args, cwd=tmp_path)
    assert_one_line_error(refused, "pass --force")
    assert out.read_text() == "old\n" and report.read_text() == "old\n"

    result = run_cli(*args, "--force", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet: no progress display
    original = pd.read_csv(data_csv)
    issues = pd.read_csv(report)
    cleaned = pd.read_csv(out)
    assert issues["is_label_issue"].sum() == 30  # forget rate 0.1 of 300 rows
    assert list(cleaned.columns) == list(original.columns)
    # Rows whose prediction is confident are relabelled, the other flagged rows removed;
    # the summary says how many of each.
    summary = next(line for line in result.stdout.splitlines() if "relabelled" in line)
    n_relabelled = int(summary.split(": ")[1].split()[0])
    n_removed = int(summary.split(", ")[1].split()[0])
    assert n_relabelled + n_removed == 30 and n_relabelled > 0
    assert len(cleaned) == len(original) - n_removed
    # Match the cleaned rows to the input by their (unique) first feature.
    rows = pd.Series(np.arange(len(original)), index=original["x0"]).loc[cleaned["x0"]]
    issues = issues.set_index("row").loc[rows.to_numpy()]
    changed = cleaned["label"].to_numpy() != original["label"].to_numpy()[rows.to_numpy()]
    assert changed.sum() == n_relabelled
    assert issues["is_label_issue"].to_numpy()[changed].all()
    np.testing.assert_array_equal(
        cleaned["label"].to_numpy()[changed], issues["predicted_label"].to_numpy()[changed]
    )
    other = cleaned.drop(columns="label").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        other, original.drop(columns="label").iloc[rows.to_numpy()].reset_index(drop=True)
    )


def test_columns_without_values_are_noted_and_ignored(tmp_path, monkeypatch, capsys):
    frame, _ = noisy_frame(120)
    frame.insert(1, "blank", np.nan)
    frame.to_csv(tmp_path / "d.csv", index=False)
    monkeypatch.chdir(tmp_path)
    # A given rate: two epochs are too few for an estimate, which would warn.
    status = cli.main(["clean", "d.csv", "--target", "label", "--epochs", "2", "--quiet",
                       "--forget-rate", "0.1"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.err == (
        "skantidote clean: note: ignoring column(s) without any value: 'blank'\n"
    )
    assert "6 feature columns (5 numeric, 1 categorical: 'colour')" in captured.out


def test_a_class_of_a_single_row_is_noted_and_flagged(tmp_path, monkeypatch, capsys):
    # A one-off typo is the commonest wrong label: the table is cleaned, not refused.
    _SINGLE.to_csv(tmp_path / "d.csv", index=False)
    monkeypatch.chdir(tmp_path)
    status = cli.main(["clean", "d.csv", "--target", "label", "--epochs", "6", "--quiet",
                       "--forget-rate", "0.1", "--report", "r.csv"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.err == (
        "skantidote clean: note: class(es) of a single row, kept as they are: 'zebra' "
        "(row 42). A label seen once is often a typo; it is flagged if the network puts "
        "its row in another class\n"
        "skantidote: warning: Every row labelled 'zebra' (1 row) was flagged: the cleaned "
        "labels have no such class, and a model trained on them will never predict it. "
        "Right for a label given by mistake (a typo); for a real class, check its rows "
        "(--report lists them) and flag fewer rows (--forget-rate with a fraction).\n"
    )
    report = pd.read_csv("r.csv").set_index("row")
    assert report.loc[42, "is_label_issue"]
    assert report.loc[42, "predicted_label"] != "zebra"
    # Nothing is written without --out: the summary says what would happen.
    flagged = int(report["is_label_issue"].sum())
    assert (f"{flagged} to be removed; {len(report) - flagged} rows to be kept"
            in captured.out)


def test_identifier_columns_are_noted_and_ignored(tmp_path, monkeypatch, capsys):
    # One-hot encoded, a column of row IDs would let the network memorise every label,
    # and no row would be flagged: the cleaning must be that of the table without it.
    frame, _ = noisy_frame(120)
    frame.to_csv(tmp_path / "plain.csv", index=False)
    frame.insert(0, "customer", [f"C{i:04d}" for i in range(len(frame))])
    frame.to_csv(tmp_path / "ids.csv", index=False)
    monkeypatch.chdir(tmp_path)
    reports = []
    for name in ("plain", "ids"):
        status = cli.main(["clean", f"{name}.csv", "--target", "label", "--epochs", "2",
                           "--quiet", "--forget-rate", "0.1", "--report", f"{name}-r.csv"])
        captured = capsys.readouterr()
        assert status == 0, captured.err
        reports.append(pd.read_csv(f"{name}-r.csv"))
    assert captured.err.startswith(
        "skantidote clean: note: ignoring text column(s) whose every value is different "
        "(identifiers"
    )
    assert captured.err.rstrip().endswith(": 'customer'")
    pd.testing.assert_frame_equal(reports[0], reports[1])


def test_per_class_keeps_every_class_s_share(tmp_path, monkeypatch, capsys, data_csv):
    # One ball per class: every class's rows keep a mean weight of one, where one ball
    # forgets more of the class whose rows have the highest losses.
    monkeypatch.chdir(tmp_path)
    means = {}
    for extra in ([], ["--per-class"]):
        status = cli.main(["clean", data_csv.name, "--target", "label", "--epochs", "4",
                           "--quiet", "--forget-rate", "0.2", "--report", "r.csv",
                           "--force", *extra])
        captured = capsys.readouterr()
        assert status == 0, captured.err
        assert ("one divergence ball per class" in captured.out) == bool(extra)
        report = pd.read_csv("r.csv")
        means[bool(extra)] = report.groupby("given_label")["sample_weight"].mean()
    np.testing.assert_allclose(means[True], 1.0, atol=1e-6)
    assert np.ptp(means[False]) > 0.1


def test_the_summary_survives_a_reader_that_goes_away(tmp_path, data_csv):
    # `skantidote clean ... | head -1`: the files are still written, and no failure.
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "skantidote", "clean", str(data_csv), "--target", "label",
         "--report", "issues.csv", "--quiet", *FAST],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    process.stdout.close()
    stderr = process.communicate(timeout=240)[1].decode()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr
    assert len(pd.read_csv(tmp_path / "issues.csv")) == 300


def test_warnings_advise_in_the_command_line_s_terms(tmp_path):
    # Two classes, the minority's given labels mostly wrong: in 10 epochs the network
    # hesitates on many rows, in 20 it takes the minority class for swamped.
    X, y = make_classification(
        n_samples=400, n_features=5, n_informative=4, n_redundant=0, weights=[0.8, 0.2],
        class_sep=2.0, random_state=0,
    )
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(5)])
    frame["colour"] = np.where(np.arange(len(frame)) % 3 == 0, "red", "blue")
    frame["label"] = symmetric_noise(np.array(["no", "yes"])[y], 0.4, random_state=0)[0]
    frame.to_csv(tmp_path / "d.csv", index=False)
    warned = ""
    for epochs in ("10", "20"):
        result = run_cli("clean", "d.csv", "--target", "label", "--epochs", epochs,
                         "--quiet", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "give --forget-rate" in result.stderr
        warned += result.stderr
    assert "--plot draws the share" in warned  # the network hesitates
    assert "or train fewer epochs (--epochs N)" in warned  # the class is swamped
    assert "per_class=True" not in warned and "--per-class gives every class" in warned
    for python in ("forget_rate", "AntidoteClassifier(", "clf.", "early_stopping"):
        assert python not in warned, warned


@pytest.mark.skipif(not HAS_PYARROW, reason="reading Parquet needs pyarrow")
def test_parquet_in_and_out(tmp_path):
    frame, _ = noisy_frame()
    source = tmp_path / "data.parquet"
    frame.to_parquet(source, index=False)
    before = digest(source)
    result = run_cli("clean", source, "--target", "label", "--out", "clean.parquet",
                     "--report", "issues.csv", "--quiet", *FAST, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert digest(source) == before
    cleaned = pd.read_parquet(tmp_path / "clean.parquet")
    issues = pd.read_csv(tmp_path / "issues.csv")
    assert list(cleaned.columns) == list(frame.columns)
    assert len(cleaned) == len(frame) - issues["is_label_issue"].sum()


# ---------------------------------------------------------------------------
# cleaning regression targets
# ---------------------------------------------------------------------------


def test_clean_regression_writes_table_report_and_plot(tmp_path):
    frame, corrupted = corrupted_regression_frame()
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    before = digest(data)
    original = pd.read_csv(data)
    # Enough epochs (a few seconds) for the flags to find the shifted rows.
    result = run_cli(
        "clean", data, "--target", "price", "--out", "clean.csv", "--report", "issues.csv",
        "--plot", "fig.png", "--epochs", "40", "--seed", "0", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert digest(data) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "clean.csv", "data.csv", "fig.png", "issues.csv",
    ]

    # Summary: the task and why, the forgotten rows, the flags, the fit on the kept rows.
    out = result.stdout
    assert "300 rows, regression target 'price'" in out and "chosen by --task auto" in out
    assert "7 feature columns (6 numeric, 1 categorical: 'colour')" in out
    assert f"rows forgotten by the model (ANTIDOTE weight < {FORGOTTEN_WEIGHT})" in out
    assert "in-sample RMSE of the model" in out
    assert "class" not in out  # no per-class table
    assert "epoch" in result.stderr and "40/40" in result.stderr

    report = pd.read_csv(tmp_path / "issues.csv")
    assert list(report.columns) == REGRESSION_REPORT_COLUMNS
    assert sorted(report["row"]) == list(range(len(original)))
    assert report["sample_weight"].is_monotonic_increasing  # worst first
    given = original["price"].to_numpy()[report["row"].to_numpy()]
    np.testing.assert_allclose(report["given_target"], given)
    np.testing.assert_allclose(report["residual"],
                               report["given_target"] - report["predicted_target"])
    # --forget-rate auto: the forgotten rows are flagged.
    flagged = report["is_label_issue"].to_numpy()
    np.testing.assert_array_equal(flagged, report["sample_weight"] < FORGOTTEN_WEIGHT)
    # ... and they are the rows whose targets were shifted.
    truth = corrupted[report["row"].to_numpy()]
    precision = (flagged & truth).sum() / flagged.sum()
    recall = (flagged & truth).sum() / truth.sum()
    assert precision >= 0.9 and recall >= 0.8, (precision, recall)
    summary = next(line for line in out.splitlines() if line.startswith("flagged"))
    assert summary.startswith(f"flagged {flagged.sum()} rows")
    assert f"{flagged.sum()} removed; {len(original) - flagged.sum()} rows kept" in summary

    cleaned = pd.read_csv(tmp_path / "clean.csv")
    kept_rows = np.sort(report.loc[~report["is_label_issue"], "row"].to_numpy())
    pd.testing.assert_frame_equal(
        cleaned, original.iloc[kept_rows].reset_index(drop=True), check_dtype=False
    )
    png = (tmp_path / "fig.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_clean_regression_relabels_an_integer_target_with_rounded_predictions(tmp_path):
    frame, _ = corrupted_regression_frame()
    frame["price"] = np.rint(10 * frame["price"]).astype(int)  # whole numbers, many values
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    result = run_cli(
        "clean", data, "--target", "price", "--forget-rate", "0.1", "--action", "relabel",
        "--out", "clean.csv", "--report", "issues.csv", "--quiet", *FAST, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "regression target 'price'" in result.stdout
    assert "flagged 30 rows (10.0%): 30 relabelled with the prediction; 300 rows kept" in (
        result.stdout
    )
    original = pd.read_csv(data)
    cleaned = pd.read_csv(tmp_path / "clean.csv")
    issues = pd.read_csv(tmp_path / "issues.csv").set_index("row").sort_index()
    flagged = issues["is_label_issue"].to_numpy()
    assert flagged.sum() == 30  # forget rate 0.1 of 300 rows, the lowest weights
    assert issues["sample_weight"][flagged].max() <= issues["sample_weight"][~flagged].min()
    # Every row kept, in order; only the flagged targets change, to the rounded prediction.
    assert cleaned["price"].dtype == np.int64
    pd.testing.assert_frame_equal(cleaned.drop(columns="price"),
                                  original.drop(columns="price"))
    np.testing.assert_array_equal(cleaned["price"][~flagged], original["price"][~flagged])
    np.testing.assert_array_equal(cleaned["price"][flagged],
                                  np.rint(issues["predicted_target"][flagged]))


def test_task_option_overrides_the_detection(tmp_path, monkeypatch, capsys):
    frame, _ = noisy_frame(120)
    frame["label"] = frame["label"].map({"ant": 1, "bee": 2, "cat": 5})  # 3 class codes
    frame.to_csv(tmp_path / "d.csv", index=False)
    monkeypatch.chdir(tmp_path)
    args = ["clean", "d.csv", "--target", "label", "--epochs", "2", "--quiet"]

    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "3 classes in 'label'" in out and "regression" not in out

    assert cli.main([*args, "--task", "regression"]) == 0
    out = capsys.readouterr().out
    assert "120 rows, regression target 'label' (3 distinct values" in out
    assert "chosen by --task auto" not in out and "classes" not in out


# ---------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------


def test_demo_prints_both_accuracies_and_writes_the_plot(tmp_path, monkeypatch, capsys):
    pytest.importorskip("matplotlib")
    result = run_cli("demo", "--epochs", "3", "--out-dir", "plots", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "test accuracy, plain cross-entropy" in out
    assert "test accuracy, ANTIDOTE" in out
    assert "precision" in out and "recall" in out
    assert "cross-entropy" in result.stderr and "ANTIDOTE" in result.stderr  # progress
    plot = tmp_path / "plots" / cli.DEMO_PLOT
    assert plot.read_bytes().startswith(b"\x89PNG")
    assert f"wrote plot: {Path('plots') / cli.DEMO_PLOT}" in out

    # Running the demo again replaces its own plot (the README's command can be rerun).
    plot.write_bytes(b"old")
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--epochs", "2", "--quiet", "--out-dir", "plots"]) == 0
    assert plot.read_bytes().startswith(b"\x89PNG")


def test_too_short_a_run_to_estimate_the_noise_rate_says_so(tmp_path):
    frame, _ = noisy_frame(120)
    frame.to_csv(tmp_path / "d.csv", index=False)
    # A process of its own: Python shows a warning once per place that raises it.
    result = run_cli("clean", "d.csv", "--target", "label", "--epochs", "2", "--quiet",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "warning: The noise rate was estimated over 1 reweighted epochs only" in (
        result.stderr
    )
    assert "give --forget-rate" in result.stderr
