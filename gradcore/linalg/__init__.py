"""gradcore.linalg: PyTorch's torch.linalg (norms, solves, factorizations), on NumPy's
linalg (LAPACK) on the CPU and CuPy's (cuSOLVER) on CUDA, with PyTorch's gradients."""
from ..ops.contraction import multi_dot
from ..ops.linalg import matmul
from .decompositions import (LinAlgError, cholesky, cross, det, eigh, eigvalsh, inv, lstsq,
                             matrix_power, matrix_rank, pinv, qr, slogdet, solve, svd, svdvals)
from .norms import matrix_norm, norm, vector_norm

__all__ = ["LinAlgError", "cholesky", "cross", "det", "eigh", "eigvalsh", "inv", "lstsq",
           "matmul", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv",
           "qr", "slogdet", "solve", "svd", "svdvals", "vector_norm"]
