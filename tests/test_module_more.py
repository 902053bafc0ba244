"""Module against PyTorch: full backward (pre-)hooks, forward hooks' options, the global
module hooks, state_dict hooks and extra state, get_submodule / get_buffer / set_submodule,
ParameterList, ParameterDict and ModuleDict."""
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
from gradcore.nn import module as gmodule
from gradcore.nn.containers import ParameterDict, ParameterList


def _np(t):
    return None if t is None else t.detach().cpu().numpy().copy()


def _mm(lib):
    """torch.nn.modules.module, or gradcore's (gradcore.nn.module: gradcore.nn.modules.module
    does not exist yet)."""
    return gmodule if lib is gradcore else lib.nn.modules.module


def _two_out(m):
    class TwoOut(m.Module):
        def __init__(self):
            super().__init__()
            self.fc = m.Linear(3, 2)

        def forward(self, x, y, k=1.0):
            return self.fc(x) * k, (y * 3).sum(), 5
    return TwoOut()


def _hooked_run(lib, pre_ret, post_ret, y_grad, dtype="float64"):
    """Run the TwoOut module with full backward pre/post hooks; record what they saw."""
    m = _two_out(lib.nn).to(getattr(lib, dtype))
    w = np.arange(6.0).reshape(2, 3) / 7
    with lib.no_grad():
        m.fc.weight.copy_(lib.tensor(w))
        m.fc.bias.fill_(0.5)
    log = []

    def pre(mod, go):
        assert mod is m
        log.append(("pre", [_np(g) for g in go]))
        return pre_ret(go)

    def post(mod, gi, go):
        log.append(("post", [_np(g) for g in gi], [_np(g) for g in go]))
        return post_ret(gi)

    m.register_full_backward_pre_hook(pre)
    m.register_full_backward_hook(post)
    x = lib.ones(4, 3, dtype=getattr(lib, dtype), requires_grad=True)
    y = lib.ones(2, dtype=getattr(lib, dtype), requires_grad=y_grad)
    a, b, c = m(x, y, k=2.0)
    assert c == 5
    loss = (a * a).sum() + (b if y_grad else 0)
    loss.backward()
    assert [e[0] for e in log] == ["pre", "post"]
    return log, _np(x.grad), _np(y.grad) if y_grad else None, _np(m.fc.weight.grad)


def _assert_same(t, g):
    if isinstance(t, (list, tuple)):
        assert len(t) == len(g)
        for a, b in zip(t, g):
            _assert_same(a, b)
    elif isinstance(t, np.ndarray):
        np.testing.assert_allclose(g, t, rtol=1e-12)
    else:
        assert t == g


@pytest.mark.parametrize("y_grad", [False, True])
@pytest.mark.parametrize("variant", ["observe", "modify"])
def test_full_backward_hooks_match_torch(torch, y_grad, variant):
    if variant == "observe":
        pre_ret, post_ret = (lambda go: None), (lambda gi: None)
    else:
        pre_ret = lambda go: (go[0] * 10, go[1], None)  # noqa: E731
        post_ret = lambda gi: (gi[0] + 1, gi[1])  # noqa: E731
    t = _hooked_run(torch, pre_ret, post_ret, y_grad)
    g = _hooked_run(gradcore, pre_ret, post_ret, y_grad)
    _assert_same(t, g)


def test_full_backward_hook_no_input_requires_grad(torch):
    def run(lib):
        m = lib.nn.Linear(3, 2).double()
        seen = []
        m.register_full_backward_hook(lambda mod, gi, go: seen.append((gi, _np(go[0]))))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            m(lib.ones(2, 3, dtype=lib.float64)).sum().backward()
        assert any("no inputs require gradients" in str(x.message) for x in w)
        return seen
    t, g = run(torch), run(gradcore)
    assert len(t) == len(g) == 1 and t[0][0] == g[0][0] == (None,)
    np.testing.assert_array_equal(g[0][1], t[0][1])


def test_full_backward_hook_errors_and_removal(torch):
    m = nn.Linear(2, 2)
    h = m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    x = gradcore.ones(1, 2, requires_grad=True)
    with pytest.raises(RuntimeError, match="Backward hook returned an invalid number of "
                                           "grad_input, got 2, but expected 1"):
        m(x).sum().backward()
    h.remove()
    h = m.register_full_backward_pre_hook(lambda mod, go: (go[0], go[0]))
    with pytest.raises(RuntimeError, match="Backward pre hook returned an invalid number of "
                                           "grad_output, got 2, but expected 1"):
        m(x).sum().backward()
    h.remove()
    calls = []
    h = m.register_full_backward_hook(lambda *a: calls.append(1))
    h2 = m.register_full_backward_hook(lambda *a: calls.append(0), prepend=True)
    m(x).sum().backward()
    assert calls == [0, 1]
    h.remove(), h2.remove()
    m(x).sum().backward()
    assert calls == [0, 1] and not m._backward_hooks
    with gradcore.no_grad():  # no graph: no hooks, no error
        m.register_full_backward_hook(lambda *a: calls.append(2))
        m(x)
    assert calls == [0, 1]


def test_global_module_hooks(torch):
    def run(lib):
        mm = _mm(lib)
        log = []
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU()).double()
        hs = [mm.register_module_forward_pre_hook(
                  lambda mod, args: log.append(("fpre", type(mod).__name__))),
              mm.register_module_forward_hook(
                  lambda mod, args, out: log.append(("fwd", type(mod).__name__))),
              mm.register_module_full_backward_pre_hook(
                  lambda mod, go: log.append(("bpre", type(mod).__name__))),
              mm.register_module_full_backward_hook(
                  lambda mod, gi, go: log.append(("bwd", type(mod).__name__)))]
        m[0].register_forward_hook(lambda mod, a, o: log.append(("own", "Linear")))
        x = lib.ones(1, 2, dtype=lib.float64, requires_grad=True)
        m(x).sum().backward()
        for h in hs:
            h.remove()
        m(x)
        return log
    g, t = run(gradcore), run(torch)
    assert g == t


def test_forward_hook_options(torch):
    def run(lib):
        log = []
        m = lib.nn.Linear(2, 2)
        m.register_forward_pre_hook(lambda mod, args, kwargs: log.append(("pk", len(args),
                                                                          sorted(kwargs))),
                                    with_kwargs=True)
        m.register_forward_pre_hook(lambda mod, args: log.append(("first",)), prepend=True)
        m.register_forward_hook(lambda mod, args, kwargs, out: log.append(("fk", sorted(kwargs))),
                                with_kwargs=True)
        m.register_forward_hook(lambda mod, args, out: log.append(("fwd0",)), prepend=True)
        m(input=lib.ones(1, 2))
        return log
    assert run(gradcore) == run(torch)


def test_forward_hook_always_call(torch):
    def run(lib):
        class Boom(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")
        log = []
        m = Boom()
        m.register_forward_hook(lambda mod, a, out: log.append(("always", out)),
                                always_call=True)
        m.register_forward_hook(lambda mod, a, out: log.append(("never", out)))
        with pytest.raises(ValueError, match="boom"):
            m(1)
        h = _mm(lib).register_module_forward_hook(
            lambda mod, a, out: log.append(("global", out)), always_call=True)
        try:
            with pytest.raises(ValueError, match="boom"):
                m(2)
        finally:
            h.remove()
        return log
    assert run(gradcore) == run(torch)


def test_forward_pre_hook_bad_return():
    m = nn.Linear(2, 2)
    m.register_forward_pre_hook(lambda mod, a, k: 3, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"forward pre-hook must return None or a tuple of "
                                           r"\(new_args, new_kwargs\), but got 3."):
        m(gradcore.ones(1, 2))


def test_registration_hooks(torch):
    def run(lib):
        mm = _mm(lib)
        log = []
        hs = [mm.register_module_buffer_registration_hook(
                  lambda mod, n, b: log.append(("buf", n)) or b * 2),
              mm.register_module_parameter_registration_hook(
                  lambda mod, n, p: log.append(("par", n))),
              mm.register_module_module_registration_hook(
                  lambda mod, n, s: log.append(("mod", n)))]
        try:
            m = lib.nn.Module()
            m.register_buffer("b", lib.ones(2))
            m.p = lib.nn.Parameter(lib.ones(1))
            m.sub = lib.nn.Module()
            m.add_module("sub2", lib.nn.Module())
        finally:
            for h in hs:
                h.remove()
        return log, _np(m.b)
    t, g = run(torch), run(gradcore)
    assert t[0] == g[0]
    np.testing.assert_array_equal(g[1], t[1])


def test_state_dict_hooks_and_extra_state(torch):
    def run(lib):
        class Extra(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(1, 1)
                self.state = {"step": 3}

            def get_extra_state(self):
                return dict(self.state)

            def set_extra_state(self, s):
                self.state = s
        log = []
        m = Extra()
        m.register_state_dict_pre_hook(lambda mod, prefix, kv: log.append(("pre", prefix, kv)))
        m.register_state_dict_post_hook(lambda mod, sd, prefix, meta: log.append(
            ("post", list(sd))))
        m.fc.register_load_state_dict_pre_hook(
            lambda mod, sd, prefix, *a: log.append(("lpre", prefix, sorted(sd))))
        m.register_load_state_dict_post_hook(
            lambda mod, keys: log.append(("lpost", keys.missing_keys, keys.unexpected_keys)))
        sd = m.state_dict()
        m2 = Extra()
        m2.state = None
        r = m2.load_state_dict(sd)
        n = Extra()
        n.register_load_state_dict_post_hook(lambda mod, keys: keys.missing_keys.clear())
        sd2 = OrderedDict(sd)
        del sd2["fc.bias"]
        r2 = n.load_state_dict(sd2)
        m.fc.register_load_state_dict_post_hook(lambda mod, keys: log.append(
            ("fcpost", list(keys.missing_keys))))
        r3 = m.load_state_dict(sd2, strict=False)
        return log, list(sd), m2.state, str(r), str(r2), list(r3.missing_keys)
    g = run(gradcore)
    t = run(torch)
    assert g == t


def test_submodule_accessors_match_torch(torch):
    def build(lib):
        m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.BatchNorm1d(2))
        m.register_buffer("plain", lib.ones(1), persistent=False)
        return m

    def errors(m, lib):
        out = []
        for fn, target in ((m.get_submodule, "5"), (m.get_submodule, "0.weight"),
                           (m.get_parameter, "1.running_mean"), (m.get_parameter, "0.nope"),
                           (m.get_buffer, "0.weight"), (m.get_buffer, "1.nope"),
                           (m.set_submodule, "")):
            try:
                fn(target) if fn != m.set_submodule else fn(target, lib.nn.ReLU())
            except (AttributeError, ValueError) as e:
                out.append((type(e).__name__, str(e)))
        try:
            m.set_submodule("0", 3)
        except ValueError as e:
            out.append(str(e).split(",")[0])
        try:
            m.set_submodule("9", lib.nn.ReLU(), strict=True)
        except AttributeError as e:
            out.append(str(e))
        return out
    t, g = build(torch), build(gradcore)
    assert errors(g, gradcore) == errors(t, torch)
    assert g.get_buffer("1.running_var") is g[1].running_var
    assert g.get_buffer("plain") is g.plain and "plain" not in g.state_dict()
    g.set_submodule("1", nn.ReLU())
    t.set_submodule("1", torch.nn.ReLU())
    g.set_submodule("0.extra", nn.Tanh())
    t.set_submodule("0.extra", torch.nn.Tanh())
    assert repr(g) == repr(t)


def test_named_modules_remove_duplicate_and_memo(torch):
    def run(lib):
        shared = lib.nn.Linear(1, 1)
        m = lib.nn.Sequential(shared, lib.nn.Sequential(shared, lib.nn.ReLU()))
        a = [n for n, _ in m.named_modules()]
        b = [n for n, _ in m.named_modules(remove_duplicate=False)]
        c = [n for n, _ in m.named_modules(prefix="root")]
        d = [n for n, _ in m.named_modules(memo={shared})]
        e = [n for n, _ in m.named_parameters(remove_duplicate=False)]
        return a, b, c, d, e
    assert run(gradcore) == run(torch)


def test_zero_grad_and_to_memory_format():
    m = nn.Linear(2, 2)
    m(gradcore.ones(1, 2)).sum().backward()
    g = m.weight.grad
    m.zero_grad(set_to_none=False)
    assert m.weight.grad is g and not bool(g.any())
    m.zero_grad()
    assert m.weight.grad is None
    assert m.to(memory_format=None) is m
    assert m.to(gradcore.float64, memory_format=None).weight.dtype == gradcore.float64


def test_parameter_list_matches_torch(torch):
    def run(lib, PL):
        pl = PL([lib.nn.Parameter(lib.ones(2, 3)), lib.zeros(2)])
        pl.append(lib.zeros(1, dtype=lib.float64))
        pl.extend([lib.ones(4), "obj"])
        pl += [lib.ones(1)]
        pl[0] = lib.zeros(3, 3)
        out = [repr(pl), len(pl), [n for n, _ in pl.named_parameters()],
               [type(p).__name__ for p in pl], repr(pl[1:4]), repr(pl[::-2]),
               type(pl[-2]).__name__, list(pl.state_dict())]
        for bad in (lambda: pl[9], lambda: pl.extend(lib.ones(2)), lambda: pl(1)):
            try:
                bad()
            except (IndexError, TypeError, RuntimeError) as e:
                out.append((type(e).__name__, str(e)))
        return out
    t = run(torch, torch.nn.ParameterList)
    g = run(gradcore, ParameterList)
    assert [str(x).replace("gradcore", "torch") for x in g] == [str(x) for x in t]


def test_parameter_dict_matches_torch(torch):
    def run(lib, PD):
        d = PD({"w": lib.ones(2), "b": lib.nn.Parameter(lib.zeros(1, dtype=lib.float64)),
                "o": 3})
        out = [repr(d), list(d.keys()), [n for n, _ in d.named_parameters()]]
        d.update([("z", lib.ones(1)), ("a", lib.ones(2, 2))])
        d.update(OrderedDict([("y", lib.ones(1)), ("c", lib.ones(1))]))
        out += [list(d), list(reversed(d)), "z" in d, d.get("nope", 7), len(d)]
        out += [d.setdefault("w") is d["w"], type(d.setdefault("new", lib.ones(3))).__name__]
        out += [d.popitem()[0], type(d.pop("z")).__name__, list(d)]
        out += [list(d.copy()), list(d.fromkeys(["p", "q"])), list(d | PD({"zz": lib.ones(1)}))]
        d |= PD({"k": lib.ones(1)})
        out += [list(d), list(d.state_dict())]
        for bad in (lambda: d[1], lambda: d.update(3), lambda: d.update([(1, 2, 3)]),
                    lambda: d.update([3]), lambda: d(1), lambda: d["missing"]):
            try:
                bad()
            except (TypeError, ValueError, RuntimeError, KeyError, AttributeError) as e:
                out.append((type(e).__name__, str(e)))
        d.clear()
        out.append(len(d))
        return out
    t = run(torch, torch.nn.ParameterDict)
    g = run(gradcore, ParameterDict)
    assert [str(x).replace("gradcore", "torch") for x in g] == [str(x) for x in t]


def test_module_dict_matches_torch(torch):
    def run(lib):
        d = lib.nn.ModuleDict({"b": lib.nn.ReLU(), "a": lib.nn.Tanh()})
        d.update([("c", lib.nn.Identity())])
        d.update(lib.nn.ModuleDict({"d": lib.nn.Sigmoid()}))
        d["e"] = lib.nn.ReLU()
        out = [repr(d), list(d), list(d.keys()), [type(v).__name__ for v in d.values()],
               [k for k, _ in d.items()], "a" in d, len(d), type(d.pop("a")).__name__, list(d)]
        for bad in (lambda: d.update(3), lambda: d.update([3]), lambda: d.update([(1, 2, 3)])):
            try:
                bad()
            except (TypeError, ValueError) as e:
                out.append((type(e).__name__, str(e)))
        del d["b"]
        d.clear()
        out.append(len(d))
        return out
    assert run(gradcore) == run(torch)


def test_bfloat16_and_to_empty_as_pytorch(torch):
    """Module.bfloat16() casts floating parameters and buffers (not integer buffers);
    to_empty(device=) keeps shapes, dtypes and parameter-ness, values uninitialized."""
    import gradcore
    results = {}
    for lib in (torch, gradcore):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))
        m.bfloat16()
        results[lib.__name__] = {k: str(v.dtype).split(".")[1] for k, v in m.state_dict().items()}
        out = m.to_empty(device="cpu")
        assert out is m
        assert isinstance(m[0].weight, lib.nn.Parameter)
        assert m[0].weight.shape == (4, 3) and m[1].num_batches_tracked.dtype == lib.int64
    assert results["gradcore"] == results["torch"]
    assert results["torch"]["0.weight"] == "bfloat16"
