"""The reports of ``python -m benchmarks.render``: markdown (and plots) from results CSVs."""
