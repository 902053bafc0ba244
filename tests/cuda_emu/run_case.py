"""Run emulator cases in a process of their own (a sanitizer runtime has to be loaded first:
tests/test_emulator_sanitizers.py starts this with ``loader.sanitizer_env``).

    python run_case.py SANITIZE backend          the backend's kernel functions vs NumPy
    python run_case.py SANITIZE broken KERNEL    one kernel of tests/cuda_emu/broken/*.cu

Prints ``CASE OK`` at the end when nothing raised; a sanitizer report goes to stderr (and
sets the exit status), an EmulatorError or a wrong answer raises.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))             # tests/: cuda_emu, test_emulator_kernels
sys.path.insert(0, os.path.dirname(os.path.dirname(HERE)))  # the checkout: gradcore

from cuda_emu.loader import EmuLoader  # noqa: E402

SMALL = lambda name, grid, block: ((2,), (32,))  # noqa: E731  (TSan: small grids)


def backend(sanitize):
    import test_emulator_kernels as t
    from gradcore.backend import cupy_backend as cb
    loader = EmuLoader(sanitize=sanitize, order="random", seed=7,
                       reshape=SMALL if sanitize == "tsan" else None)
    cb.set_loader(loader)
    be = cb.CupyBackend(0, xp=np, sm_count=2)
    be.loader = loader
    dtypes = (np.float16, np.float32, np.float64)
    cases = [(t.test_unary_flat_and_strided, d) for d in dtypes]
    cases += [(t.test_binary_pow_where, d) for d in dtypes]
    cases += [(t.test_sum_mean_extremum_index, d) for d in dtypes]
    cases += [(f, d) for f in (t.test_softmax, t.test_losses, t.test_optimizers_exact)
              for d in dtypes[1:]]
    cases += [(t.test_rnn_cells, d) for d in dtypes]
    import test_conv_cuda_kernels as tc
    cases += [(f, d) for f in (tc.conv_cases, tc.bias_act_cases)
              for d in dtypes + ((tc.BF16,) if tc.BF16 else ())]
    cases += [(t.test_multi_tensor_optimizers_exact, d)
              for d in dtypes + ((t.BF16,) if t.BF16 else ())]
    for gshape, shape in [((7, 9001), (7, 1)), ((601, 5), (5,)), ((5, 6, 7), (6, 1))]:
        for d in dtypes[1:]:
            cases.append((lambda emu, rng, dtype, g=gshape, s=shape:
                          t.test_sum_to(emu, rng, g, s, dtype), d))
    for fn, dtype in cases:
        fn(emu=be, rng=np.random.default_rng(5), dtype=dtype)
    every = {n for names in cb.instantiations().values() for n in names}
    missing = every - {n for n, _, _ in loader.launches}
    assert not missing, f"not launched: {sorted(missing)}"
    print(f"{len(loader.launches)} launches")


BROKEN = os.path.join(HERE, "broken")


def broken(sanitize, kernel):
    loader = EmuLoader(sanitize=sanitize, order="forward")
    x = np.arange(1000, dtype=np.float32) / 7
    if kernel.startswith("scale"):   # 1000 elements, 4 blocks of 256
        mod = loader(os.path.join(BROKEN, "no_bounds_check.cu"), ["scale", "scale_ok"])
        y = np.zeros_like(x)
        mod.get_function(kernel)((4,), (256,), (x, y, np.int64(1000), np.float32(2)))
        np.testing.assert_allclose(y, 2 * x)
    elif kernel.startswith("block_sum"):
        mod = loader(os.path.join(BROKEN, "no_barrier.cu"),
                     ["block_sum", "block_sum_ok", "block_sum_dynamic"])
        out = np.zeros(2, np.float32)
        mod.get_function(kernel)((2,), (64,), (x, out, np.int64(100)), shared_mem=64 * 4)
        np.testing.assert_allclose(out, [x[:64].sum(), x[64:100].sum()], rtol=1e-5)
    elif kernel.startswith("total"):
        mod = loader(os.path.join(BROKEN, "racy_accumulate.cu"), ["total_racy", "total_atomic"])
        total = np.zeros(1, np.float32)
        mod.get_function(kernel)((2,), (32,), (x[:200], total, np.int64(200)))
        np.testing.assert_allclose(total[0], x[:200].sum(), rtol=1e-5)
    elif kernel.startswith("last_in_row"):   # 64 rows of 2^26: 2^32 elements
        mod = loader(os.path.join(BROKEN, "int32_index.cu"), ["last_in_row", "last_in_row_ok"])
        out = np.zeros(64, np.int64)
        mod.get_function(kernel)((2,), (32,), (out, np.int32(64), np.int32(1 << 26)))
        np.testing.assert_array_equal(out, np.arange(64) * (1 << 26) + (1 << 26) - 1)
    else:
        raise SystemExit(f"unknown kernel {kernel}")


if __name__ == "__main__":
    sanitize = "" if sys.argv[1] == "plain" else sys.argv[1]
    if sys.argv[2] == "backend":
        backend(sanitize)
    else:
        broken(sanitize, sys.argv[3])
    print("CASE OK", flush=True)
