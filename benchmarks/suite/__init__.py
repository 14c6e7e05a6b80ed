"""Benchmark suite for skantidote (issue 5): accuracy under label noise and cost.

See ``benchmarks/suite/README.md`` for the commands.
"""
