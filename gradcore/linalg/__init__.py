"""gradcore.linalg: PyTorch's torch.linalg (norms, solves, factorizations), on NumPy's
linalg (LAPACK) on the CPU and CuPy's (cuSOLVER) on CUDA, with PyTorch's gradients."""
