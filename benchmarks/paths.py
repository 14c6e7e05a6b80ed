"""Where the benchmarks read their data and write their results, and how reports quote
paths."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data"
RESULTS = ROOT / "results"


def display(path: Path) -> str:
    """A path as reports and progress lines quote it: relative to the working directory
    when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
