"""The experiments of ``python -m benchmarks.run``: grids of cells run into a results CSV.

* ``suite``: accuracy of ANTIDOTE and the baselines under label noise;
* ``classifier_accuracy``: accuracy of the default ``AntidoteClassifier``;
* ``filter_detection``: ``NoisyLabelFilter`` against cleanlab at finding wrong labels;
* ``small_tables``: the default classifier against scikit-learn's models on subsamples;
* ``bundled_tables``: the default classifier and its noise estimate on tables outside the
  suite;
* ``cifar10``: the paper's CIFAR-10 protocol (needs a GPU and the data).
"""
