"""Structure ops: triangles (tril, triu, their indices), diagonals (diag, diag_embed, diagonal,
trace), block_diag, cartesian_prod, meshgrid, kron, cross, rot90, fliplr/flipud,
repeat_interleave, broadcast_tensors, atleast_1d/2d/3d, take, the stack and split variants,
index_add/index_copy/index_fill, masked_scatter, scatter_reduce.
"""

METHODS = {}
FUNCTIONS = {}
