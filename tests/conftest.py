"""Test-session settings."""

import os

import torch
from hypothesis import settings

# The property tests draw the same examples on every run, so that whether a run passes does
# not depend on the draw; `pytest --hypothesis-profile=explore` draws new ones.
settings.register_profile("reproducible", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile("reproducible")

# pytest-xdist runs one worker per core; a second torch thread per worker only oversubscribes
# the cores, and OpenMP barriers on an oversubscribed machine turn microsecond kernels into
# millisecond waits.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
