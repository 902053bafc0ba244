"""Inference tensors as the index of ops whose gradients read the index only for some inputs:
PyTorch refuses the index exactly when an input whose gradient reads it requires grad
(index_add / scatter_add: the source only; index_copy / scatter: either), and refuses the
targets of nll_loss / cross_entropy / multi_margin_loss / multilabel_margin_loss and the
indices of embedding_bag (kept by their nodes), but not scatter's reduce= forms (no
derivative, nothing saved).
Checked against PyTorch itself, every requires_grad combination."""
import pytest

import gradcore


def _ops():
    return {
        "index_add": lambda lib, x, xs, s1, s2, i, ii, t: x.index_add(0, i, s1),
        "index_add_": lambda lib, x, xs, s1, s2, i, ii, t: x.clone().index_add_(0, i, s1),
        "index_copy": lambda lib, x, xs, s1, s2, i, ii, t: x.index_copy(0, i, s1),
        "index_fill": lambda lib, x, xs, s1, s2, i, ii, t: x.index_fill(0, i, s1.sum()),
        "scatter_add": lambda lib, x, xs, s1, s2, i, ii, t: xs.scatter_add(1, ii, s2),
        "scatter_add_": lambda lib, x, xs, s1, s2, i, ii, t: xs.clone().scatter_add_(1, ii, s2),
        "scatter": lambda lib, x, xs, s1, s2, i, ii, t: xs.scatter(1, ii, s2),
        "scatter_reduce": lambda lib, x, xs, s1, s2, i, ii, t: xs.scatter_reduce(1, ii, s2,
                                                                                 "amax"),
        "scatter_reduce_add": lambda lib, x, xs, s1, s2, i, ii, t: xs.scatter(1, ii, s2,
                                                                              reduce="add"),
        "scatter_value_multiply": lambda lib, x, xs, s1, s2, i, ii, t:
            xs.scatter(1, ii, 2.0, reduce="multiply"),
        "nll_loss": lambda lib, x, xs, s1, s2, i, ii, t: lib.nn.functional.nll_loss(xs, t),
        "cross_entropy": lambda lib, x, xs, s1, s2, i, ii, t:
            lib.nn.functional.cross_entropy(xs, t),
        "multi_margin_loss": lambda lib, x, xs, s1, s2, i, ii, t:
            lib.nn.functional.multi_margin_loss(xs, t),
        "multilabel_margin_loss": lambda lib, x, xs, s1, s2, i, ii, t:
            lib.nn.functional.multilabel_margin_loss(xs, t.expand(3, 3)),
        "embedding_bag": lambda lib, x, xs, s1, s2, i, ii, t:
            lib.nn.functional.embedding_bag(i, xs, lib.tensor([0])),
    }


def _outcome(lib, op, self_rg, src_rg):
    with lib.inference_mode():
        i, ii, t = lib.tensor([0, 2]), lib.tensor([[0, 1], [2, 0]]), lib.tensor([0, 1, 2])
    x = lib.ones(3, requires_grad=self_rg)
    xs = lib.ones(3, 3, requires_grad=self_rg)
    s1 = lib.ones(2, requires_grad=src_rg)
    s2 = lib.ones(2, 2, requires_grad=src_rg)
    try:
        _ops()[op](lib, x, xs, s1, s2, i, ii, t)
        return None
    except RuntimeError as e:
        return str(e)


@pytest.mark.parametrize("op", sorted(_ops()))
@pytest.mark.parametrize("self_rg,src_rg", [(True, False), (False, True), (True, True)])
def test_inference_index_refused_exactly_where_pytorch_saves_it(torch, op, self_rg, src_rg):
    expected = _outcome(torch, op, self_rg, src_rg)
    assert _outcome(gradcore, op, self_rg, src_rg) == expected


def test_scatter_add_with_inference_index_differentiates_to_self(torch):
    with gradcore.inference_mode():
        ii = gradcore.tensor([[0, 1], [2, 0]])
    xs = gradcore.ones(3, 3, requires_grad=True)
    (xs.scatter_add(1, ii, gradcore.ones(2, 2)) * gradcore.arange(9.0).reshape(3, 3)).sum() \
        .backward()
    assert xs.grad.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
