"""Test-session settings."""

import os

import torch

# pytest-xdist runs one worker per core; a second torch thread per worker only oversubscribes
# the cores, and OpenMP barriers on an oversubscribed machine turn microsecond kernels into
# millisecond waits.
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
