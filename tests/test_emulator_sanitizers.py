"""The emulator's sanitizer runs, and proof that its checks catch broken kernels.

- The backend's kernel functions (the cases of tests/test_emulator_kernels.py, every
  instantiation) rerun with kernels/*.cu built with -fsanitize=address,undefined, and with
  ThreadSanitizer on small grids (2 blocks of 32 threads), each in a subprocess that preloads
  the sanitizer runtime (tests/cuda_emu/run_case.py): no report may appear.
- tests/cuda_emu/broken/*.cu holds deliberately broken kernels next to their fixed twins;
  each breakage is shown to be caught -- no bounds check (ASan), no barrier (NaN or a wrong
  sum in the thread orders; TSan), a barrier only part of the block reaches and a shuffle
  half a warp reaches (the scheduler), non-atomic accumulation (right answer on the CPU, TSan
  reports the race), a 32-bit index that overflows (UBSan), a wrong argument dtype (the
  signature check) -- and each fixed twin is shown clean.

Libraries are built in parallel once (cached on disk, docs/emulator.md) before the
subprocesses start; the subprocesses run two at a time.
"""
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from gradcore.backend import cupy_backend as cb

from cuda_emu.loader import EmulatorError, EmuLoader, build, have_compiler, sanitizer_env

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_CASE = os.path.join(HERE, "cuda_emu", "run_case.py")
BROKEN = os.path.join(HERE, "cuda_emu", "broken")

pytestmark = pytest.mark.skipif(not have_compiler(), reason="needs a host C++ compiler (g++)")


def _sanitizer_available(sanitize):
    lib = sanitizer_env(sanitize, {}).get("LD_PRELOAD", "")
    return os.path.isabs(lib) and os.path.exists(lib)


BROKEN_MODULES = {"no_bounds_check.cu": ["scale", "scale_ok"],
                  "no_barrier.cu": ["block_sum", "block_sum_ok", "block_sum_dynamic"],
                  "racy_accumulate.cu": ["total_racy", "total_atomic"],
                  "int32_index.cu": ["last_in_row", "last_in_row_ok"]}

# (sanitizer, kernel, what the report must say; None: a clean run)
SUBPROCESS_CASES = [
    ("asan", "backend", None), ("tsan", "backend", None),
    ("asan", "scale", "AddressSanitizer: heap-buffer-overflow"), ("asan", "scale_ok", None),
    ("tsan", "block_sum", "ThreadSanitizer: data race"), ("tsan", "block_sum_ok", None),
    ("tsan", "block_sum_dynamic", None),
    ("tsan", "total_racy", "ThreadSanitizer: data race"), ("tsan", "total_atomic", None),
    ("asan", "last_in_row", "runtime error: signed integer overflow"),
    ("asan", "last_in_row_ok", None),
    ("plain", "total_racy", None),   # the right number without TSan: only a race detector sees it
]
REPORTS = ("ERROR: AddressSanitizer", "runtime error:", "WARNING: ThreadSanitizer",
           "SUMMARY: UndefinedBehaviorSanitizer")


def _run(case):
    sanitize, kernel, _ = case
    cmd = [sys.executable, "-W", "ignore", RUN_CASE, sanitize] + (
        ["backend"] if kernel == "backend" else ["broken", kernel])
    env = sanitizer_env("" if sanitize == "plain" else sanitize)
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    return r.returncode, r.stdout, r.stderr


@pytest.fixture(scope="module")
def results():
    """Build every sanitized library in parallel, then run every subprocess case."""
    cases = [c for c in SUBPROCESS_CASES if c[0] == "plain" or _sanitizer_available(c[0])]
    jobs = [(os.path.join(cb.kernels_dir(), f), names, s)
            for (f, _), names in cb.instantiations().items() for s in ("asan", "tsan")
            if _sanitizer_available(s)]
    jobs += [(os.path.join(BROKEN, f), names, s) for f, names in BROKEN_MODULES.items()
             for s in ("", "asan", "tsan") if not s or _sanitizer_available(s)]
    cpus = max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(min(cpus, 8)) as ex:
        list(ex.map(lambda j: build(*j), jobs))
    with ThreadPoolExecutor(min(cpus, 2)) as ex:
        return dict(zip(cases, ex.map(_run, cases)))


@pytest.mark.parametrize("case", SUBPROCESS_CASES, ids=lambda c: f"{c[0]}-{c[1]}")
def test_sanitized_run(results, case):
    if case not in results:
        pytest.skip(f"no {case[0]} runtime for {sys.executable}")
    rc, out, err = results[case]
    want = case[2]
    if want is None:
        reports = [line for line in err.splitlines() if line.startswith(REPORTS) or
                   any(r in line for r in REPORTS)]
        assert rc == 0 and "CASE OK" in out and not reports, (rc, out[-2000:], err[-6000:])
    else:
        assert rc != 0 and want in err, (rc, out[-2000:], err[-6000:])
        where = {"scale": "no_bounds_check.cu", "block_sum": "no_barrier.cu",
                 "total_racy": "racy_accumulate.cu", "last_in_row": "int32_index.cu"}[case[1]]
        assert where in err   # the report points into the broken kernel's source


# ---- the scheduler's own checks (plain build, in process) ------------------------------------

def _module(file, names, order="forward"):
    return EmuLoader(order=order)(os.path.join(BROKEN, file), names)


@pytest.mark.parametrize("order", ["forward", "reverse", "random"])
def test_missing_barrier_changes_with_the_order(order):
    x = np.arange(1000, dtype=np.float32) / 7
    want = np.array([x[i * 256:(i + 1) * 256].sum() for i in range(4)], np.float32)
    mod = _module("no_barrier.cu", ["block_sum", "block_sum_ok", "block_sum_dynamic"], order)
    out = np.zeros(4, np.float32)
    mod.get_function("block_sum_ok")((4,), (256,), (x, out, np.int64(1000)))
    np.testing.assert_allclose(out, want, rtol=1e-6)
    out[:] = 0
    mod.get_function("block_sum_dynamic")((4,), (256,), (x, out, np.int64(1000)),
                                          shared_mem=1024)
    np.testing.assert_allclose(out, want, rtol=1e-6)
    out[:] = 0
    mod.get_function("block_sum")((4,), (256,), (x, out, np.int64(1000)))
    if order == "reverse":
        # each thread runs after the ones it reads from: this order happens to hide it,
        # the other two don't (so the suite runs all three)
        np.testing.assert_allclose(out, want, rtol=1e-6)
    else:
        # forward: thread 0 reads shared memory nobody wrote yet -- 0xFF bytes, a NaN
        assert not np.allclose(out, want, rtol=1e-6)
        if order == "forward":
            assert np.isnan(out).all()


def test_dynamic_shared_memory_is_bounded():
    mod = _module("no_barrier.cu", ["block_sum", "block_sum_ok", "block_sum_dynamic"])
    x, out = np.ones(64, np.float32), np.zeros(1, np.float32)
    with pytest.raises(EmulatorError, match="exceeds"):
        mod.get_function("block_sum_dynamic")((1,), (64,), (x, out, np.int64(64)),
                                              shared_mem=1 << 20)


@pytest.mark.parametrize("order", ["forward", "random"])
def test_divergent_barrier_and_shuffle_are_errors(order):
    mod = _module("divergent_barrier.cu", ["shift_left", "half_warp_shuffle"], order)
    x, y = np.arange(1000, dtype=np.float32), np.zeros(1000, np.float32)
    with pytest.raises(EmulatorError, match=r"reached by 232 of 256 threads.*divergent barrier"):
        mod.get_function("shift_left")((4,), (256,), (x, y, np.int64(1000)))
    mod.get_function("shift_left")((4,), (250,), (x, y, np.int64(1000)))  # fits: no error
    np.testing.assert_array_equal(y[:249], x[1:250])
    with pytest.raises(EmulatorError, match="lane 16 has exited"):
        mod.get_function("half_warp_shuffle")((1,), (64,), (x[:64], y[:64]))


def test_racy_accumulation_looks_right_without_tsan():
    """Why TSan: fibers run one at a time, so a missing atomicAdd gives the right number."""
    mod = _module("racy_accumulate.cu", ["total_racy", "total_atomic"], "random")
    x = np.arange(200, dtype=np.float32) / 7
    for name in ("total_racy", "total_atomic"):
        total = np.zeros(1, np.float32)
        mod.get_function(name)((2,), (32,), (x, total, np.int64(200)))
        np.testing.assert_allclose(total[0], x.sum(), rtol=1e-5)


def test_wrong_argument_dtype_is_refused():
    mod = _module("wrong_dtype.cu", ["axpy"])
    fn = mod.get_function("axpy")
    assert fn.signature == ["pf4", "pf4", "vi8", "vf4"]
    x, y = np.ones(10, np.float32), np.zeros(10, np.float32)
    fn((1,), (32,), (x, y, np.int64(10), np.float32(2)))
    np.testing.assert_array_equal(y, 2)
    for args, msg in [((x.astype(np.float64), y, np.int64(10), np.float32(2)), "element type f8"),
                      ((x, y, np.int32(10), np.float32(2)), "value type i4"),
                      ((x, y, np.int64(10), 2.0), "value type f8"),
                      ((x, y, 10, np.float32(2), 1), "5 arguments")]:
        with pytest.raises(EmulatorError, match=msg):
            fn((1,), (32,), args)
