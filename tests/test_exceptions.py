"""Tests of skantidote.exceptions: where skantidote's warnings point (external_stacklevel).

NonFiniteLossError is tested where it is raised, in test_net.py.
"""

import os
import warnings

import imblearn
import sklearn

import skantidote
from skantidote.exceptions import external_stacklevel


def _function_in(filename: str):
    """A function that warns at ``external_stacklevel()``, as if written in ``filename``."""
    source = (
        "def warn():\n"
        "    warnings.warn('from inside', UserWarning, stacklevel=external_stacklevel())\n"
        "    return external_stacklevel()\n"
    )
    namespace = {"warnings": warnings, "external_stacklevel": external_stacklevel}
    exec(compile(source, filename, "exec"), namespace)
    return namespace["warn"]


def _warn_from(filename: str):
    """The stack level ``_function_in(filename)`` computes, and where its warning points."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        level = _function_in(filename)()
    [record] = caught
    return level, record.filename


def test_a_warning_from_the_callers_own_code_points_at_it():
    assert external_stacklevel() == 1
    outside = os.path.join(os.path.dirname(__file__), "user_code.py")
    assert _warn_from(outside) == (1, outside)


def test_a_warning_from_inside_the_libraries_points_at_their_caller():
    for package in (skantidote, sklearn, imblearn):
        inside = os.path.join(os.path.dirname(package.__file__), "somewhere", "module.py")
        assert _warn_from(inside) == (2, __file__)


def test_a_directory_that_only_starts_like_a_library_is_the_users():
    # sklearn_extra/ is not sklearn/: paths are compared, not their starts.
    lookalike = os.path.dirname(sklearn.__file__) + "_extra" + os.sep + "module.py"
    assert _warn_from(lookalike) == (1, lookalike)
