"""Sorting and selection: sort, argsort, msort, topk, kthvalue, unique, unique_consecutive,
searchsorted, bucketize, argwhere, mode, median, nanmedian, quantile.
"""

METHODS = {}
FUNCTIONS = {}
