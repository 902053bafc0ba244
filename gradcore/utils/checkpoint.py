"""gradcore.utils.checkpoint: activation checkpointing (checkpoint, checkpoint_sequential).

PyTorch's non-reentrant design, for ``use_reentrant`` True and False alike: the forward runs
normally under a saved_tensors_hooks pair whose pack_hook keeps a placeholder (a _Holder)
instead of each tensor saved for backward.  When backward first needs one, the function runs
again (grad mode on, the RNG states of the forward restored, so dropout draws the same mask)
under hooks that hand each saved tensor to its placeholder, in saving order; it stops as soon
as every placeholder still alive is filled.  Each unpack takes its value (a later backward
through a retained graph recomputes again).
"""
import contextlib
import copy
import warnings
import weakref

from .._generator import _DefaultGenerator
from ..backend import cpu_backend
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..autograd.function import _raise_modified
from ..autograd.graph import saved_tensors_hooks
from ..tensor import Tensor

_TIP = ("\nTip: To see a more detailed error message, either pass `debug=True` to\n"
        "`torch.utils.checkpoint.checkpoint(...)` or wrap the code block\n"
        "with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to\n"
        "enable checkpoint\u2011debug mode globally.\n")
_MUST_PASS = ("the use_reentrant parameter should be passed explicitly. {when} use_reentrant="
              "False is recommended, but if you need to preserve the current default behavior, "
              "you can pass use_reentrant=True. Refer to docs for more details on the "
              "differences between the two variants.")


class CheckpointError(RuntimeError):
    """CheckpointError: the recomputation of a checkpointed function saved other tensors
    than its forward did (a RuntimeError)."""


def noop_context_fn():
    """noop_context_fn() -> (context manager, context manager)

    The default ``context_fn`` of checkpoint: two do-nothing context managers."""
    return contextlib.nullcontext(), contextlib.nullcontext()


def _metadata(x):
    return {"shape": x.shape, "dtype": x.dtype, "device": x.device}


_DETERMINISM = {"default": _metadata, "none": lambda x: None}


class _Holder:
    """Placeholder kept in the graph for one saved tensor; ``value`` is filled by a
    recomputation and taken by the unpack."""
    __slots__ = ("value", "__weakref__")

    def __init__(self):
        self.value = None


class _Stop(Exception):
    """Every placeholder is filled: the recomputation stops early."""


def _rng_states(args):
    """The RNG state of the CPU and of every other device an argument lives on: a state tensor
    (Generator.get_state), or a copy of the backend's generator where it can't be read (a
    device whose generator can't be copied either is left out, with a warning)."""
    cpu = cpu_backend()
    backends = {id(a._be): a._be for a in args if isinstance(a, Tensor) and a._be is not cpu}
    states = []
    for be in [cpu, *backends.values()]:
        try:
            states.append((be, _DefaultGenerator(be).get_state()))
        except RuntimeError:
            try:
                states.append((be, copy.deepcopy(be._rng)))
            except Exception:
                warnings.warn(f"gradcore.utils.checkpoint: the RNG state of {be.device} can't "
                              "be saved: the recomputation may draw other random numbers",
                              stacklevel=3)
    return states


def _set_rng_states(states):
    for be, state in states:
        if isinstance(state, Tensor):
            _DefaultGenerator(be).set_state(state)
        else:
            be._rng = copy.deepcopy(state)


class _Frame:
    """One checkpointed call: its recomputation, the placeholders of its saved tensors (weak:
    the graph owns them) and their metadata."""

    def __init__(self, recompute, metadata_fn, early_stop):
        self.recompute, self.metadata_fn, self.early_stop = recompute, metadata_fn, early_stop
        self.holders, self.metas = [], []

    def pack(self, x):
        holder = _Holder()
        self.holders.append(weakref.ref(holder))
        self.metas.append(self.metadata_fn(x))
        return holder

    def unpack(self, holder):
        if holder.value is None:
            self._recompute()
        value, holder.value = holder.value, None
        return value

    def _recompute(self):
        count = [0]
        n = len(self.holders)
        mismatched = []

        def pack(x):
            i = count[0]
            if i >= n:
                raise CheckpointError("torch.utils.checkpoint: trying to save more tensors "
                                      f"during recomputation than during the original forward "
                                      f"pass.\n{_TIP}")
            count[0] += 1
            holder = self.holders[i]()
            if holder is not None:
                holder.value = x.detach() if x.requires_grad else x
                meta = self.metadata_fn(x)
                if meta != self.metas[i]:
                    mismatched.append(f"tensor at position {i}:\nsaved metadata: "
                                      f"{self.metas[i]}\nrecomputed metadata: {meta}\n")
            if self.early_stop and count[0] == n:
                raise _Stop

        try:
            with saved_tensors_hooks(pack, lambda x: x), enable_grad():
                self.recompute()
        except _Stop:
            pass
        if count[0] != n:
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                f"original forward and recomputation.\nNumber of tensors saved during forward: "
                f"{n}\nNumber of tensors saved during recomputation: {count[0]}.\n{_TIP}")
        if mismatched:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                f"different metadata than during the forward pass.\n{''.join(mismatched)}.\n"
                f"{_TIP}")


def checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
               determinism_check="default", debug=False, early_stop=True, **kwargs):
    """checkpoint(function, *args, use_reentrant=None, context_fn=noop_context_fn,
        determinism_check='default', debug=False, early_stop=True, preserve_rng_state=True,
        **kwargs) -> function(*args, **kwargs)

    Run ``function`` without keeping the tensors it saves for backward: backward runs it
    again to get them (trading compute for memory).  With preserve_rng_state the
    recomputation sees the forward's RNG state (same dropout masks).  Warns (UserWarning)
    when use_reentrant is not given; both settings use the non-reentrant algorithm
    (use_reentrant=True still refuses extra keyword arguments, as PyTorch)."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: " + _MUST_PASS.format(
            when="Starting in PyTorch 2.9, calling checkpoint without use_reentrant will "
                 "raise an exception."), stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant and (context_fn is not noop_context_fn or debug is not False):
        raise ValueError("Passing `context_fn` or `debug` is only supported when "
                         "use_reentrant=False.")
    if determinism_check not in _DETERMINISM:
        raise ValueError(f"determinism_check should be one of {list(_DETERMINISM)}, but got "
                         f"{determinism_check}")
    if not is_grad_enabled():
        return function(*args, **kwargs)
    forward_context, recompute_context = context_fn()
    states = _rng_states(args) if preserve else None
    # the inputs' versions now: recomputing from an input changed in place since would give
    # another function's gradient (PyTorch saves the inputs, so its version check catches it)
    versions = [(t, t._version) for t in args if isinstance(t, Tensor)]

    def recompute():
        for t, version in versions:
            if t._version != version:
                _raise_modified(None, t._arr, t._version, version, t._out_nr, t)
        if states is None:
            with recompute_context:
                function(*args, **kwargs)
            return
        now = _rng_states(args)
        _set_rng_states(states)
        try:
            with recompute_context:
                function(*args, **kwargs)
        finally:
            _set_rng_states(now)

    frame = _Frame(recompute, _DETERMINISM[determinism_check], early_stop)
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_context:
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """checkpoint_sequential(functions, segments, input, use_reentrant=None,
        preserve_rng_state=True) -> Tensor

    Run ``functions`` (a list, or an nn.Sequential's children) one after another on
    ``input``, in ``segments`` chunks: each but the last is checkpointed."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: " + _MUST_PASS.format(
            when="In version 2.9 we will raise an exception if use_reentrant is not passed."),
            stacklevel=2)
        use_reentrant = True
    preserve = kwargs.pop("preserve_rng_state", True)
    if kwargs:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if callable(getattr(functions, "children", None)):  # an nn.Sequential
        functions = list(functions.children())

    def run(start, end):
        def forward(x):
            for j in range(start, end + 1):
                x = functions[j](x)
            return x
        return forward

    size = len(functions) // segments
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run(start, end), input, use_reentrant=use_reentrant,
                           preserve_rng_state=preserve)
    return run(end + 1, len(functions) - 1)(input)
