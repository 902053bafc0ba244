"""gradcore.linalg: PyTorch's torch.linalg (norms, solves, factorizations), on NumPy's
linalg (LAPACK) on the CPU and CuPy's (cuSOLVER) on CUDA, with PyTorch's gradients."""
from ..ops.contraction import multi_dot
from ..ops.linalg import matmul
from ..ops.out import wrap_namespace as _wrap_namespace
from .decompositions import (LinAlgError, cholesky, cross, det, eigh, eigvalsh, inv, lstsq,
                             matrix_power, matrix_rank, pinv, qr, slogdet, solve, svd, svdvals)
from .matrix_functions import householder_product, matrix_exp, torch_matrix_exp
from .decompositions import logdet, torch_slogdet
from .norms import matrix_norm, norm, vector_norm
from ..tensor import Tensor as _Tensor
from . import legacy as _legacy, lu_family as _lu
from .lu_family import lu, lu_factor, lu_factor_ex, lu_solve
from .legacy import cholesky_ex, diagonal, eig, eigvals, inv_ex, solve_triangular, vander, vecdot

# torch.det, torch.logdet, torch.slogdet, torch.matrix_exp and their Tensor methods
# (gradcore/__init__ adds TORCH_FUNCTIONS to the namespace)
TORCH_FUNCTIONS = {"det": det, "logdet": logdet, "slogdet": torch_slogdet,
                   "matrix_exp": torch_matrix_exp}
TORCH_FUNCTIONS.update(_legacy.TORCH_FUNCTIONS)  # torch.cholesky, qr, svd, inverse ...
TORCH_FUNCTIONS.update(lu=_lu.torch_lu, lu_solve=_lu.torch_lu_solve)
for _name, _fn in TORCH_FUNCTIONS.items():
    setattr(_Tensor, _name, _fn)
TORCH_FUNCTIONS.update(_legacy.TOP_ONLY, lu_unpack=_lu.lu_unpack)

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "householder_product",
           "inv", "lstsq", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank",
           "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm",
           "solve_triangular", "vecdot", "vander", "diagonal", "eig", "eigvals", "lu",
           "lu_factor", "lu_factor_ex", "lu_solve", "cholesky_ex", "inv_ex"]

_wrap_namespace(globals(), "linalg.")  # out= where torch.linalg has one (ops/out.py)
