"""The small modules PyTorch code imports: utils.hooks (one RemovableHandle class for every
hook's handle), nn.modules.utils (_pair ...), nn.common_types and types (typing aliases),
checked against PyTorch's."""
import typing

import pytest

import gradcore
from gradcore.utils.hooks import RemovableHandle, unserializable_hook


def test_every_hook_handle_is_the_one_removable_handle():
    m = gradcore.nn.Linear(2, 2)
    t = gradcore.ones(2, requires_grad=True)
    handles = [m.register_forward_hook(lambda *a: None, with_kwargs=True),
               m.register_forward_pre_hook(lambda *a: None),
               m.register_full_backward_hook(lambda *a: None),
               t.register_hook(lambda g: None),
               gradcore.nn.modules.module.register_module_forward_hook(lambda *a: None)]
    assert all(isinstance(h, RemovableHandle) for h in handles)
    for h in handles:
        h.remove()
    assert not m._forward_hooks and not m._forward_hooks_with_kwargs
    assert gradcore.utils.hooks.RemovableHandle is gradcore.autograd.hooks.RemovableHandle


def test_removable_handle_as_torch_code_uses_it(torch):
    from collections import OrderedDict as OD  # PyTorch's handle holds weak references
    for lib in (gradcore, torch):
        hooks, flags, more = OD(), OD(), OD()
        h = lib.utils.hooks.RemovableHandle(hooks, extra_dict=[flags, more])
        hooks[h.id], flags[h.id], more[h.id] = "fn", True, 1
        h2 = lib.utils.hooks.RemovableHandle(hooks, extra_dict=flags)
        assert h2.id != h.id
        hooks[h2.id], flags[h2.id] = "fn2", False
        with h:
            pass
        assert list(hooks.values()) == ["fn2"] and list(flags.values()) == [False]
        assert more == {}
        h2.remove()
        h2.remove()  # twice is harmless
        assert hooks == {} and flags == {}


def test_unserializable_hook_marks(torch):
    def f(g):
        return g
    assert unserializable_hook(f) is f and f.__torch_unserializable__ is True


def test_nn_modules_utils_match_torch(torch):
    from gradcore.nn.modules import utils as mine
    theirs = torch.nn.modules.utils
    for name in ("_single", "_pair", "_triple", "_quadruple"):
        for arg in (3, (1, 2), [4, 5, 6], range(2)):
            assert getattr(mine, name)(arg) == getattr(theirs, name)(arg), (name, arg)
        assert getattr(mine, name).__name__ == name
    assert mine._ntuple(5)(1) == theirs._ntuple(5)(1) == (1,) * 5
    assert mine._reverse_repeat_tuple((1, 2, 3), 2) == \
        theirs._reverse_repeat_tuple((1, 2, 3), 2) == (3, 3, 2, 2, 1, 1)
    assert mine._list_with_default([None, 4], [1, 2, 3, 5]) == \
        theirs._list_with_default([None, 4], [1, 2, 3, 5]) == [3, 4]
    assert mine._list_with_default(7, [1, 2]) == 7
    msgs = []
    for lib in (mine, theirs):
        with pytest.raises(ValueError) as info:
            lib._list_with_default([None, 4], [1, 2])
        msgs.append(str(info.value))
    assert msgs[0] == msgs[1]
    sd = {"module.a": 1, "module.b.c": 2, "other": 3}
    sd2 = dict(sd)
    mine.consume_prefix_in_state_dict_if_present(sd, "module.")
    theirs.consume_prefix_in_state_dict_if_present(sd2, "module.")
    assert sd == sd2 == {"a": 1, "b.c": 2, "other": 3}
    assert gradcore.nn.utils.clip_grad_norm_  # nn.utils is still nn.utils


def test_common_types_and_types_name_torchs_aliases(torch):
    import gradcore.nn.common_types as ct
    import gradcore.types as gt
    for name in ("_size_1_t", "_size_2_t", "_size_3_t", "_size_any_t", "_size_2_opt_t",
                 "_ratio_2_t", "_ratio_any_t", "_tensor_list_t", "_maybe_indices_t"):
        assert hasattr(torch.nn.common_types, name) and hasattr(ct, name), name
    assert int in typing.get_args(ct._size_2_t)
    assert typing.Tuple[int, int] in typing.get_args(ct._size_2_t)
    for name in ("Number", "Device", "FileLike", "_size", "_dtype", "_device", "_int",
                 "_float", "_bool", "_TensorOrTensors"):
        assert hasattr(torch.types, name) and hasattr(gt, name), name
    assert gt._dtype is gradcore.dtype and gt._device is gradcore.device
    assert set(typing.get_args(gt.Number)) == set(typing.get_args(torch.types.Number))
    assert gradcore.types is gt

    def annotated(x: gt.Number, size: ct._size_2_t = 1) -> gt._TensorOrTensors:
        return gradcore.tensor(x)
    assert typing.get_type_hints(annotated)["x"] == gt.Number
