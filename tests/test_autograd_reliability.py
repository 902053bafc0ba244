"""Autograd cases that once computed a wrong answer without a word, each against PyTorch:
leaf hooks once per backward whatever the order of graphs, gradient accumulation from
threads, in-place ops through a view made under no_grad, a custom Function's backward
returning a non-tensor, NumPy's floating-point warnings, ``.grad`` of a non-leaf."""
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import gradcore


def _libs():
    libs = [gradcore]
    try:
        import torch
        libs.append(torch)
    except ImportError:
        pass
    return libs


LIBS = pytest.mark.parametrize("lib", _libs(), ids=lambda m: m.__name__)


# ---- a leaf's hooks fire once per backward, with the summed gradient -----------------------

@LIBS
def test_older_retained_graph_after_a_newer_one_runs_the_leaf_once(lib):
    # The older graph sends w two gradients (two producers); a newer graph used w after w's
    # node had run.  The clamping hook must see their sum once: 5 -> clamped to 4.
    w = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    seen = []

    def clamp(g):
        seen.append(g.tolist())
        return g.clamp(max=4.0)
    w.register_hook(clamp)
    old = (w * 2 + w * 3).sum()
    old.backward(retain_graph=True)
    new = (w * 7).sum()  # noqa: F841  (a newer graph, alive)
    w.grad, seen[:] = None, []
    old.backward()
    assert seen == [[5.0, 5.0, 5.0]]
    assert w.grad.tolist() == [4.0, 4.0, 4.0]


@LIBS
def test_new_graph_reaching_old_nodes_runs_the_leaf_once(lib):
    # z uses w directly (a node made after w's node ran) and through y1 (made before).
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(g.tolist()))
    y1 = w * 2
    y1.sum().backward(retain_graph=True)
    z = (w * 3 + y1 * 5).sum()
    w.grad, seen[:] = None, []
    z.backward()
    assert seen == [[13.0, 13.0]]
    assert w.grad.tolist() == [13.0, 13.0]


@LIBS
def test_one_backward_over_an_old_and_a_new_graph(lib):
    w = lib.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(g.tolist()))
    a = (w * 2 + w * 3).sum()
    a.backward(retain_graph=True)
    b = (w * 7 + w * 11).sum()
    seen[:] = []
    w.grad = None
    lib.autograd.backward([a, b], retain_graph=True)
    assert seen == [[23.0, 23.0]] and w.grad.tolist() == [23.0, 23.0]
    seen[:] = []
    g, = lib.autograd.grad([a, b], w, retain_graph=True)
    assert g.tolist() == [23.0, 23.0] and seen == [[23.0, 23.0]]


# ---- threads -------------------------------------------------------------------------------

@pytest.mark.parametrize("size", [3, 100_000])
def test_backward_from_threads_into_one_leaf_loses_no_update(size):
    # PyTorch's AccumulateGrad holds a lock; before, 4 x 300 backward gave 1066-1198 (NumPy
    # lets go of the GIL inside a large in-place add, and between .grad's read and write).
    w = gradcore.zeros(size, requires_grad=True)
    n, per = 4, 300
    barrier = threading.Barrier(n)
    errors = []

    def work():
        try:
            barrier.wait()
            for _ in range(per):
                (w * 1.0).sum().backward()
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        threads = [threading.Thread(target=work) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert not errors
    g = w.grad.numpy()
    assert g.min() == g.max() == n * per


# ---- in-place through a view made under no_grad --------------------------------------------

NO_GRAD_VIEW = ("A view was created in no_grad mode and is being modified inplace with grad "
                "mode enabled. Given that this use case is ambiguous and error-prone, it is "
                "forbidden. You can clarify your code by moving both the view and the inplace "
                "either both inside the no_grad block (if you don't want the inplace to be "
                "tracked) or both outside (if you want the inplace to be tracked).")


@LIBS
@pytest.mark.parametrize("make", [lambda b: b[:2], lambda b: b.view(3), lambda b: b.t(),
                                  lambda b: b.unsqueeze(0), lambda b: b.expand(3)],
                         ids=["slice", "view", "t", "unsqueeze", "expand"])
@pytest.mark.parametrize("leaf", [False, True], ids=["nonleaf", "leaf"])
def test_inplace_on_a_view_made_under_no_grad_raises(lib, make, leaf):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a if leaf else a * 1
    with lib.no_grad():
        v = make(b)
    with pytest.raises(RuntimeError) as e:
        v.mul_(2)
    assert str(e.value) == NO_GRAD_VIEW
    with pytest.raises(RuntimeError):
        v.copy_(lib.ones(v.shape, requires_grad=True))


@LIBS
def test_view_of_a_no_grad_view_raises_too(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    with lib.no_grad():
        v = b[:2]
    w = v[:1]
    with pytest.raises(RuntimeError, match="view of a view which was created in no_grad mode "
                                           "and is being modified inplace with grad mode "
                                           "enabled"):
        w.mul_(2)


@LIBS
def test_no_grad_views_that_may_be_modified(lib):
    a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1
    with lib.no_grad():
        v = b[:2]
        v.mul_(2)  # both inside no_grad: allowed, not tracked
    c = lib.tensor([1.0, 2.0, 3.0])
    with lib.no_grad():
        u = c[:2]
    u.mul_(2)  # the base does not require grad
    assert c.tolist() == [2.0, 4.0, 3.0]
    d = b.detach()
    d.mul_(2)  # detach() is not a no_grad view
    b.sum().backward()
    assert a.grad.tolist() == [1.0, 1.0, 1.0]


# ---- a custom Function's backward returning a non-tensor -----------------------------------

@LIBS
@pytest.mark.parametrize("bad, name", [(3, "int"), (2.5, "float"), ("a", "str"),
                                       ([1.0], "list"), (np.ones(2), "numpy.ndarray")])
def test_custom_function_backward_returning_a_non_tensor(lib, bad, name):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return bad
    x = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError) as e:
        F.apply(x).sum().backward()
    assert str(e.value) == f"expected Variable or None (got {name})"


# ---- NumPy's floating-point warnings stay inside -------------------------------------------

def test_no_numpy_warnings_reach_the_user():
    # sqrt's gradient at 0, 1/0, log(0), nan to int, inf - inf, exp overflow: PyTorch is
    # silent, and so is gradcore, with warnings turned into errors (-W error).
    code = """
import gradcore as torch
x = torch.tensor([0.0, 1.0], requires_grad=True)
torch.sqrt(x).sum().backward()
print(x.grad.tolist())
print((torch.tensor([1.0]) / 0).tolist(), torch.log(torch.tensor([0.0])).tolist())
print(torch.tensor([float("nan")]).long().numel(), (torch.tensor([float("inf")]) -
      float("inf")).isnan().tolist(), torch.exp(torch.tensor([1000.0])).tolist())
y = torch.tensor([0.0], requires_grad=True)
(1 / y).sum().backward()
print(y.grad.tolist())
"""
    run = subprocess.run([sys.executable, "-W", "error", "-c", code], capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert run.stdout.splitlines()[0] == "[inf, 0.5]"


def test_numpy_warnings_of_user_code_are_untouched():
    # gradcore's filter covers its own modules only: a user's np.log(0) still warns (in a new
    # process, where the filter is installed as a user's import installs it)
    code = "import numpy as np, gradcore\nnp.log(np.zeros(1))\n"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "RuntimeWarning: divide by zero encountered in log" in run.stderr


# ---- .grad of a non-leaf -------------------------------------------------------------------

@LIBS
def test_grad_of_a_non_leaf_warns(lib):
    a = lib.ones(2, requires_grad=True)
    y = a * 2
    with pytest.warns(UserWarning, match="The .grad attribute of a Tensor that is not a leaf "
                                         "Tensor is being accessed"):
        assert y.grad is None
    y.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad is None and a.grad is None  # retained, and a leaf: no warning
        assert lib.ones(2).grad is None


def test_a_leaf_root_that_already_ran_waits_only_for_its_producers(torch):
    # backward([L2, x]) with x also inside L2, after x's node ran: x's gradient is complete
    # after x * 3's node, before w's (PyTorch's order), whichever was built first.
    def run(lib):
        log = []
        x, w = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
        x.register_hook(lambda g: log.append("x"))
        w.register_hook(lambda g: log.append("w"))
        ((w * 2).exp().sum() + (x * 1).sum()).backward()
        log.append("|")
        L2 = (w * 2).exp().sum() + (x * 3).sum()
        lib.autograd.backward([L2, x], [lib.tensor(1.0), lib.ones(2)])
        log.append("|")
        L3 = (x * 3).sum() + (w * 2).exp().sum()
        lib.autograd.backward([L3, x], [lib.tensor(1.0), lib.ones(2)])
        return log, x.grad.tolist()
    assert run(gradcore) == run(torch)


def test_numpy_warnings_made_errors_after_import_still_stay_inside():
    # a warnings filter installed after gradcore (pytest -W error, filterwarnings = error) goes
    # before gradcore's: the op then runs again quietly.  Forward, backward, accumulation.
    code = """
import warnings
import gradcore as torch
warnings.simplefilter("error")
x = torch.tensor([0.0, 1000.0], requires_grad=True)
y = torch.exp(x) + torch.sqrt(x) + torch.log(x) + 1 / x
y.sum().backward()
a, z = torch.tensor([1.0], requires_grad=True), torch.tensor([float("inf")])
(a * z + a * -z).sum().backward()  # inf + -inf in the side table
side = a.grad.tolist()
a.grad = None
(a * z).sum().backward()
(a * -z).sum().backward()          # and into .grad, in place
print(torch.tensor([float("nan")]).long().numel(), x.grad.isnan().tolist(), side, a.grad.tolist())
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["1", "[True,", "False]", "[nan]", "[nan]"]


@LIBS
def test_no_grad_view_made_to_require_grad_in_place_raises(lib):
    b = lib.tensor([1.0, 2.0, 3.0])
    with lib.no_grad():
        v = b[0:2]
    with pytest.raises(RuntimeError) as e:
        v.add_(lib.ones(2, requires_grad=True))
    assert str(e.value) == NO_GRAD_VIEW
    assert b.tolist() == [1.0, 2.0, 3.0]


@LIBS
def test_grad_of_a_non_leaf_with_a_grad_set_does_not_warn(lib):
    y = lib.ones(2, requires_grad=True) * 2
    y.grad = lib.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert y.grad.tolist() == [0.0, 0.0]


@LIBS
def test_custom_function_gradient_for_a_non_tensor_input_raises(lib):
    class F(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g, 1.0
    x = lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="returned a gradient different than None at "
                                           "position 2, but the corresponding forward input "
                                           "was not a Variable"):
        F.apply(x, 3).sum().backward()
