"""Tensor utilities against PyTorch: type() with type names, is_signed, nbytes, itemsize,
apply_, map_, and scatter(reduce=)."""
import warnings

import pytest

import gradcore


def _run(lib, make):
    try:
        out = make(lib)
    except Exception as e:  # noqa: BLE001  (compared with torch's)
        return "error", type(e).__name__, str(e)
    if isinstance(out, (bool, int, str)):
        return out.replace("torch.", "").replace("gradcore.", "") if isinstance(out, str) else out
    return str(out.dtype).split(".")[-1], out.tolist()


CASES = {
    "type double": lambda L: L.zeros(2).type("torch.DoubleTensor"),
    "type long": lambda L: L.zeros(2).type("torch.LongTensor"),
    "type own prefix": lambda L: L.zeros(2, dtype=L.int64).type(),
    "type bad name": lambda L: L.zeros(2).type("DoubleTensor"),
    "type bad kind": lambda L: L.zeros(2).type("torch.FooTensor"),
    "is_signed": lambda L: str([L.zeros(1, dtype=d).is_signed()
                                for d in (L.uint8, L.int8, L.bool, L.float16, L.int64)]),
    "nbytes": lambda L: L.zeros(2, 3).nbytes,
    "itemsize": lambda L: L.zeros(2, dtype=L.float64).itemsize,
    "apply_": lambda L: L.tensor([1, 2]).apply_(lambda v: v * 2.7),
    "apply_ float": lambda L: L.tensor([[1.0, -2.0]]).apply_(abs),
    "apply_ grad": lambda L: L.zeros(2, requires_grad=True).apply_(lambda v: v),
    "map_": lambda L: L.zeros(2, 2).map_(L.ones(2), lambda a, b: a + b + 1),
    "map_ bad shape": lambda L: L.zeros(2).map_(L.ones(3), lambda a, b: a),
    "map_ bad dtype": lambda L: L.zeros(2).map_(L.ones(2, dtype=L.int64), lambda a, b: a),
    "apply_ transposed": lambda L: (lambda x: (x.t().apply_(lambda v: -v), x)[1])(
        L.arange(6.0).reshape(2, 3)),
    "apply_ wraps uint8": lambda L: L.tensor([1, 2], dtype=L.uint8).apply_(lambda v: -1),
    "map_ strided": lambda L: (lambda x: (x[:, ::2].map_(L.ones(2, 2), lambda a, b: a + 10 * b),
                                          x)[1])(L.arange(6.0).reshape(2, 3)),
    "scatter add": lambda L: L.zeros(3).scatter(0, L.tensor([0, 0, 2]), 2.0, reduce="add"),
    "scatter multiply": lambda L: L.ones(3).scatter(0, L.tensor([0, 0, 2]), 2.0,
                                                    reduce="multiply"),
    "scatter tensor add": lambda L: L.zeros(2, 3).scatter(
        1, L.tensor([[0, 0], [2, 1]]), L.tensor([[1.0, 2.0, 9.0], [3.0, 4.0, 9.0]]),
        reduce="add"),
    "scatter_ in place": lambda L: L.ones(2, 2).scatter_(1, L.tensor([[0, 0], [1, 0]]), 3.0,
                                                         reduce="add"),
    "scatter bad reduce": lambda L: L.ones(3).scatter(0, L.tensor([0]), 2.0, reduce="max"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(torch, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        assert _run(gradcore, CASES[name]) == _run(torch, CASES[name])


def test_apply_writes_in_place(torch):
    for lib in (gradcore, torch):
        x = lib.tensor([1.0, 2.0])
        assert x.apply_(lambda a: a + 1) is x and x.tolist() == [2.0, 3.0]


def test_scatter_reduce_with_a_tensor_warns_as_torch_and_has_no_derivative(torch):
    src = gradcore.tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="reduce argument of torch.scatter") as rec:
        out = gradcore.zeros(3).scatter(0, gradcore.tensor([0, 0]), src, reduce="add")
    assert rec[0].filename == __file__
    assert out.grad_fn.name() == "torch::autograd::NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::scatter is not implemented"):
        out.sum().backward()


def test_sign_of_nan_is_zero_and_of_bool_is_bool(torch):
    for lib in (gradcore, torch):
        assert lib.sign(lib.tensor([float("nan"), -0.0, 2.0, -1.5])).tolist() == [0, 0, 1, -1]
        out = lib.sign(lib.tensor([True, False]))
        assert out.dtype == lib.bool and out.tolist() == [True, False]


def test_add_and_sub_take_a_zero_dim_tensor_alpha(torch):
    for lib in (gradcore, torch):
        x = lib.ones(2)
        x.add_(lib.ones(2), alpha=lib.tensor(2.0))
        assert x.tolist() == [3.0, 3.0]
        assert lib.sub(x, x, alpha=lib.tensor(0.5)).tolist() == [1.5, 1.5]
