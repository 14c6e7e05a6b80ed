"""Benchmarks of skantidote: accuracy under label noise, label-issue detection, and cost.

* :mod:`benchmarks.datasets`: the data sets, their one split and preprocessing, the noise;
* :mod:`benchmarks.runner` and ``python -m benchmarks.run <experiment>``: the experiments
  (:mod:`benchmarks.experiments`), resumable, one results CSV each;
* ``python -m benchmarks.render <report>``: the markdown reports (:mod:`benchmarks.reports`);
* :mod:`benchmarks.micro`: micro-benchmarks of speed and memory.

See ``benchmarks/README.md`` for the commands.
"""
