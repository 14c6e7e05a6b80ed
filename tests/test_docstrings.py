"""The examples in the docstrings of every skantidote module run and print what they show.

The modules are found by walking the package, so a new module's examples are checked
without touching this file. Examples that need an optional dependency (matplotlib for
:mod:`skantidote.plotting`) are skipped when it is missing.
"""

import doctest
import importlib
import pkgutil

import numpy as np
import pytest
import torch

import skantidote

# Modules whose examples need an optional dependency, with the package to import first.
OPTIONAL = {"skantidote.plotting": "matplotlib"}

OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def module_names():
    names = [skantidote.__name__]
    for info in pkgutil.walk_packages(skantidote.__path__, prefix=f"{skantidote.__name__}."):
        names.append(info.name)
    return sorted(names)


MODULES = module_names()


def test_the_walk_finds_the_modules():
    # A guard against a walk that silently finds nothing (and so checks nothing).
    assert {"skantidote.classifier", "skantidote.loss", "skantidote.noise"} <= set(MODULES)


@pytest.fixture
def fixed_torch():
    """One torch thread and fixed seeds while an example runs; restored afterwards."""
    threads = torch.get_num_threads()
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()  # noqa: NPY002
    torch.set_num_threads(1)
    torch.manual_seed(0)
    np.random.seed(0)  # noqa: NPY002
    yield
    torch.set_num_threads(threads)
    torch.set_rng_state(torch_state)
    np.random.set_state(np_state)  # noqa: NPY002


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, fixed_torch):
    if name in OPTIONAL:
        matplotlib = pytest.importorskip(OPTIONAL[name])
        matplotlib.use("Agg")
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    tests = [test for test in tests if test.examples]
    if not tests:
        return  # nothing to run (e.g. skantidote.__main__)
    report = []
    runner = doctest.DocTestRunner(optionflags=OPTIONFLAGS)
    for test in sorted(tests, key=lambda t: t.name):
        runner.run(test, out=report.append, clear_globs=True)
    if OPTIONAL.get(name) == "matplotlib":
        import matplotlib.pyplot as plt

        plt.close("all")
    results = runner.summarize(verbose=False)
    if results.failed:
        pytest.fail(
            f"{results.failed} of {results.attempted} examples of {name} failed:\n"
            + "".join(report),
            pytrace=False,
        )
