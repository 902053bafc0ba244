"""Every RawKernel in every instantiation the CuPy backend can launch compiles through NVRTC for
sm_80 and sm_90, with the options cupy.RawModule uses, warnings as errors, and no register spill
or stack frame in any kernel (ptxas -v).  Needs no GPU: NVRTC alone (``pip install cupy-cuda12x
nvidia-cuda-nvrtc-cu12``); skips when it can't be loaded.  Run with ``-s`` to see the table.

The backend's kernel table and the .cu sources are also checked against each other (without
NVRTC): every name the backend launches exists in its file, and every kernel template in the
files is launched by the backend.
"""
import concurrent.futures
import multiprocessing
import os
import re
import shutil
import subprocess

import pytest

from gradcore.backend import cupy_backend as cb

ARCHS = ("sm_80", "sm_90")
# ptxas: print per-kernel resources, warn on spills and on any local memory, warnings -> errors.
# (NVRTC has no "all front-end warnings are errors" switch: front-end warnings in the log fail
# the test below instead.)
CHECK_OPTIONS = ("-Xptxas=-v", "-Xptxas=-warn-spills", "-Xptxas=-warn-lmem-usage",
                 "-Xptxas=-Werror")


def _nvrtc():
    try:
        from cupy_backends.cuda.libs import nvrtc
        nvrtc.getVersion()
    except Exception as e:  # not installed, or libnvrtc can't be loaded
        pytest.skip(f"NVRTC is not usable here ({type(e).__name__}: {e})")
    return nvrtc


def rawmodule_options(arch):
    """The options cupy.RawModule compiles a cubin with (cupy/cuda/compiler.py): the backend's
    own, then -ftz=true, the architecture and --device-as-default-execution-space (--pch only
    with CUPY_NVRTC_USE_PCH=1, off by default)."""
    return cb.KERNEL_OPTIONS + ("-ftz=true", f"-arch={arch}",
                                "--device-as-default-execution-space")


_ENTRY = re.compile(r"Compiling entry function '(\w+)' for '(\w+)'")
_PROPS = re.compile(r"(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads")
_REGS = re.compile(r"Used (\d+) registers")


def parse_ptxas(log):
    """{mangled name: (registers, stack bytes, spill stores, spill loads)} from a -v log."""
    out, name, props = {}, None, None
    for line in log.splitlines():
        m = _ENTRY.search(line)
        if m:
            name, props = m.group(1), None
            continue
        m = _PROPS.search(line)
        if m and name:
            props = tuple(int(v) for v in m.groups())
            continue
        m = _REGS.search(line)
        if m and name and props is not None:
            out[name] = (int(m.group(1)),) + props
            name = None
    return out


def compile_module(job):
    """Compile one module, ``job`` = (file, dtype char, arch): returns (job, error or None, log,
    {name expression: (registers, stack, spill stores, spill loads)}).  ptxas -Werror turns
    spills and local memory into compile errors."""
    file, char, arch = job
    nvrtc = _nvrtc()
    names = cb.instantiations()[file, char]
    path = os.path.join(cb.kernels_dir(), file)
    prog = nvrtc.createProgram(cb.kernel_source(path), file, [], [])
    try:
        for name in names:
            nvrtc.addNameExpression(prog, name)
        try:
            nvrtc.compileProgram(prog, list(rawmodule_options(arch) + CHECK_OPTIONS))
        except Exception as e:
            return job, f"{type(e).__name__}: {e}", nvrtc.getProgramLog(prog), {}
        log = nvrtc.getProgramLog(prog)
        stats = parse_ptxas(log)
        return job, None, log, {n: stats.get(nvrtc.getLoweredName(prog, n)) for n in names}
    finally:
        nvrtc.destroyProgram(prog)


def _compile_all(jobs):
    """Every job, in worker processes where fork is available (NVRTC holds the GIL)."""
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("fork")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            return list(pool.map(compile_module, jobs))
    return [compile_module(job) for job in jobs]


def test_every_kernel_compiles_without_spills():
    _nvrtc()
    jobs = [(file, char, arch) for arch in ARCHS for file, char in cb.instantiations()]
    rows, problems = [], []
    for (file, char, arch), error, log, stats in _compile_all(jobs):
        if error:
            problems.append(f"{file} ({arch}, {cb.CTYPES[char]}) does not compile: {error}\n"
                            + "\n".join(line for line in log.splitlines()
                                        if "error" in line or "warning" in line))
            continue
        warnings = [line for line in log.splitlines()
                    if "warning" in line.lower() and not line.startswith("ptxas info")]
        if warnings:
            problems.append(f"{file} ({arch}, {cb.CTYPES[char]}): " + "; ".join(warnings))
        for name, s in stats.items():
            if s is None:
                problems.append(f"{arch} {name}: no ptxas report")
                continue
            rows.append((arch, name) + s)
            if any(s[1:]):
                problems.append(f"{arch} {name}: stack {s[1]} B, spills {s[2]}/{s[3]} B")
    rows.sort(key=lambda r: (r[1], r[0]))
    width = max([len(r[1]) for r in rows] + [6])
    print(f"\n{'kernel':{width}} {'arch':6} {'regs':>4} {'stack':>5} {'spill st':>8} "
          f"{'spill ld':>8}")
    for arch, name, regs, stack, st, ld in rows:
        print(f"{name:{width}} {arch:6} {regs:4d} {stack:5d} {st:8d} {ld:8d}")
    expected = sum(len(v) for v in cb.instantiations().values()) * len(ARCHS)
    assert not problems, "\n".join(problems)
    assert len(rows) == expected


# ---- the backend's kernel table against the sources (no NVRTC needed) --------------------------

_TEMPLATE = re.compile(r"__global__\s+void\s+(?:__launch_bounds__\([^)]*\)\s+)?(\w+)\s*\(")
_STRUCT = re.compile(r"^struct\s+(\w+)\s*\{", re.M)


def _sources():
    return {f: open(os.path.join(cb.kernels_dir(), f)).read() for f in cb.FILES}


def _kernels(src):
    return set(_TEMPLATE.findall(src.replace("\n", " ")))


def test_every_launched_name_exists_in_its_source():
    src = _sources()
    for (file, char), names in cb.instantiations().items():
        kernels, ops = _kernels(src[file]), set(_STRUCT.findall(src[file]))
        for name in names:
            m = re.fullmatch(r"(\w+)<(?:(\w+), )?(\w+)>", name)
            assert m, name
            kernel, op, ctype = m.groups()
            assert kernel in kernels, f"{name}: no kernel template {kernel} in kernels/{file}"
            assert op is None or op in ops, f"{name}: no op struct {op} in kernels/{file}"
            assert ctype == cb.CTYPES[char]


def test_every_kernel_in_the_sources_is_launched():
    for file, text in _sources().items():
        launched = {re.match(r"\w+", t).group(0) for f, t, _ in cb.templates() if f == file}
        assert _kernels(text) == launched, file
        helper_structs = {"Geom", "gc_half", "gc_bfloat16", "gc_tensor_list",
                          "gc_adam_scalars", "ConvGeom", "ConvIdx"}
        assert set(_STRUCT.findall(text)) - helper_structs == cb.functors(file), file


def test_op_structs_are_named_after_their_numpy_reference():
    from gradcore.backend.kernels import KINDS, REGISTRY
    from gradcore.backend.numpy_backend import NumpyBackend
    # every kernel is registered: NumpyBackend has no kernel methods of its own
    assert not [n for n in vars(NumpyBackend) if n.endswith("_backward") and n not in REGISTRY]
    # a registered kernel is named after its reference, and its functors are in its kind's file
    for name, k in REGISTRY.items():
        assert k.reference.__name__ == name
        assert set(k.functors) <= cb.functors(KINDS[k.kind][0])


def test_launch_constants_match_common_cuh():
    text = open(os.path.join(cb.kernels_dir(), "common.cuh")).read()
    consts = dict(re.findall(r"#define (GC_\w+) (\d+)", text))
    assert int(consts["GC_THREADS"]) == cb.THREADS
    assert int(consts["GC_UNROLL"]) == cb.UNROLL
    assert int(consts["GC_MAX_DIMS"]) == cb.MAX_DIMS
    assert int(consts["GC_MAX_INPUTS"]) == cb.MAX_INPUTS
    # struct Geom's fields, in order, are cupy_backend.GEOM's
    body = re.search(r"struct Geom \{(.*?)\};", text, re.S).group(1)
    fields = re.findall(r"index_t (\w+)", body)
    assert tuple(fields) == cb.GEOM.names
    assert cb.GEOM.itemsize == 8 * (2 + cb.MAX_DIMS * (1 + cb.MAX_INPUTS))


def test_kernel_source_inlines_the_shared_header_once():
    path = os.path.join(cb.kernels_dir(), cb.ELEMENTWISE)
    src = cb.kernel_source(path)
    assert '#include "' not in src
    assert src.count("struct Geom {") == 1
    assert "// ---- common.cuh ----" in src and "#line" not in src


# ---- trig.cuh's sin/cos, compiled as plain C++ against the host's libm ------------------------

_TRIG_HARNESS = r"""
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#define GC_HOST_TEST 1
#define GC_TRIG_FN static inline
#define GC_TRIG_TABLE static
static inline long long __double_as_longlong(double x) {
  long long b; std::memcpy(&b, &x, 8); return b;
}
static inline double __longlong_as_double(long long b) {
  double x; std::memcpy(&x, &b, 8); return x;
}
using std::fabs; using std::floor; using std::fma; using std::rint;
#include "trig.cuh"
static double worst = 0, worst_x = 0;
static void check(double x, double limit) {
  for (int c = 0; c < 2; ++c) {
    double got = gc_sincos_d(x, c), want = c ? std::cos(x) : std::sin(x);
    double e = 0;
    double ulp = std::nextafter(std::fabs(want), INFINITY) - std::fabs(want);
    if (std::isnan(want) || std::isnan(got)) e = std::isnan(want) && std::isnan(got) ? 0 : 1e9;
    else if (got != want) e = std::fabs(got - want) / ulp;
    if (e > limit) {
      std::printf("%s(%.17g) = %.17g, libm %.17g: %.1f ulp\n", c ? "cos" : "sin", x, got, want, e);
      std::exit(1);
    }
    if (e > worst) { worst = e; worst_x = x; }
  }
}
int main() {
  std::mt19937_64 gen(1234);
  std::uniform_real_distribution<double> u(-10, 10);
  for (int i = 0; i < 200000; ++i) {
    double x = __longlong_as_double((long long)(gen() & 0x7fffffffffffffffULL));
    if (std::isfinite(x)) check(i & 1 ? x : -x, 2);
    check(u(gen), 2); check(u(gen) * 1e5, 2); check(std::ldexp(u(gen), (int)(gen() % 60)), 2);
  }
  for (int k = -3000; k < 3000; ++k) {
    double x = k * 1.5707963267948966;
    check(x, 2); check(std::nextafter(x, 0.0), 2); check(std::nextafter(x, 1e300), 2);
  }
  double special[] = {0.0, -0.0, 5e-324, 1e-300, 7.4505805969238281e-09, 1e22,
                      1.7976931348623157e308, INFINITY, -INFINITY, NAN};
  for (double x : special) check(x, 2);
  check(6381956970095103.0 * std::ldexp(1.0, 797), 16);  // the hardest double to reduce
  std::printf("worst %.2f ulp at %.17g\n", worst, worst_x);
  return 0;
}
"""


def test_trig_matches_the_host_libm(tmp_path):
    """sin/cos_backward use trig.cuh's register-only sin/cos: its reduction and polynomials,
    built as host C++ (the same source), agree with libm to 2 ulp over the double range."""
    cxx = shutil.which("c++") or shutil.which("g++") or shutil.which("clang++")
    if cxx is None:
        pytest.skip("no C++ compiler here")
    src = tmp_path / "trig_check.cpp"
    src.write_text(_TRIG_HARNESS)
    exe = tmp_path / "trig_check"
    build = subprocess.run([cxx, "-O2", "-std=c++17", "-ffp-contract=off", "-I",
                            cb.kernels_dir(), str(src), "-o", str(exe)],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    print(run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr
