"""Scans and reductions beyond reduction.py's: cumprod, cummax, cummin, logcumsumexp, diff,
aminmax, nansum, nanmean, std_mean, var_mean.
"""

METHODS = {}
FUNCTIONS = {}
