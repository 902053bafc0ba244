"""Small CPU workloads, written once for any torch-like module (gradcore or PyTorch)."""
import numpy as np


def make_step(lib):
    """A 3x4 ``((a*b+a).exp().sum()).backward()`` step, the per-op overhead probe."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)

    def step():
        ((a * b + a).exp().sum()).backward()
    return step


def make_forward_op(lib):
    """One forward op on small tensors, no graph (a + b on 3x4)."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    b = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32))

    def op():
        return a + b
    return op


WORKLOADS = {"step_3x4_fwd_bwd": make_step, "forward_add_3x4": make_forward_op}
