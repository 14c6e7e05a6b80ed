#!/usr/bin/env bash
# Build the HTML documentation, with every warning an error:
#
#   bash docs/build.sh
#
# from any directory, with the `docs` extra installed (pip install -e ".[docs]").
# It runs the examples in examples/ (sphinx-gallery) and writes docs/_build/html.
#
# Environment:
#   SKANTIDOTE_DOCS_NO_EXAMPLES=1  do not run the examples (quick check of the prose)
#   SKANTIDOTE_DOCS_INCREMENTAL=1  keep the previous build's outputs (examples whose
#                                  source did not change are not run again)
#   SKANTIDOTE_DOCS_THREADS=N      torch threads for the examples (default 1)
# Extra arguments are passed to sphinx-build.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export MPLBACKEND=Agg
export PYTHONUNBUFFERED=1

if [ "${SKANTIDOTE_DOCS_INCREMENTAL:-0}" != "1" ]; then
    rm -rf docs/_build docs/generated docs/auto_examples docs/sg_execution_times.rst
fi

python -m sphinx -W --keep-going -b html "$@" docs docs/_build/html
echo "HTML pages in docs/_build/html/index.html"
