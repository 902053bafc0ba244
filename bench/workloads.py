"""Moved to gradcore/bench/workloads.py (kept as a re-export for old imports)."""
from gradcore.bench.workloads import *  # noqa: F401,F403
