"""Sphinx configuration of the skantidote documentation.

Build (from the repository root)::

    bash docs/build.sh            # = sphinx-build -W --keep-going -b html docs docs/_build/html

The examples in ``examples/`` are executed by sphinx-gallery during the build; set
``SKANTIDOTE_DOCS_NO_EXAMPLES=1`` to skip running them (faster, for editing prose).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import os
import sys
import warnings
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# Document the checkout, also when the package is not installed.
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

import skantidote  # noqa: E402

# The gallery examples run in this process. On a small shared machine one torch thread per
# process is much faster than oversubscribed cores; SKANTIDOTE_DOCS_THREADS overrides it.
torch.set_num_threads(int(os.environ.get("SKANTIDOTE_DOCS_THREADS", "1")))

# -- project ---------------------------------------------------------------------------

project = "skantidote"
author = "skantidote developers"
copyright = "2025, skantidote developers"  # noqa: A001
release = skantidote.__version__
version = ".".join(release.split(".")[:2])

# -- extensions ------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "build.sh", "Makefile"]

# -- MyST (Markdown pages) -------------------------------------------------------------

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
# Pages may link to repository files outside docs/ (e.g. ../benchmarks/results/*.md);
# those are not documents of this site, so they render as plain links.
# Included benchmark tables are written by scripts, not for this site: a heading level
# they skip is not worth failing the build for.
suppress_warnings = ["myst.xref_missing", "myst.header"]

# -- autodoc / autosummary / numpydoc ---------------------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_member_order = "bysource"
# The numpydoc "Parameters" sections give the types; annotations in signatures (torch
# Tensor, unions) would only repeat them less readably.
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- sphinx-gallery ---------------------------------------------------------------------

warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "plot_gallery": "False" if os.environ.get("SKANTIDOTE_DOCS_NO_EXAMPLES") else "True",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"skantidote": None},
    "doc_module": ("skantidote",),
    "backreferences_dir": "generated/backreferences",
    "min_reported_time": 1,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
}

# -- HTML --------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skantidote {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": True,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_static_path: list[str] = []
html_show_sourcelink = False

# -- docstring fix-ups --------------------------------------------------------------------

_SKLEARN_ROUTING = "https://scikit-learn.org/stable/metadata_routing.html"


def _sklearn_roles_to_links(app, what, name, obj, options, lines):
    """scikit-learn's generated ``set_*_request`` docstrings use its own glossary terms and
    labels (``:term:`meta-estimator```, ``:ref:`User Guide <metadata_routing>```), which do
    not exist in this site: render them as plain text and a link to scikit-learn's guide."""
    for i, line in enumerate(lines):
        line = line.replace(":term:`meta-estimator`", "meta-estimator")
        line = line.replace(
            ":ref:`User Guide <metadata_routing>`", f"`User Guide <{_SKLEARN_ROUTING}>`__"
        )
        # "of shape (n_features_in_,)": a trailing underscore is a reST reference.
        line = line.replace("(n_features_in_,)", "(``n_features_in_``,)")
        lines[i] = line


def _skip_member(app, what, name, obj, skip, options):
    """Leave out torch's inherited ``extra_repr`` docstring (it documents nn.Module)."""
    if name == "extra_repr":
        return True
    return None


# -- benchmark results --------------------------------------------------------------------

#: Result files, in the order the benchmarks page shows them; any other ``*.md`` file in
#: ``benchmarks/results`` follows, alphabetically.
BENCHMARK_ORDER = ["classifier_accuracy.md", "filter_detection.md", "loss_speed.md", "suite.md"]
#: Not results: the suite's quick tier is a regression check of the full suite.
BENCHMARK_EXCLUDE = {"suite_quick.md"}
RESULTS = ROOT / "benchmarks" / "results"


def benchmark_result_files() -> list[Path]:
    files = sorted(RESULTS.glob("*.md")) if RESULTS.is_dir() else []
    files = [p for p in files if p.name not in BENCHMARK_EXCLUDE]
    rank = {name: i for i, name in enumerate(BENCHMARK_ORDER)}
    return sorted(files, key=lambda p: (rank.get(p.name, len(rank)), p.name))


def _include_benchmark_results(app, docname, source):
    """Append an ``{include}`` of every committed result table to the benchmarks page.

    The tables are generated by the scripts in ``benchmarks/`` and committed as Markdown;
    the page includes whichever exist when the documentation is built.
    """
    if docname != "benchmarks":
        return
    files = benchmark_result_files()
    if not files:
        source[0] += "\n*No benchmark results are committed yet.*\n"
        return
    parts = []
    for path in files:
        relative = os.path.relpath(path, DOCS)
        parts.append(
            f"\n(results-{path.stem.replace('_', '-')})=\n\n"
            f"```{{include}} {relative}\n:heading-offset: 1\n:relative-images:\n```\n"
        )
    source[0] += "\n".join(parts)


# -- optional modules: plotting and the command line ---------------------------------------

#: Modules documented on the API page when they exist (they are newer than the rest).
OPTIONAL_API = [
    ("skantidote.plotting", "Plots: ``skantidote.plotting``"),
    ("skantidote.cli", "Command line: ``skantidote.cli``"),
]
API_MARKER = ".. skantidote-optional-api"
CLI_MARKER = "<!-- skantidote-cli-help -->"


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


def _optional_api_rst() -> str:
    """API sections of the optional modules that exist, functions from their ``__all__``."""
    parts = []
    for name, title in OPTIONAL_API:
        if not _module_exists(name):
            continue
        module = importlib.import_module(name)
        members = ", ".join(getattr(module, "__all__", []))
        parts.append(
            f"{title}\n{'=' * len(title)}\n\n"
            f".. automodule:: {name}\n   :members: {members}\n"
        )
    return "\n".join(parts)


def _cli_help_markdown() -> str:
    """``--help`` of the command and its subcommands, or the documented interface."""
    if not _module_exists("skantidote.cli"):
        return (
            "The command line module is not part of this build. Its documented interface:\n\n"
            "```text\nskantidote demo\n"
            "skantidote clean DATA.csv --target COLUMN [--forget-rate R|auto] "
            "[--action remove|relabel]\n"
            "                 [--out CLEAN.csv] [--report ISSUES.csv] [--plot FIG.png]\n```\n"
        )
    from skantidote.cli import main

    sections = []
    for args, title in [([], "skantidote"), (["demo"], "skantidote demo"),
                        (["clean"], "skantidote clean")]:
        buffer = io.StringIO()
        previous = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "90"
        try:
            with contextlib.redirect_stdout(buffer), contextlib.suppress(SystemExit):
                main([*args, "--help"])
        finally:
            if previous is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = previous
        sections.append(f"### `{title} --help`\n\n```text\n{buffer.getvalue().rstrip()}\n```\n")
    return "\n".join(sections)


MORE_PAGES_MARKER = "<!-- skantidote-more-pages -->"


def _more_pages_markdown(index_source: str) -> str:
    """A toctree of the top-level pages of docs/ that index.md does not list yet.

    Pages added by a later change then appear in the navigation (under "More topics")
    instead of failing the build as documents outside every toctree.
    """
    listed = {line.strip() for line in index_source.splitlines()}
    pages = sorted(
        p.stem
        for p in DOCS.iterdir()
        if p.suffix in (".md", ".rst")
        and p.stem not in {"index", "sg_execution_times"}
        and p.stem not in listed
    )
    if not pages:
        return ""
    return "```{toctree}\n:maxdepth: 1\n:caption: More topics\n\n" + "\n".join(pages) + "\n```\n"


def _inject_generated(app, docname, source):
    if docname == "index" and MORE_PAGES_MARKER in source[0]:
        source[0] = source[0].replace(MORE_PAGES_MARKER, _more_pages_markdown(source[0]))
    elif docname == "api" and API_MARKER in source[0]:
        source[0] = source[0].replace(API_MARKER, _optional_api_rst())
    elif docname == "cli" and CLI_MARKER in source[0]:
        source[0] = source[0].replace(CLI_MARKER, _cli_help_markdown())


def _benchmarks_always_outdated(app, env, added, changed, removed):
    """Re-read the generated pages on every build: files and modules may have appeared."""
    return [doc for doc in ("index", "benchmarks", "api", "cli") if doc in env.found_docs]


def setup(app):
    app.connect("autodoc-process-docstring", _sklearn_roles_to_links)
    app.connect("env-get-outdated", _benchmarks_always_outdated)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("source-read", _include_benchmark_results)
    app.connect("source-read", _inject_generated)
