"""The per-op micro-benchmark (issue 15's measuring tool): every op of the OpInfo registry
(``tests/op_db.py``), forward + backward, gradcore against PyTorch in one process, at the
registry's own (tiny) sample and at a medium size scaled up from it.

The registry lives in the repository's ``tests/``, not in the installed package:
``find_registry`` looks next to the package (a checkout), then under the current directory,
or takes ``--registry PATH``.

Medium size, generically: every array of a sample -- floating inputs, index tensors, masks --
is tiled by one integer factor ``f`` along each dimension whose size is not 1 (0-d arrays and
size-1 dimensions stay, so broadcasting, index ranges and mask shapes keep their relations and
the values stay in the op's domain; floating values are then jittered by 0.1% towards 0, see
``scale_sample``).  ``f`` grows until the largest tensor, input or output,
holds 64K-256K elements; PyTorch runs each try (forward, no graph) and is the judge of
whether the scaled call is still valid.  A sample that PyTorch refuses when scaled (a
``reshape(3, 2)``, a fixed ``eye(3)`` inside the op) or that has nothing to scale keeps its tiny
row only.
"""
import importlib
import math
import os
import re
import sys
import time

import numpy as np

from .._dtype import is_floating
from .runner import median_times

MEDIUM_MIN, MEDIUM_MAX = 1 << 16, 1 << 18   # elements of the largest tensor at medium size
MAX_FACTOR = 1 << 17

# the goal per class (gradcore time / PyTorch time): issue 15
GOALS = {"elementwise": 0.5, "reduction": 0.5, "other": 1.0}
MEDIUM_GOAL = 1.0  # the "every op <= 1.0x"; the 0.5x goals are for tiny sizes
_ELEMENTWISE_MODULES = {"elementwise", "unary_math", "binary_math", "activation", "special"}


class Missing(RuntimeError):
    """A per-op mode cannot run here: PyTorch, or the registry, is missing (the command exits
    2 with the message)."""


class RegistryNotFound(Missing):
    """The OpInfo registry (tests/op_db.py) is not where it was looked for."""


class Failed(RuntimeError):
    """One library's run of a row raised; the message names the library and the error."""


def find_registry(path=None):
    """The folder holding ``op_db.py``: ``path`` (the file or its folder), else the checkout's
    ``tests/`` next to the gradcore package, else ``./tests``.  Raises RegistryNotFound."""
    if path is not None:
        cand = [os.path.dirname(path) if path.endswith(".py") else path]
    else:
        pkg = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        cand = [os.path.join(pkg, "tests"), os.path.join(os.getcwd(), "tests")]
    for c in cand:
        if os.path.isfile(os.path.join(c, "op_db.py")):
            return os.path.abspath(c)
    raise RegistryNotFound("the op registry tests/op_db.py was not found (looked in "
                           f"{', '.join(cand)}): run from a gradcore checkout or pass "
                           "--registry PATH")


def load_registry(path=None):
    """The registry module (``op_db``), imported from ``find_registry(path)``."""
    folder = find_registry(path)
    loaded = sys.modules.get("op_db")
    if loaded is not None and os.path.dirname(os.path.abspath(loaded.__file__)) == folder:
        return loaded
    if folder not in sys.path:
        sys.path.append(folder)
    try:
        return importlib.import_module("op_db")
    except Exception as e:
        raise RegistryNotFound(f"the op registry in {folder} failed to import: "
                               f"{type(e).__name__}: {e}") from e


def op_class(op):
    """'elementwise', 'reduction' or 'other', from the op's family (``OpInfo.module``)."""
    if op.module in _ELEMENTWISE_MODULES:
        return "elementwise"
    if op.module == "reduction":
        return "reduction"
    return "other"


# ---- scaling a sample ------------------------------------------------------------------------

def _scaled_shape(shape, f):
    return tuple(d if d == 1 else d * f for d in shape)


JITTER = 1e-3


def scale_sample(sample, f):
    """The sample with every array tiled ``f`` times along each dimension of size != 1.  The
    floating copies are then shrunk towards 0 by a random factor in (1 - JITTER, 1] each:
    exact repeats would make ties (max, sort) and rank-deficient matrices (solve, qr), while
    shrinking keeps the sign, zeros, NaN/inf and every domain bounded at 0 or +-1."""
    rng = np.random.default_rng(f)
    arrays = []
    for a in sample.arrays:
        if a is not None:
            a = np.tile(a, [1 if d == 1 else f for d in np.shape(a)])
            if f > 1 and is_floating(a.dtype):
                a = a * (1 - JITTER * rng.random(a.shape))
        arrays.append(a)
    return type(sample)(*arrays, args=sample.args, kwargs=sample.kwargs)


def _numel(shape):
    return int(np.prod(shape, dtype=np.int64))


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _largest(reg, torch, op, sample, f):
    """Elements of the largest tensor, input or output, of the sample scaled by ``f``
    (PyTorch runs it, without a graph); raises what PyTorch raises."""
    ins = max([_numel(_scaled_shape(np.shape(a), f)) for a in sample.arrays if a is not None],
              default=0)
    if ins > 16 * MEDIUM_MAX:
        return ins
    s = scale_sample(sample, f)
    with torch.no_grad():
        out = reg.call(op, torch, s, reg.make_inputs(torch, s, "float32", requires_grad=False))
    outs = [t.numel() for t in _flat(out) if hasattr(t, "numel")]
    return max([ins] + outs)


def medium_factor(reg, torch, op, sample):
    """The tiling factor that brings the sample's largest tensor to 64K-256K elements (as near
    as integer factors allow), or None when the sample cannot be scaled."""
    try:
        base = _largest(reg, torch, op, sample, 1)
        lo, f = 1, 2
        while f <= MAX_FACTOR:
            n = _largest(reg, torch, op, sample, f)
            if n <= base:
                return None  # nothing grows
            if n >= MEDIUM_MIN:
                break
            lo, f = f, f * 2
        else:
            return None
        hi = f
        if n <= MEDIUM_MAX:
            return f
        while hi - lo > 1:  # lo is below the range, hi above it
            mid = (lo + hi) // 2
            n = _largest(reg, torch, op, sample, mid)
            if MEDIUM_MIN <= n <= MEDIUM_MAX:
                return mid
            lo, hi = (mid, hi) if n < MEDIUM_MIN else (lo, mid)
        return lo if lo > 1 else None
    except Exception:
        return None


# ---- one op's forward + backward ----------------------------------------------------------

def make_step(reg, lib, op, sample):
    """A callable running the op forward and backward (``autograd.backward`` of every output
    that requires grad with a ones gradient made once; leaf gradients reset each call, so
    every call does the same work), and whether it has a backward."""
    tensors = reg.make_inputs(lib, sample, "float32")
    leaves = [t for t in tensors if t is not None and getattr(t, "requires_grad", False)]

    def outputs():
        return [o for o in _flat(reg.call(op, lib, sample, tensors))
                if getattr(o, "requires_grad", False)]
    grads = [lib.ones_like(o) for o in outputs()]
    if not grads:
        return (lambda: reg.call(op, lib, sample, tensors)), False

    def step():
        for t in leaves:
            t.grad = None
        lib.autograd.backward(outputs(), grads)
    return step, True


def _nothing():
    return None


SLOW_CALL_S = 0.5  # a call slower than this: 3 repeats and one warm-up call (walks stay short)


def time_pair(g_step, t_step, repeat, target_s, clock, warmup_s=0.0):
    """(gradcore median, torch median, per-round ratios); raises Failed naming the library
    whose call raised.  The two callables are timed in alternating batches
    (runner.median_times); one first call of each decides whether the row is slow."""
    slow = False
    for step, who in ((g_step, "gradcore"), (t_step, "torch")):
        t0 = time.perf_counter()
        named(step, who)
        slow = slow or time.perf_counter() - t0 > SLOW_CALL_S
    g, t = median_times([g_step, t_step], [_nothing, _nothing],
                        repeat=min(repeat, 3) if slow else repeat, warmup=1 if slow else 2,
                        target_s=target_s, warmup_s=warmup_s, clock=clock)
    for x, who in ((g, "gradcore"), (t, "torch")):
        if isinstance(x, Exception):
            raise Failed(f"{who}: {type(x).__name__}: {x}") from x
    rounds = [a / b for a, b in zip(g[1], t[1]) if b > 0]
    return g[0], t[0], rounds


def row(name, cls, size, desc, elements, goal, timed=None, error=None, backward=True, **extra):
    """One result row of the op/layer tables."""
    r = {"name": name, "class": cls, "size": size, "sample": desc, "elements": elements,
         "goal": goal, "backward": backward, "error": error,
         "gradcore_s": None, "torch_s": None, "ratio": None, "spread": None, "meets_goal": None}
    if timed is not None:
        g, t, rounds = timed
        r.update(gradcore_s=g, torch_s=t, ratio=g / t if t > 0 else math.inf,
                 spread=[min(rounds), max(rounds)] if rounds else None)
        r["meets_goal"] = bool(r["ratio"] <= goal)
    r.update(extra)
    return r


def named(fn, who, *args):
    """fn(*args), its exception re-raised as Failed naming the library ``who``."""
    try:
        return fn(*args)
    except Exception as e:
        raise Failed(f"{who}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
                     .rstrip(": ")) from e


def describe(e):
    """An exception on one short line (a Failed one already names the library)."""
    text = str(e).splitlines()[0][:200] if str(e) else ""
    return text if isinstance(e, Failed) else f"{type(e).__name__}: {text}".rstrip(": ")


def _elements(sample):
    return max([int(np.size(a)) for a in sample.arrays if a is not None], default=0)


def plan(reg, torch, ops, sizes, say=print):
    """(op, size, sample, elements of its largest tensor) for every op and size asked for
    ('tiny', 'medium'): tiny is the op's first sample; medium the first of its first three
    samples that scales."""
    jobs = []
    for op in ops:
        try:
            samples = op.sample_inputs()
        except Exception as e:
            say(f"note: {op.name}: its samples failed: {type(e).__name__}: {e}")
            continue
        if not samples:
            continue
        if "tiny" in sizes:
            jobs.append((op, "tiny", samples[0], _size_of(reg, torch, op, samples[0], 1)))
        if "medium" in sizes:
            for s in samples[:3]:
                f = medium_factor(reg, torch, op, s)
                if f:
                    jobs.append((op, "medium", scale_sample(s, f),
                                 _size_of(reg, torch, op, s, f)))
                    break
    return jobs


def _size_of(reg, torch, op, sample, f):
    try:
        return _largest(reg, torch, op, sample, f)
    except Exception:
        return _elements(scale_sample(sample, f))


def bench_ops(reg, gradcore, torch, ops, sizes=("tiny",), repeat=5, target_s=0.01,
              clock=None, say=print, tick=None):
    """Rows (see ``row``) for every op of ``ops`` at each size; a failing op is a row with
    its error, never the end of the walk.  ``tick(label)`` is called per job (progress)."""
    import warnings
    clock = clock or time.perf_counter
    rows = []
    jobs = plan(reg, torch, ops, sizes, say)
    if tick is not None:
        tick.total(len(jobs))
    for op, size, sample, elements in jobs:
        cls = op_class(op)
        goal = GOALS[cls] if size == "tiny" else MEDIUM_GOAL
        desc = sample.desc
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                g_step, has_bwd = named(make_step, "gradcore", reg, gradcore, op, sample)
                t_step, _ = named(make_step, "torch", reg, torch, op, sample)
                timed = time_pair(g_step, t_step, repeat, target_s, clock)
            rows.append(row(op.name, cls, size, desc, elements, goal, timed,
                            backward=has_bwd, family=op.module))
        except Exception as e:
            rows.append(row(op.name, cls, size, desc, elements, goal, error=describe(e),
                            family=op.module))
        if tick is not None:
            tick(f"{op.name}@{size}")
    return rows


def select(ops, pattern):
    """The ops whose name matches ``pattern`` (re.search), all when it is None."""
    return [op for op in ops if pattern is None or re.search(pattern, op.name)]
