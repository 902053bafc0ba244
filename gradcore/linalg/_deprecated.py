"""PyTorch's deprecation warnings of the legacy linalg names (torch.qr, torch.cholesky,
torch.lu, torch.lu_solve and their Tensor methods): a UserWarning once per process, as
PyTorch's TORCH_WARN_ONCE gives them."""
import warnings

_SEEN = set()

MESSAGES = {
    "qr": ("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future "
           "PyTorch release.\nThe boolean parameter 'some' has been replaced with a string "
           "parameter 'mode'.\nQ, R = torch.qr(A, some)\nshould be replaced with\nQ, R = "
           "torch.linalg.qr(A, 'reduced' if some else 'complete')"),
    "cholesky": ("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be "
                 "removed in a future PyTorch release.\nL = torch.cholesky(A)\nshould be "
                 "replaced with\nL = torch.linalg.cholesky(A)\nand\nU = torch.cholesky(A, "
                 "upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\nThis "
                 "transform will produce equivalent results for all valid (symmetric positive "
                 "definite) inputs."),
    "lu": ("torch.lu is deprecated in favor of torch.linalg.lu_factor / "
           "torch.linalg.lu_factor_ex and will be removed in a future PyTorch release.\nLU, "
           "pivots = torch.lu(A, compute_pivots)\nshould be replaced with\nLU, pivots = "
           "torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = torch.lu(A, "
           "compute_pivots, get_infos=True)\nshould be replaced with\nLU, pivots, info = "
           "torch.linalg.lu_factor_ex(A, compute_pivots)"),
    "lu_solve": ("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be "
                 "removed in a future PyTorch release.\nNote that torch.linalg.lu_solve has "
                 "its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\nshould be "
                 "replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)"),
}


def warn_once(name):
    """The deprecation warning of torch.<name>, the first time it is called in the process."""
    if name not in _SEEN:
        _SEEN.add(name)
        warnings.warn(MESSAGES[name], UserWarning, stacklevel=3)
