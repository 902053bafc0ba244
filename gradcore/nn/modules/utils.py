"""torch.nn.modules.utils: the argument-normalising helpers layer code imports (_single,
_pair, _triple, _quadruple, _ntuple, _reverse_repeat_tuple, _list_with_default) and
consume_prefix_in_state_dict_if_present.  Imported by its path only (it is not bound as
``nn.modules.utils`` at start, so it never hides ``nn.utils``)."""
import collections.abc
from itertools import repeat

__all__ = ["consume_prefix_in_state_dict_if_present"]


def _ntuple(n, name="parse"):
    """_ntuple(n, name='parse') -> parse: parse(x) is tuple(x) for an iterable x, else x
    repeated n times."""
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """_reverse_repeat_tuple(t, n) -> tuple: ``t`` reversed, each element repeated ``n``
    times (a conv's padding turned into F.pad's)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _list_with_default(out_size, defaults):
    """_list_with_default(out_size, defaults) -> list: ``out_size`` with each None replaced by
    the matching one of the last len(out_size) ``defaults`` (an int passes through)."""
    if isinstance(out_size, int):
        return out_size
    if len(defaults) <= len(out_size):
        raise ValueError(f"Input dimension should be at least {len(out_size) + 1}")
    return [v if v is not None else d for v, d in zip(out_size, defaults[-len(out_size):])]


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """consume_prefix_in_state_dict_if_present(state_dict, prefix) -> None

    Strip ``prefix`` (e.g. 'module.' of a DataParallel / DDP model) from the keys of
    ``state_dict`` that have it, in place, and from its ``_metadata`` keys."""
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    meta = getattr(state_dict, "_metadata", None)
    if meta is not None:
        for key in list(meta.keys()):
            if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
                meta[key[len(prefix):]] = meta.pop(key)
