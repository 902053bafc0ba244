"""Run kernels/*.cu on the CPU: a loader for ``cupy_backend.set_loader`` (docs/emulator.md).

``EmuLoader(sanitize=..., order=...)(path, name_expressions, options)`` compiles the source
(``cupy_backend.kernel_source``: local headers pasted in, as CuPy gets it) with g++ against
``cuda_emu.h``, links it with the fiber scheduler ``runtime.cpp`` into a shared library --
cached under ``$GRADCORE_EMU_CACHE`` (default: a per-user temp dir) by a hash of the source,
the names, the emulator files and the flags -- and returns a module whose
``get_function(name)(grid, block, args, shared_mem=0)`` launches like ``cupy.RawModule``'s:
arguments are NumPy arrays (passed as the address of their first element) and NumPy scalars,
each checked against the kernel's real C++ signature before the launch.

``sanitize``: "" (plain), "asan" (AddressSanitizer + UndefinedBehaviorSanitizer) or "tsan"
(ThreadSanitizer, barriers and warp operations annotated as synchronisation).  Sanitized
libraries need their runtime loaded first: run them in a subprocess started with
``sanitizer_env(sanitize)`` (LD_PRELOAD).
"""
import ctypes
import hashlib
import os
import re
import subprocess
import tempfile
import threading

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = os.path.join(HERE, "cuda_emu.h")
RUNTIME = os.path.join(HERE, "runtime.cpp")
CXX = os.environ.get("CXX", "g++")
ORDERS = {"forward": 0, "reverse": 1, "random": 2}
DYNAMIC_SHARED = 48 * 1024  # bytes of extern __shared__ memory a launch may ask for

BASE_FLAGS = ("-std=c++17", "-fPIC", "-ffp-contract=off", "-fno-strict-aliasing",
              "-Wno-unknown-pragmas", "-Wno-attributes")
SANITIZE_FLAGS = {
    "": ("-O1",),
    "asan": ("-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined",
             "-fno-sanitize-recover=undefined"),
    "tsan": ("-O1", "-g", "-fsanitize=thread"),
}
SANITIZER_LIBS = {"asan": "libasan.so", "tsan": "libtsan.so"}


class EmulatorError(RuntimeError):
    """A launch the emulator refused or a kernel it caught misbehaving."""


def cache_dir():
    d = os.environ.get("GRADCORE_EMU_CACHE") or os.path.join(
        tempfile.gettempdir(), f"gradcore-cuda-emu-{os.getuid()}")
    os.makedirs(d, exist_ok=True)
    return d


def have_compiler():
    try:
        return subprocess.run([CXX, "--version"], capture_output=True).returncode == 0
    except OSError:
        return False


def sanitizer_env(sanitize, env=None):
    """The environment a subprocess needs to load a library built with ``sanitize``."""
    env = dict(os.environ if env is None else env)
    if sanitize:
        lib = subprocess.run([CXX, f"-print-file-name={SANITIZER_LIBS[sanitize]}"],
                             capture_output=True, text=True).stdout.strip()
        env["LD_PRELOAD"] = lib
        env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:halt_on_error=1:exitcode=23"
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=24"
        env["TSAN_OPTIONS"] = "halt_on_error=0:exitcode=66:report_signal_unsafe=0"
    return env


_EXTERN_SHARED = re.compile(r"\bextern\s+__shared__\s+([^;]*?)\b(\w+)\s*\[\s*\]\s*;")


def emulator_source(path, names):
    """The C++ translation unit for the .cu file at ``path``: its source as CuPy gets it, then
    the launch table of ``names`` (the module's name expressions)."""
    from gradcore.backend.cupy_backend import kernel_source
    src = kernel_source(path)
    dyn = sorted({m.group(2) for m in _EXTERN_SHARED.finditer(src)})
    # extern __shared__ arrays alias the dynamic shared arena (a global-namespace name each)
    src = _EXTERN_SHARED.sub(lambda m: f"extern GC_EMU_DYNAMIC_SHARED {m.group(1)}{m.group(2)}[];",
                             src)
    out = [f'#line 1 "{os.path.basename(path)}"', src,
           "\n// ---- emulator launch table (tests/cuda_emu/loader.py) ----"]
    if re.search(r"\bstruct\s+gc_half\b", src):
        out.append("template <> struct gc_emu_is_half<gc_half> : std::true_type {};")
    if dyn:
        out.append(f'extern "C" {{\n__attribute__((section("gc_emu_shared"), aligned(16))) '
                   f'char gc_emu_dynamic_shared[{DYNAMIC_SHARED}];\n'
                   f'unsigned long long gc_emu_dynamic_shared_size = {DYNAMIC_SHARED};\n}}')
    for name in dyn:  # the arena under each extern __shared__ array's name
        out.append(f'asm(".globl {name}\\n.set {name}, gc_emu_dynamic_shared");')
    out.append("static const gc_emu_entry gc_emu_table[] = {")
    out += [f'  GC_EMU_ENTRY("{n}", &{n}),' for n in names]
    out.append("};")
    out.append('''extern "C" int gc_emu_launch(void (*)(void**), void**, unsigned, unsigned,
                             unsigned, unsigned, unsigned, unsigned, unsigned long long, int,
                             unsigned long long, char*, size_t);
extern "C" int gc_emu_count() { return (int)(sizeof gc_emu_table / sizeof gc_emu_table[0]); }
extern "C" const char* gc_emu_name(int i) { return gc_emu_table[i].name; }
extern "C" const char* gc_emu_sig(int i) { return gc_emu_table[i].signature(); }
extern "C" int gc_emu_run(int i, void** args, unsigned gx, unsigned gy, unsigned gz, unsigned bx,
                          unsigned by, unsigned bz, unsigned long long shared, int order,
                          unsigned long long seed, char* err, size_t errlen) {
  return gc_emu_launch(gc_emu_table[i].thunk, args, gx, gy, gz, bx, by, bz, shared, order, seed,
                       err, errlen);
}''')
    return "\n".join(out) + "\n"


_build_lock = threading.Lock()
_compiler_id = []


def _compiler_version():
    if not _compiler_id:
        _compiler_id.append(subprocess.run([CXX, "--version"], capture_output=True,
                                           text=True).stdout)
    return _compiler_id[0]


def _run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise EmulatorError("emulator build failed:\n" + " ".join(cmd) + "\n" + r.stderr[-6000:])


def _runtime_object(sanitize):
    """runtime.cpp, compiled without instrumentation (its bookkeeping is not the kernel's)."""
    flags = ("-O2",) + BASE_FLAGS
    key = hashlib.sha256("\0".join((open(RUNTIME).read(), *flags, _compiler_version()))
                         .encode()).hexdigest()[:16]
    obj = os.path.join(cache_dir(), f"runtime-{key}.o")
    if not os.path.exists(obj):
        tmp = f"{obj}.{os.getpid()}.{threading.get_ident()}.tmp"
        _run([CXX, *flags, "-c", RUNTIME, "-o", tmp])
        os.replace(tmp, obj)
    return obj


def build(path, names, sanitize=""):
    """The cached shared library running ``names`` from the .cu file at ``path``."""
    flags = SANITIZE_FLAGS[sanitize] + BASE_FLAGS
    src = emulator_source(path, names)
    key = hashlib.sha256("\0".join((src, open(HEADER).read(), open(RUNTIME).read(), *flags,
                                    _compiler_version())).encode()).hexdigest()[:20]
    stem = os.path.splitext(os.path.basename(path))[0]
    lib = os.path.join(cache_dir(), f"{stem}-{sanitize or 'plain'}-{key}.so")
    if os.path.exists(lib):
        return lib
    rt = _runtime_object(sanitize)
    tag = f"{os.getpid()}.{threading.get_ident()}"
    cpp, obj, tmp = f"{lib}.{tag}.cpp", f"{lib}.{tag}.o", f"{lib}.{tag}.tmp"
    with open(cpp, "w") as f:
        f.write(src)
    try:
        _run([CXX, *flags, "-I", HERE, "-include", HEADER, "-x", "c++", "-c", cpp, "-o", obj])
        _run([CXX, *flags, "-shared", "-Wl,-Bsymbolic", obj, rt, "-o", tmp])
        os.replace(tmp, lib)
    finally:
        for p in (cpp, obj, tmp):
            if os.path.exists(p):
                os.remove(p)
    return lib


# ---- launching ---------------------------------------------------------------------------------

_KINDS = {"f": "f", "i": "i", "u": "u", "b": "b", "V": "s"}


def _array_kind(dt):
    if dt == np.float16:
        return "h2"
    return _KINDS.get(dt.kind, "?" + dt.kind) + str(dt.itemsize)


def _check_arg(kernel, k, want, a):
    where = f"{kernel}: argument {k} ({want}) got {type(a).__name__} {getattr(a, 'dtype', '')}"
    if want[0] == "p":
        if not isinstance(a, np.ndarray):
            raise EmulatorError(where + ": a pointer parameter takes an array")
        got = _array_kind(a.dtype)
        if got != want[1:] and not (want[1:] == "u1" and got == "b1"):
            raise EmulatorError(where + f": element type {got} != {want[1:]}")
        if a.size == 0:
            raise EmulatorError(where + ": an empty array has no first element to pass")
        return ctypes.c_void_p(a.__array_interface__["data"][0])
    if want[1] == "s":
        if not (isinstance(a, (np.ndarray, np.void)) and a.dtype.kind == "V" and
                a.size == 1 and a.dtype.itemsize == int(want[2:])):
            raise EmulatorError(where + f": a struct parameter of {want[2:]} bytes takes one "
                                "structured element of that size")
        return np.ascontiguousarray(a).copy()
    if isinstance(a, np.generic):
        got = _array_kind(a.dtype)
    elif isinstance(a, bool):
        got = "b1"
    elif isinstance(a, int):
        got = "i8"   # what CuPy passes a Python int as
    elif isinstance(a, float):
        got = "f8"
    else:
        raise EmulatorError(where + ": not a scalar")
    if got != want[1:]:
        raise EmulatorError(where + f": value type {got} != {want[1:]}")
    return np.array(a, dtype=np.dtype({"f": "f", "i": "i", "u": "u", "b": "?"}[got[0]] + got[1:])
                    if got[0] != "h" else np.float16)


class EmuFunction:
    def __init__(self, module, index, name, signature):
        self.module, self.index, self.name = module, index, name
        self.signature = signature.split(",") if signature else []

    def __call__(self, grid, block, args, shared_mem=0):
        loader = self.module.loader
        if loader.reshape is not None:
            grid, block = loader.reshape(self.name, tuple(grid), tuple(block))
        grid = tuple(int(g) for g in grid) + (1,) * (3 - len(grid))
        block = tuple(int(b) for b in block) + (1,) * (3 - len(block))
        args = tuple(args)
        if len(args) != len(self.signature):
            raise EmulatorError(f"{self.name}: {len(args)} arguments for the parameters "
                                f"{self.signature}")
        keep = [_check_arg(self.name, k, want, a)
                for k, (want, a) in enumerate(zip(self.signature, args))]
        argv = (ctypes.c_void_p * max(1, len(keep)))()
        for k, v in enumerate(keep):
            argv[k] = ctypes.addressof(v) if isinstance(v, ctypes.c_void_p) else v.ctypes.data
        err = ctypes.create_string_buffer(1024)
        loader.launches.append((self.name, grid, block))
        rc = self.module.lib.gc_emu_run(self.index, argv, *grid, *block, int(shared_mem),
                                        ORDERS[loader.order], loader.next_seed(), err,
                                        len(err))
        if rc:
            raise EmulatorError(f"{self.name} <<<{grid}, {block}>>>: {err.value.decode()}")


class EmuModule:
    def __init__(self, loader, lib_path):
        self.loader = loader
        self.lib = lib = ctypes.CDLL(lib_path, mode=os.RTLD_LOCAL | os.RTLD_NOW)
        lib.gc_emu_name.restype = lib.gc_emu_sig.restype = ctypes.c_char_p
        lib.gc_emu_run.restype = ctypes.c_int
        lib.gc_emu_run.argtypes = ([ctypes.c_int, ctypes.c_void_p] + [ctypes.c_uint] * 6 +
                                   [ctypes.c_ulonglong, ctypes.c_int, ctypes.c_ulonglong,
                                    ctypes.c_char_p, ctypes.c_size_t])
        self.functions = {}
        for i in range(lib.gc_emu_count()):
            name = lib.gc_emu_name(i).decode()
            self.functions[name] = EmuFunction(self, i, name, lib.gc_emu_sig(i).decode())

    def get_function(self, name):
        try:
            return self.functions[name]
        except KeyError:
            raise EmulatorError(f"{name} is not among the module's name expressions") from None


class EmuLoader:
    """A ``cupy_backend.set_loader`` loader running the kernels on the CPU.

    order: "forward", "reverse" or "random" -- the order threads run between sync points (and
    blocks run in); reshape(name, grid, block) -> (grid, block) can change each launch's shape
    (the kernels grid-stride, so the answer must not change)."""

    def __init__(self, sanitize="", order="forward", seed=0, reshape=None):
        assert order in ORDERS and sanitize in SANITIZE_FLAGS
        self.sanitize, self.order, self.seed, self.reshape = sanitize, order, seed, reshape
        self.launches = []

    def next_seed(self):
        self.seed += 1
        return self.seed

    def __call__(self, path, name_expressions, options=()):
        return EmuModule(self, build(path, tuple(name_expressions), self.sanitize))
