"""out=, the in-place forms, the node names of the number-operand forms and the top-level names
(issue 12), against PyTorch: walks of PyTorch's own namespaces, not hand-kept lists, where
PyTorch can say what it has."""
import inspect
import re
import warnings

import numpy as np
import pytest

import gradcore
from gradcore.autograd import gradcheck, gradgradcheck
from gradcore.ops import out as out_mod
from gradcore.ops.declare import OPS

NAMESPACES = (("", lambda lib: lib), ("linalg.", lambda lib: lib.linalg),
              ("special.", lambda lib: lib.special),
              ("nn.functional.", lambda lib: lib.nn.functional))


def _lookup(lib, name):
    obj = lib
    for part in name.split("."):
        obj = getattr(obj, part, None)
    return obj


def _torch_takes_out(torch, fn):
    """Whether PyTorch's ``fn`` accepts out=: its signature where Python has one, else what its
    argument parser answers to a call with ``out=5`` (None: it would not say)."""
    try:
        return "out" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        pass
    x = torch.ones(2, 2)
    for args in ((x,), (x, x), (x, x, x), ((x, x),), ()):
        try:
            fn(*args, out=5)
        except TypeError as e:
            msg = str(e)
            if "unexpected keyword argument 'out'" in msg:
                return False
            if "argument 'out'" in msg:
                return True
            if "expected one of" in msg:
                return bool(re.search(r"\bout = None", msg))
        except Exception:  # noqa: BLE001  (a value the probe's arguments can't satisfy)
            pass
    return None


def _public_callables(ns):
    for n in dir(ns):
        fn = getattr(ns, n)
        if not n.startswith("_") and callable(fn) and not isinstance(fn, type):
            yield n, fn


# ---- out=: which functions ------------------------------------------------------------------

def test_every_function_torch_gives_out_takes_it(torch):
    missing = []
    for prefix, get in NAMESPACES:
        for n, fn in _public_callables(get(gradcore)):
            tfn = getattr(get(torch), n, None)
            if tfn is None or not callable(tfn) or isinstance(tfn, type):
                continue
            if _torch_takes_out(torch, tfn) and "out" not in inspect.signature(fn).parameters:
                missing.append(prefix + n)
    assert not missing, f"no out= in gradcore: {missing}"


def test_rules_name_only_existing_functions():
    absent = [n for n in out_mod.RULES if _lookup(gradcore, n) is None]
    assert not absent


def test_no_wrapper_on_methods_and_declared_ops(torch):
    # PyTorch's methods take no out=: they stay the plain functions (no extra frame); a
    # declared op takes out= itself, and refuses it where PyTorch has none
    assert gradcore.Tensor.add is not gradcore.add and gradcore.add._out_of is gradcore.Tensor.add
    assert gradcore.exp is gradcore.Tensor.exp is OPS["exp"].function
    assert "out" in inspect.signature(gradcore.exp).parameters
    for lib in (torch, gradcore):
        with pytest.raises(TypeError, match=re.escape("relu() got an unexpected keyword "
                                                      "argument 'out'")):
            lib.relu(lib.ones(2), out=lib.empty(2))


# ---- out=: parity with PyTorch --------------------------------------------------------------

_R = np.random.default_rng(7)
A = _R.uniform(0.5, 1.5, (3, 4))
B = _R.uniform(0.5, 1.5, (3, 4))
SQ = _R.uniform(-1, 1, (3, 3)) + 3 * np.eye(3)
SYM = SQ + SQ.T
BATCH = _R.uniform(-1, 1, (2, 3, 3))


def _t(lib, a, dtype="float32"):
    return lib.tensor(a, dtype=getattr(lib, dtype))


# name -> lib -> (function, args, kwargs): a sample of every kind
CASES = {
    "exp": lambda lib: (lib.exp, (_t(lib, A),), {}),
    "abs": lambda lib: (lib.abs, (_t(lib, A - 1),), {}),
    "absolute": lambda lib: (lib.absolute, (_t(lib, A - 1),), {}),
    "add": lambda lib: (lib.add, (_t(lib, A), _t(lib, B)), {"alpha": 2}),
    "add_scalar": lambda lib: (lib.add, (_t(lib, A), 3), {}),
    "add_int": lambda lib: (lib.add, (_t(lib, A * 4, "int64"), 3), {}),
    "xlogy": lambda lib: (lib.xlogy, (_t(lib, A), _t(lib, B)), {}),
    "atan2": lambda lib: (lib.atan2, (_t(lib, A), _t(lib, B)), {}),
    "eq": lambda lib: (lib.eq, (_t(lib, A), _t(lib, A)), {}),
    "lt": lambda lib: (lib.lt, (_t(lib, A), _t(lib, B)), {}),
    "clamp": lambda lib: (lib.clamp, (_t(lib, A),), {"min": 0.8}),
    "clamp_tensor": lambda lib: (lib.clamp, (_t(lib, A), _t(lib, B)), {}),
    "clamp_min": lambda lib: (lib.clamp_min, (_t(lib, A), 0.8), {}),
    "where": lambda lib: (lib.where, (_t(lib, A > 1, "bool"), _t(lib, A), _t(lib, B)), {}),
    "sum_dim": lambda lib: (lib.sum, (_t(lib, A), 1), {}),
    "mean_dim": lambda lib: (lib.mean, (_t(lib, A), 0), {"keepdim": True}),
    "prod_dim": lambda lib: (lib.prod, (_t(lib, A), 1), {}),
    "amax": lambda lib: (lib.amax, (_t(lib, A), 1), {}),
    "cumsum": lambda lib: (lib.cumsum, (_t(lib, A), 1), {}),
    "logsumexp": lambda lib: (lib.logsumexp, (_t(lib, A), 1), {}),
    "argmax": lambda lib: (lib.argmax, (_t(lib, A), 1), {}),
    "sort": lambda lib: (lib.sort, (_t(lib, A), 1), {}),
    "topk": lambda lib: (lib.topk, (_t(lib, A), 2), {}),
    "max_dim": lambda lib: (lib.max, (_t(lib, A), 1), {}),
    "min_dim": lambda lib: (lib.min, (_t(lib, A), 0), {}),
    "maximum": lambda lib: (lib.max, (_t(lib, A), _t(lib, B)), {}),
    "aminmax": lambda lib: (lib.aminmax, (_t(lib, A),), {"dim": 1}),
    "kthvalue": lambda lib: (lib.kthvalue, (_t(lib, A), 2, 1), {}),
    "cummax": lambda lib: (lib.cummax, (_t(lib, A), 1), {}),
    "cat": lambda lib: (lib.cat, ([_t(lib, A), _t(lib, B)], 1), {}),
    "stack": lambda lib: (lib.stack, ([_t(lib, A), _t(lib, B)],), {}),
    "hstack": lambda lib: (lib.hstack, ([_t(lib, A), _t(lib, B)],), {}),
    "mm": lambda lib: (lib.mm, (_t(lib, A), _t(lib, B.T)), {}),
    "matmul": lambda lib: (lib.matmul, (_t(lib, BATCH), _t(lib, SQ)), {}),
    "addmm": lambda lib: (lib.addmm, (_t(lib, SQ), _t(lib, A[:, :3]), _t(lib, SQ)), {}),
    "linalg.inv": lambda lib: (lib.linalg.inv, (_t(lib, SQ),), {}),
    "linalg.det": lambda lib: (lib.linalg.det, (_t(lib, BATCH),), {}),
    "linalg.slogdet": lambda lib: (lib.linalg.slogdet, (_t(lib, SQ),), {}),
    "linalg.eigh": lambda lib: (lib.linalg.eigh, (_t(lib, SYM, "float64"),), {}),
    "linalg.vector_norm": lambda lib: (lib.linalg.vector_norm, (_t(lib, A),), {"dim": 1}),
    "special.expit": lambda lib: (lib.special.expit, (_t(lib, A),), {}),
    "special.xlogy": lambda lib: (lib.special.xlogy, (_t(lib, A), _t(lib, B)), {}),
    "F.gelu": lambda lib: (lib.nn.functional.gelu, (_t(lib, A - 1),), {}),
    "F.logsigmoid": lambda lib: (lib.nn.functional.logsigmoid, (_t(lib, A - 1),), {}),
    "F.linear": lambda lib: (lib.nn.functional.linear, (_t(lib, A), _t(lib, B)), {}),
    "F.normalize": lambda lib: (lib.nn.functional.normalize, (_t(lib, A),), {}),
    "F.avg_pool2d": lambda lib: (lib.nn.functional.avg_pool2d, (_t(lib, BATCH[None]), 2), {}),
    "zeros": lambda lib: (lib.zeros, (2, 3), {}),
    "arange": lambda lib: (lib.arange, (5,), {}),
    "eye": lambda lib: (lib.eye, (3,), {}),
}
OUT_DTYPES = ("same", "float64", "int64", "bool")
_KEEPDIM_RESIZE = {"kthvalue"}  # its kernel resizes out with dim kept, then squeezes it


def _outs(lib, ref, dtype, size):
    """out tensor(s) shaped like ``ref`` (the result without out=), of ``dtype`` ("same": the
    result's), with ``size``: "right" (its shape), "empty" (0 elements) or "wrong"."""
    if isinstance(ref, tuple):
        # multi-output: the values in ``dtype``, the rest in their own dtypes
        return tuple(_outs(lib, r, dtype if i == 0 else "same", size) for i, r in enumerate(ref))
    dt = ref.dtype if dtype == "same" else getattr(lib, dtype)
    shape = {"right": tuple(ref.shape), "empty": (0,), "wrong": (7,)}[size]
    return lib.zeros(shape, dtype=dt)


def _run(lib, case, dtype, size):
    fn, args, kwargs = CASES[case](lib)
    ref = fn(*args, **kwargs)
    out = _outs(lib, ref, dtype, size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = fn(*args, **kwargs, out=out)
        except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
            return ("error", type(e), str(e).split("\n")[0])
    resized = [str(w.message) for w in caught if "resized" in str(w.message)]
    outs = out if isinstance(out, tuple) else (out,)
    got = res if isinstance(res, tuple) else (res,)
    assert all(g is o for g, o in zip(got, outs)), "out= must return the out tensors"
    assert isinstance(res, tuple) == isinstance(out, tuple)
    if isinstance(res, tuple) and hasattr(res, "_fields"):
        assert type(res).__name__.endswith("_out")
    return ("ok", [(str(o.dtype).split(".")[-1], tuple(o.shape), o.detach().numpy().tolist())
                   for o in outs], [m.split(" (Triggered")[0] for m in resized])


@pytest.mark.parametrize("size", ["right", "empty", "wrong"])
@pytest.mark.parametrize("dtype", OUT_DTYPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_out_matches_torch(torch, case, dtype, size):
    want = _run(torch, case, dtype, size)
    got = _run(gradcore, case, dtype, size)
    if want[0] == "error":
        if want[1] is NotImplementedError:  # PyTorch lacks that dtype's kernel, gradcore not
            return
        assert got[0] == "error", f"PyTorch raises {want[1].__name__}: {want[2]}"
        assert got[1] is want[1] and got[2] == want[2]
        return
    assert got[0] == "ok", f"gradcore raises {got[1].__name__}: {got[2]}"
    (_, gvals, gwarn), (_, tvals, twarn) = got, want
    # PyTorch may warn once per output and per internal copy: the messages, not their count
    if case in _KEEPDIM_RESIZE:  # PyTorch names both shapes with dim kept
        gwarn, twarn = ([re.sub(r"shape \[[0-9, ]*\]", "shape", m) for m in w]
                        for w in (gwarn, twarn))
    assert set(gwarn) == set(twarn)
    for (gd, gs, gv), (td, ts, tv) in zip(gvals, tvals):
        assert (gd, gs) == (td, ts)
        np.testing.assert_allclose(np.asarray(gv, dtype=float), np.asarray(tv, dtype=float),
                                   rtol=2e-6, atol=1e-6)


# every function RULES lists, called on the first of these argument forms PyTorch accepts
def _forms(lib):
    x, b = lib.tensor(A[:3, :3], dtype=lib.float32), lib.tensor(A[:3, :3] > 1)
    i, x3 = lib.tensor([0, 1]), lib.tensor(np.stack([A[:3, :3]] * 2), dtype=lib.float32)
    return [(x,), (x, x), (x, 1), (x, 0), (x, x, x), ([x, x],), (b, x, x), (x3, x3), (x, 2, 0),
            ((3, 3),), (3,), (0, 3), (3, 3), (x, i), (x, 0, i), (x[0],), (x[0], x[0]),
            (x, x[0]), (x, x, x[0]), (x[0], x, x[0]), (x, x[0], x[0])]


_NOT_COMPARED = {  # with a reason each
    "bernoulli": "random", "empty": "uninitialized", "normal": "random", "rand": "random",
    "randn": "random", "randint": "random", "randperm": "random", "multinomial": "random",
    "searchsorted": "the forms' sequences are unsorted", "bucketize": "unsorted boundaries",
    "linalg.eigh": "eigenvectors' signs (LAPACK's convention, not out=)",
    "chain_matmul": "deprecated; PyTorch writes other values than the cast product into an "
                    "integer out",
    "linalg.cholesky_ex": "the form is not positive-definite: PyTorch's L there is LAPACK's "
                          "partial result, NaN in gradcore (test_more_math_names checks info)",
    "cross": "torch.cross without dim warns once per process (test_structure_ops checks "
             "that warning); linalg.cross has the same rule",
}


def _outcome(lib, fn, args, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref = fn(*args)
            out = (tuple(lib.empty(0, dtype=getattr(lib, dtype) if j == 0 else r.dtype)
                         for j, r in enumerate(ref)) if isinstance(ref, tuple)
                   else lib.empty(0, dtype=getattr(lib, dtype)))
            res = fn(*args, out=out)
        except Exception as e:  # noqa: BLE001  (compared with PyTorch's)
            return ("error", type(e).__name__, str(e).split("\n")[0])
    outs = res if isinstance(res, tuple) else (res,)
    return ("ok", [(str(o.dtype).split(".")[-1], tuple(o.shape)) for o in outs],
            [o.double().numpy() for o in outs])


def test_out_matches_torch_for_every_rule(torch):
    wrong, sampled = [], 0
    for n in sorted(set(out_mod.RULES) - set(_NOT_COMPARED)):
        tfn, gfn = _lookup(torch, n), _lookup(gradcore, n)
        if tfn is None or gfn is None:
            continue
        for k, targs in enumerate(_forms(torch)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    tfn(*targs)
                    gfn(*_forms(gradcore)[k])
                except Exception:  # noqa: BLE001  (a form one of them doesn't take)
                    continue
            break
        else:
            continue
        sampled += 1
        for dtype in ("float32", "float64", "int64", "bool"):
            want = _outcome(torch, tfn, _forms(torch)[k], dtype)
            if want[:2] == ("error", "NotImplementedError"):  # PyTorch lacks the kernel
                continue
            got = _outcome(gradcore, gfn, _forms(gradcore)[k], dtype)
            if got[:2] != want[:2]:
                wrong.append((n, dtype, want[:2], got[:2]))
            elif got[0] == "ok":  # the values: float32's rounding apart
                for g, t in zip(got[2], want[2]):
                    np.testing.assert_allclose(g, t, rtol=1e-6, atol=1e-6, err_msg=n)
    assert sampled > 200
    assert not wrong


# ---- out=: the errors and the writing -------------------------------------------------------

def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e), str(e).split("\n")[0]
    return None


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.exp(x, out=lib.empty(0)),
    lambda lib, x: lib.absolute(x, out=lib.empty(0)),
    lambda lib, x: lib.add(x, 1, out=lib.empty(0)),
    lambda lib, x: lib.divide(x, 2, out=lib.empty(0)),
    lambda lib, x: lib.special.expit(x, out=lib.empty(0)),
    lambda lib, x: lib.cat([x, x], out=lib.empty(0)),
    lambda lib, x: lib.sort(x, out=(lib.empty(0), lib.empty(0, dtype=lib.int64))),
    lambda lib, x: lib.max(x, 0, out=(lib.empty(0), lib.empty(0, dtype=lib.int64))),
    lambda lib, x: lib.exp(x.detach(), out=lib.empty(3, requires_grad=True)),
])
def test_out_refuses_autograd(torch, call):
    want = _error(lambda: call(torch, torch.ones(3, requires_grad=True)))
    got = _error(lambda: call(gradcore, gradcore.ones(3, requires_grad=True)))
    assert want is not None and got == want


def test_out_without_grad_mode_is_written(torch):
    for lib in (torch, gradcore):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        o = lib.empty(2, requires_grad=True)
        with lib.no_grad():
            r = lib.exp(x, out=o)
        assert r is o and o.requires_grad and o.grad_fn is None
        np.testing.assert_allclose(o.detach().numpy(), np.exp([1.0, 2.0]), rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda lib, x: lib.exp(x, out=5),
    lambda lib, x: lib.exp(x, out=(lib.empty(0),)),
    lambda lib, x: lib.sort(x, out=(lib.empty(0),)),
    lambda lib, x: lib.sort(x, out=(lib.empty(0), lib.empty(0), lib.empty(0))),
])
def test_out_refuses_what_is_not_its_tensors(torch, call):
    want = _error(lambda: call(torch, torch.ones(3)))
    got = _error(lambda: call(gradcore, gradcore.ones(3)))
    assert want is not None and got is not None and got[0] is want[0]
    if "argument 'out' must be Tensor" in want[1] or "expected tuple of" in want[1]:
        assert got[1] == want[1]


def test_out_into_a_view_writes_the_base(torch):
    res = []
    for lib in (torch, gradcore):
        base = lib.zeros(2, 4)
        view = base[:, ::2]
        v0 = base._version
        r = lib.add(lib.ones(2, 2), 1, out=view)
        assert r is view and base._version > v0
        res.append(base.numpy().tolist())
    assert res[0] == res[1]


def test_out_aliasing_an_input(torch):
    res = []
    for lib in (torch, gradcore):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0]])
        lib.mm(x.clone(), x.clone(), out=x)
        y = lib.tensor([1.0, 2.0])
        lib.mul(y, y, out=y)
        res.append((x.numpy().tolist(), y.numpy().tolist()))
    assert res[0] == res[1]


def test_out_resize_of_a_view_is_refused_not_garbage():
    base = gradcore.zeros(6)
    with pytest.warns(UserWarning, match="resized"):
        with pytest.raises(RuntimeError, match="resize a view"):
            gradcore.exp(gradcore.ones(2), out=base[:3])
    assert base.tolist() == [0.0] * 6


def test_out_device_mismatch():
    x = gradcore.ones(2)
    fake = gradcore.empty(2)
    fake._be = type("OtherBackend", (), {"device": gradcore.device("cuda", 0)})()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        out_mod.write(fake, x)


def test_out_signature_and_docs():
    for fn in (gradcore.exp, gradcore.cat, gradcore.sort, gradcore.linalg.inv,
               gradcore.special.expit, gradcore.zeros):
        sig = inspect.signature(fn)
        assert sig.parameters["out"].kind is inspect.Parameter.KEYWORD_ONLY
        assert fn.__doc__ and fn.__doc__ == getattr(fn, "_out_of", fn).__doc__


# ---- in-place forms -------------------------------------------------------------------------

def _torch_inplace_functions(torch):
    return [n for n in dir(torch) if n.endswith("_") and not n.startswith("_")]


_NO_OUT_OF_PLACE_IN_GRADCORE = {"alpha_dropout_", "as_strided_", "conj_physical_",
                                "embedding_renorm_", "feature_alpha_dropout_",
                                "feature_dropout_", "ldexp_", "resize_as_", "resize_as_sparse_"}


def test_top_level_inplace_functions_exist(torch):
    missing = [n for n in _torch_inplace_functions(torch)
               if not hasattr(gradcore, n) and n not in _NO_OUT_OF_PLACE_IN_GRADCORE]
    assert not missing
    # the exception list stays true: none of them has an out-of-place op here yet
    assert not [n for n in _NO_OUT_OF_PLACE_IN_GRADCORE
                if hasattr(gradcore, n[:-1]) and not hasattr(gradcore, n)]


_ARGS = {"clamp_": (0.4,), "clamp_min_": (0.4,), "clamp_max_": (0.6,), "clip_": (0.4, 0.6),
         "xlogy_": (2.0,), "gcd_": None, "lcm_": None, "fill_": (3.0,), "threshold_": (0.5, 2.0),
         "dropout_": None, "rrelu_": None, "index_put_": None, "detach_": None, "logit_": (0.1,),
         "addmv_": None, "ldexp_": None, "as_strided_": ((2,), (1,), 1), "resize_as_": None,
         "alpha_dropout_": (0.5, False), "feature_dropout_": None,  # (needs 2-D input)
         "feature_alpha_dropout_": None}


def test_top_level_inplace_functions_match_torch(torch):
    checked = 0
    for n in _torch_inplace_functions(torch):
        if not hasattr(gradcore, n) or _ARGS.get(n, ()) is None:
            continue
        vals = np.array([0.2, 0.45, 0.7])
        t, g = torch.tensor(vals), gradcore.tensor(vals)
        rt, rg = getattr(torch, n)(t, *_ARGS.get(n, ())), getattr(gradcore, n)(g, *_ARGS.get(n, ()))
        assert rt is t and rg is g, n
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12, atol=1e-12, err_msg=n)
        checked += 1
    assert checked > 50


def test_detach_dropout_gcd_inplace(torch):
    x = gradcore.ones(3, requires_grad=True) * 2
    assert gradcore.detach_(x) is x and not x.requires_grad and x.grad_fn is None
    x = gradcore.ones(1000)
    assert gradcore.dropout_(x, 0.5, True) is x and set(x.unique().tolist()) == {0.0, 2.0}
    a, b = gradcore.tensor([12, 18]), gradcore.tensor([8, 12])
    assert gradcore.gcd_(a, b) is a and a.tolist() == torch.gcd(torch.tensor([12, 18]),
                                                                 torch.tensor([8, 12])).tolist()


_MATRIX_INPLACE = {
    "addmm_": lambda lib, d: (_t(lib, SQ, d), _t(lib, A[:, :3], d), _t(lib, SQ, d)),
    "addmv_": lambda lib, d: (_t(lib, A[:, 0], d), _t(lib, A, d), _t(lib, B[0], d)),
    "addr_": lambda lib, d: (_t(lib, A, d), _t(lib, A[:, 0], d), _t(lib, B[0], d)),
    "baddbmm_": lambda lib, d: (_t(lib, BATCH, d), _t(lib, BATCH, d), _t(lib, BATCH, d)),
    "addbmm_": lambda lib, d: (_t(lib, SQ, d), _t(lib, BATCH, d), _t(lib, BATCH, d)),
}


@pytest.mark.parametrize("name", sorted(_MATRIX_INPLACE))
def test_matrix_inplace_forms(torch, name):
    res = []
    for lib in (torch, gradcore):
        self, *rest = _MATRIX_INPLACE[name](lib, "float64")
        r = getattr(self, name)(*rest, beta=0.5, alpha=2)
        assert r is self
        res.append(self.numpy())
    np.testing.assert_allclose(res[1], res[0], rtol=1e-12)

    def f(s, x, y):  # through autograd: the in-place form of a non-leaf
        return getattr(s * 1, name)(x, y, beta=0.5, alpha=2)
    args = [t.requires_grad_() for t in _MATRIX_INPLACE[name](gradcore, "float64")]
    assert gradcheck(f, args) and gradgradcheck(f, args)
    want = f(*[torch.tensor(a.detach().numpy(), requires_grad=True) for a in args])
    assert f(*args).grad_fn.name() == want.grad_fn.name()


@pytest.mark.parametrize("name", ["eq_", "ne_", "lt_", "le_", "gt_", "ge_", "greater_", "less_",
                                  "greater_equal_", "less_equal_", "not_equal_",
                                  "logical_and_", "logical_or_", "logical_xor_", "true_divide_"])
def test_comparison_and_logical_inplace_methods(torch, name):
    res = []
    for lib in (torch, gradcore):
        x, y = lib.tensor([1.0, 2.0, 0.0]), lib.tensor([1.0, 3.0, 0.5])
        assert getattr(x, name)(y) is x
        res.append((str(x.dtype).split(".")[-1], x.tolist()))
    assert res[0] == res[1]


def test_unary_bitwise_cumsum_inplace_methods(torch):
    res = []
    for lib in (torch, gradcore):
        i = lib.tensor([1, 2, 5])
        b = lib.tensor([True, False])
        f = lib.tensor([1.0, 2.0, 3.0])
        i.bitwise_not_()
        b.logical_not_()
        f.cumsum_(0)
        j = lib.tensor([6, 3])
        j.bitwise_and_(lib.tensor([3, 5]))
        res.append((i.tolist(), b.tolist(), f.tolist(), j.tolist()))
    assert res[0] == res[1]
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        gradcore.tensor([1, 2]).true_divide_(gradcore.tensor([2, 2]))


# ---- node names of the number-operand forms -------------------------------------------------

_BINARY_FUNCTIONS = ("add sub mul div pow atan2 xlogy copysign fmod remainder maximum minimum "
                     "fmax fmin hypot nextafter float_power true_divide logaddexp logaddexp2 "
                     "heaviside rsub special.xlogy clamp_min clamp_max").split()
_FORMS = {"t": lambda t, u: (t,), "tt": lambda t, u: (t, u), "ts": lambda t, u: (t, 2.0),
          "st": lambda t, u: (2.0, t), "tsi": lambda t, u: (t, 2), "sti": lambda t, u: (2, t)}


def _node_names(lib, fn, form):
    t = lib.tensor([0.7, 1.3], dtype=lib.float64, requires_grad=True)
    u = lib.tensor([0.4, 1.6], dtype=lib.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            r = fn(*_FORMS[form](t, u))
        except Exception:  # noqa: BLE001
            return "error"
    return r.grad_fn.name() if r.grad_fn is not None else None


def test_node_names_of_every_declared_and_binary_op(torch):
    import operator
    names = sorted(set(OPS) | set(_BINARY_FUNCTIONS))
    calls = [(n, _lookup(torch, n), _lookup(gradcore, n)) for n in names]
    calls += [("operator." + n, getattr(operator, n), getattr(operator, n))
              for n in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow")]
    wrong, checked = [], 0
    for n, tfn, gfn in calls:
        if tfn is None or gfn is None:
            continue
        for form in _FORMS:
            want = _node_names(torch, tfn, form)
            if want == "error":
                continue
            got = _node_names(gradcore, gfn, form)
            checked += 1
            if got != want:
                wrong.append((n, form, want, got))
    assert checked > 100
    assert not wrong


def test_scalar_form_gradients():
    t = gradcore.tensor([0.7, 1.3], dtype=gradcore.float64, requires_grad=True)
    for f in (lambda a: gradcore.xlogy(a, 2.0), lambda a: gradcore.xlogy(2.0, a),
              lambda a: gradcore.copysign(a, -2.0), lambda a: gradcore.sub(2.0, a),
              lambda a: gradcore.div(2.0, a), lambda a: gradcore.rsub(a, a * a),
              lambda a: gradcore.clamp_min(a, 1.0), lambda a: gradcore.clamp_max(a, a * 0 + 1.0),
              lambda a: gradcore.special.xlog1py(a, 2.0)):
        assert gradcheck(f, (t,)) and gradgradcheck(f, (t,))


def test_scalar_first_forms_match_torch_values(torch):
    for lib in (torch, gradcore):
        t = lib.tensor([1, 2], dtype=lib.int64)
        r = (lib.sub(2.5, t), lib.div(3, t), lib.rsub(t, 2.5), lib.special.xlog1py(t * 1.0, 2))
        if lib is torch:
            want = [(str(x.dtype).split(".")[-1], x.tolist()) for x in r]
    got = [(str(x.dtype).split(".")[-1], x.tolist()) for x in r]
    assert got == want


# ---- top-level names ------------------------------------------------------------------------

_NOT_BOUND = {"embedding_bag"}  # torch's top-level form returns ATen's four tensors


def test_top_level_names_of_functional_ops_and_methods(torch):
    missing = sorted(n for n in set(dir(torch)) - set(dir(gradcore))
                     if not n.startswith("_") and callable(getattr(torch, n))
                     and not isinstance(getattr(torch, n), type)
                     and (hasattr(gradcore.nn.functional, n) or hasattr(gradcore.Tensor, n))
                     and n not in _NOT_BOUND)
    assert not missing


def test_top_level_forms_match_torch(torch):
    x, w, b = _R.standard_normal((2, 3, 4)), _R.standard_normal(3), _R.standard_normal(3)
    rm, rv = np.zeros(3), np.ones(3)
    ew, idx = _R.standard_normal((5, 3)), np.array([[1, 4], [0, 4]])
    logits, target = _R.standard_normal(4), _R.uniform(0, 1, 4)

    def calls(lib):
        T = lambda a: lib.tensor(a)  # noqa: E731
        return [
            lib.layer_norm(T(x), [4]),
            lib.batch_norm(T(x), T(w), T(b), T(rm), T(rv), True, 0.1, 1e-5, False),
            lib.instance_norm(T(x), T(w), T(b), None, None, True, 0.1, 1e-5, False),
            lib.embedding(T(ew), T(idx)),
            lib.embedding(T(ew), T(idx), 4),
            lib.binary_cross_entropy_with_logits(T(logits), T(target)),
            lib.binary_cross_entropy_with_logits(T(logits), T(target), None, None, 2),
            lib.detach(T(x)),
        ]
    for g, t in zip(calls(gradcore), calls(torch)):
        assert tuple(g.shape) == tuple(t.shape)
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)
    for lib in (torch, gradcore):
        assert lib.is_signed(lib.ones(1)) and not lib.is_signed(lib.ones(1, dtype=lib.uint8))
        assert lib.get_device(lib.ones(1)) == -1 and not lib.is_inference(lib.ones(1))


def test_methods_of_top_level_functions(torch):
    # a Tensor method PyTorch has whose function gradcore has is a method here too
    missing = [n for n in dir(torch.Tensor) if not n.startswith("_")
               and not hasattr(gradcore.Tensor, n) and callable(getattr(gradcore, n, None))]
    assert not missing
    res = []
    for lib in (torch, gradcore):
        a = lib.tensor([6, 3])
        res.append((a.bitwise_and(lib.tensor([3, 5])).tolist(), a.bitwise_or(1).tolist(),
                    a.bitwise_xor(1).tolist()))
    assert res[0] == res[1]


def test_out_warning_points_at_the_caller_and_tuples_are_checked_first():
    with pytest.warns(UserWarning, match="resized") as caught:
        gradcore.exp(gradcore.ones(2), out=gradcore.empty(3))
        gradcore.add(gradcore.ones(2), 1, out=gradcore.empty(3))
        gradcore.sort(gradcore.ones(2), out=(gradcore.empty(3),
                                             gradcore.empty(3, dtype=gradcore.int64)))
    assert {w.filename for w in caught} == {__file__}
    values, indices = gradcore.zeros(2), gradcore.zeros(2)  # indices of the wrong dtype
    with pytest.raises(RuntimeError, match="Expected out tensor to have dtype long int, but "
                                           "got float instead"):
        gradcore.sort(gradcore.tensor([3.0, 1.0]), out=(values, indices))
    assert values._version == 0 and values.tolist() == [0.0, 0.0]
