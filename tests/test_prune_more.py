"""nn.utils.prune against PyTorch: global_unstructured (masks over several tensors at once,
iterated, with importance scores) and random_structured (channel counts, combined with an
earlier mask), with PyTorch's errors."""
import numpy as np
import pytest

import gradcore
import gradcore.nn as nn
from gradcore.nn.utils import prune


def _np(t):
    return t.detach().cpu().numpy()


def _pair(torch, build):
    tm = build(torch.nn).double()
    gm = build(nn).double()
    gm.load_state_dict({k: gradcore.tensor(v.detach().numpy()) for k, v in
                        tm.state_dict().items()})
    return tm, gm


def test_global_unstructured_matches_torch(torch):
    import torch.nn.utils.prune as tprune
    (t1, g1), (t2, g2) = (_pair(torch, lambda m: m.Linear(5, 4)),
                          _pair(torch, lambda m: m.Conv2d(2, 3, 2)))
    tparams, gparams = [(t1, "weight"), (t2, "weight")], [(g1, "weight"), (g2, "weight")]
    for amount in (0.4, 5):  # the second prunes among what the first kept
        tprune.global_unstructured(tparams, pruning_method=tprune.L1Unstructured, amount=amount)
        prune.global_unstructured(gparams, pruning_method=prune.L1Unstructured, amount=amount)
        for tm, gm in ((t1, g1), (t2, g2)):
            np.testing.assert_array_equal(_np(gm.weight_mask), tm.weight_mask.numpy())
            np.testing.assert_array_equal(_np(gm.weight), tm.weight.detach().numpy())
    assert int((g1.weight_mask == 0).sum() + (g2.weight_mask == 0).sum()) == round(0.4 * 44) + 5
    assert isinstance(next(iter(g1._forward_pre_hooks.values())), prune.PruningContainer)
    assert sorted(g1.state_dict()) == sorted(t1.state_dict())


def test_global_unstructured_importance_scores_and_random(torch):
    import torch.nn.utils.prune as tprune
    (t1, g1), (t2, g2) = (_pair(torch, lambda m: m.Linear(3, 2)),
                          _pair(torch, lambda m: m.Linear(2, 2)))
    scores = np.arange(10.0).reshape(5, 2)
    w = np.ascontiguousarray(scores[:3].T)
    tprune.global_unstructured([(t1, "weight"), (t2, "bias")], tprune.L1Unstructured,
                               importance_scores={(t1, "weight"): torch.tensor(w),
                                                  (t2, "bias"): torch.tensor(scores[3, :])},
                               amount=4)
    prune.global_unstructured([(g1, "weight"), (g2, "bias")], prune.L1Unstructured,
                              importance_scores={(g1, "weight"): gradcore.tensor(w),
                                                 (g2, "bias"): gradcore.tensor(scores[3, :])},
                              amount=4)
    np.testing.assert_array_equal(_np(g1.weight_mask), t1.weight_mask.numpy())
    np.testing.assert_array_equal(_np(g2.bias_mask), t2.bias_mask.numpy())
    assert _np(g1.weight_mask).tolist() == [[0, 0, 1], [0, 0, 1]]
    m1, m2 = nn.Linear(10, 10), nn.Linear(10, 5)
    prune.global_unstructured([(m1, "weight"), (m2, "weight")], prune.RandomUnstructured,
                              amount=0.2)
    assert int((m1.weight_mask == 0).sum() + (m2.weight_mask == 0).sum()) == 30


def test_global_unstructured_errors(torch):
    import torch.nn.utils.prune as tprune
    for lib, p in ((torch.nn, tprune), (nn, prune)):
        with pytest.raises(TypeError) as e:
            p.global_unstructured([(lib.Linear(2, 2), "weight")], p.LnStructured, amount=1,
                                  n=1, dim=0)
        assert 'Only "unstructured" PRUNING_TYPE supported' in str(e.value)
        with pytest.raises(TypeError, match="parameters is not an Iterable"):
            p.global_unstructured(3, p.L1Unstructured, amount=1)
        with pytest.raises(TypeError, match="importance_scores must be of type dict"):
            p.global_unstructured([(lib.Linear(2, 2), "weight")], p.L1Unstructured,
                                  importance_scores=[1], amount=1)


def test_random_structured_counts_and_iteration():
    m = nn.Conv2d(2, 6, 2)
    prune.random_structured(m, "weight", amount=0.5, dim=0)
    channel_kept = _np(m.weight_mask).sum(axis=(1, 2, 3)) != 0
    assert channel_kept.sum() == 3
    assert set(np.unique(_np(m.weight_mask))) == {0.0, 1.0}
    np.testing.assert_array_equal(_np(m.weight), _np(m.weight_orig) * _np(m.weight_mask))
    first = channel_kept.copy()
    prune.random_structured(m, "weight", amount=2, dim=0)  # 2 of the 3 kept channels go
    channel_kept = _np(m.weight_mask).sum(axis=(1, 2, 3)) != 0
    assert channel_kept.sum() == 1 and not (channel_kept & ~first).any()
    lin = prune.random_structured(nn.Linear(5, 4), "weight", amount=2, dim=-1)
    assert ((_np(lin.weight_mask).sum(0) == 0).sum(), (_np(lin.weight_mask) == 0).sum()) == (2, 8)
    # the draws are the global generator's: seeded, the same channels
    masks = []
    for _ in range(2):
        gradcore.manual_seed(3)
        masks.append(_np(prune.random_structured(nn.Linear(8, 8), "weight", 4, 0).weight_mask))
    np.testing.assert_array_equal(*masks)
    same = prune.random_structured(nn.Linear(3, 3), "weight", amount=0, dim=0)
    assert _np(same.weight_mask).all()


def test_random_structured_errors(torch):
    import torch.nn.utils.prune as tprune
    for lib, p in ((torch.nn, tprune), (nn, prune)):
        with pytest.raises(ValueError, match="Structured pruning can only be applied to "
                                             "multidimensional tensors"):
            p.random_structured(lib.Linear(2, 2), "bias", amount=1, dim=0)
        with pytest.raises(IndexError, match="Invalid index 2 for tensor of size"):
            p.random_structured(lib.Linear(2, 2), "weight", amount=1, dim=2)
        with pytest.raises(ValueError, match="should be smaller than the number of parameters"):
            p.random_structured(lib.Linear(2, 2), "weight", amount=3, dim=0)
        with pytest.raises(TypeError, match="Invalid type for amount"):
            p.RandomStructured("a")
