"""Contractions: einsum, tensordot, inner, vdot, chain_matmul, the fused multiply-adds (addmv,
addr, baddbmm, addbmm) and cdist.
"""

METHODS = {}
FUNCTIONS = {}
