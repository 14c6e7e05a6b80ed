"""What a table's target column can hold, and the rule that tells class labels from values.

A module of its own, without imports, so that the command line's help (which names the
choices) does not pay for pandas and scikit-learn, while :mod:`skantidote.table_features`
applies the same rule.
"""

__all__ = ["MAX_AUTO_CLASSES", "TASKS"]

#: The ``task`` values of :func:`~skantidote.table_features.prepare_table` (and of
#: ``skantidote clean --task``).
TASKS = ("auto", "classification", "regression")

#: A numeric target column whose values are all whole numbers is taken for class codes
#: by :func:`~skantidote.table_features.detect_task` when it has at most this many distinct
#: values, and for a regression target when it has more.
MAX_AUTO_CLASSES = 20
