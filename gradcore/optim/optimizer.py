"""Optimizer: parameter groups, lazily made per-parameter state, zero_grad, and state_dict /
load_state_dict in PyTorch's format (parameters as indices).

A subclass validates its options, passes them as ``defaults`` and implements ``_update(p,
group)``: one parameter's update, one backend kernel call on the arrays in place.  ``step``
runs it, under no_grad, for every parameter that has a gradient and bumps the parameter's
version counter, as PyTorch's in-place updates do.  With ``differentiable=True`` (SGD, Adam,
AdamW, RMSprop, Adagrad: those defining ``_differentiable_update``; the others refuse it at
construction) ``step`` runs, under enable_grad, PyTorch's single-tensor update in in-place
Tensor ops instead, so a loss after the step differentiates back through it (to the tensor a
non-leaf parameter was made from, its gradient, a Tensor lr where PyTorch allows one).  As
PyTorch's, ``defaults['differentiable']`` sets step's grad mode and each group's own flag picks
its update (the two differ after load_state_dict of a state saved with the other flag).

Multi-tensor updates (SGD, Adam, AdamW: ``_multi_tensor_update``): on CUDA the parameters of a
group are grouped by device and dtype (``_multi_tensor_groups``, PyTorch's
_group_tensors_by_device_and_dtype) and each group is updated by one kernel launch per table
of 32 tensors / 320 chunks (kernels/multi_tensor.cu), for foreach=None/True and fused=True, as
PyTorch's foreach and fused kernels; foreach=False keeps one launch per parameter.  On the CPU
small parameters (HOST_GROUP_MAX elements) of one dtype are updated together, concatenated
(the same elementwise operations: the same bits); the others keep the per-parameter update,
each already one fused NumPy pass (bench/NOTES.md).
"""
import copy
from collections import defaultdict
from itertools import chain

from .. import _dtype
from ..autograd.grad_mode import enable_grad, no_grad
from ..backend.capture import check_optimizer_step
from ..sparse import CooArray
from ..tensor import Tensor, zero_grads


def _refuse_sparse(opt):
    """PyTorch's error of an optimizer that takes no sparse gradient (the Adam family's
    points to SparseAdam)."""
    if any(c.__name__ == "Adam" for c in type(opt).__mro__):
        raise RuntimeError("Adam does not support sparse gradients, please consider SparseAdam "
                           "instead")
    raise RuntimeError(f"{type(opt).__name__} does not support sparse gradients")


class _RequiredParameter:
    """A default that every parameter group must give itself (``optim.optimizer.required``)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()

_WHAT = {"lr": "learning rate", "eps": "epsilon value", "momentum": "momentum value",
         "weight_decay": "weight_decay value", "alpha": "alpha value",
         "lr_decay": "lr_decay value",
         "initial_accumulator_value": "initial_accumulator_value value",
         "rho": "rho value", "momentum_decay": "momentum_decay value"}


def _check_nonnegative(**options):
    """PyTorch's ``Invalid learning rate: -0.1`` checks, in the order given."""
    for name, value in options.items():
        if name == "lr" and isinstance(value, Tensor) and value.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_WHAT[name]}: {value}")


def _check_betas(betas):
    for i in (0, 1):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


def _check_flags(differentiable=False, fused=None, foreach=None):
    """foreach/fused/capturable are accepted (every update here is one fused kernel per
    parameter already); fused cannot be differentiable (PyTorch's RuntimeError).  Whether the
    optimizer has a differentiable update at all is checked by Optimizer.__init__."""
    if fused and differentiable:
        raise RuntimeError("`fused` does not support `differentiable`")
    if fused and foreach:
        raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


HOST_GROUP_MAX = 2048  # elements: a CPU parameter this small joins a grouped NumPy update
HOST_GROUP_MIN = 4     # ... when at least this many of one dtype are there


def _multi_tensor_groups(params, group):
    """PyTorch's ``_group_tensors_by_device_and_dtype`` for the multi-tensor updates:
    ``({(backend, dtype): [params]}, rest)``.  A parameter joins a group when the group
    allows it (``foreach`` not False, or ``fused``), its gradient is dense with its dtype and
    shape, and it is C-contiguous (the update is in place), and it lives on a device that
    launches kernels (CUDA: one multi-tensor launch per table), or on the CPU with at most
    HOST_GROUP_MAX elements among at least HOST_GROUP_MIN such parameters of its dtype (one
    NumPy update of them all concatenated: ``array_ops.grouped_``).  The rest take the
    per-parameter update (a large CPU parameter's is already one fused NumPy pass)."""
    if group.get("foreach") is False and not group.get("fused"):
        return {}, params
    if len(params) < HOST_GROUP_MIN and not any(p._be.launches_kernels for p in params):
        return {}, params  # too few for a CPU group (the tutorial's two): no grouping work
    groups = {}
    for p in params:
        a, g = p._arr, p._grad._arr
        if (type(g) is not CooArray and a.dtype.char in "efdE" and g.dtype == a.dtype
                and g.shape == a.shape and a.flags.c_contiguous
                and (p._be.launches_kernels or a.size <= HOST_GROUP_MAX)):
            groups.setdefault((p._be, a.dtype), []).append(p)
    for key in [k for k, ps in groups.items()
                if not k[0].launches_kernels and len(ps) < HOST_GROUP_MIN]:
        del groups[key]
    grouped = {id(p) for ps in groups.values() for p in ps}
    return groups, [p for p in params if id(p) not in grouped]  # in the parameters' order


def _number(x):
    """A hyperparameter as a Python number (a 1-element tensor lr is allowed, as in PyTorch)."""
    return x.item() if isinstance(x, Tensor) else x


def _to_scalar(x):
    """A 1-element tensor hyperparameter as a 0-dim tensor (kept in the graph); a number as is
    (PyTorch's ``optimizer._to_scalar``)."""
    return x.squeeze() if isinstance(x, Tensor) and x.dim() != 0 else x


def _arrays(tensors):
    """The arrays of state tensors for a kernel call (None stays None)."""
    return [None if t is None else t._arr for t in tensors]


def _bump(tensors):
    """Bump the version counters of state tensors a kernel updated in place."""
    for t in tensors:
        if t is not None:
            t._bump_version()


def _typename(obj):
    """torch.typename: ``gradcore.FloatTensor`` for tensors, else the qualified type name."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"


def _scalar_dtype():
    """The dtype of ``state['step']``: float64 under a float64 default dtype, else float32."""
    return _dtype.float64 if _dtype.get_default_dtype() == _dtype.float64 else _dtype.float32


def _step_tensor(value=0.0):
    from ..ops.factories import tensor
    return tensor(float(value), dtype=_scalar_dtype())


class Optimizer:
    """Optimizer(params, defaults)

    Base class of all optimizers: it holds ``param_groups`` (each a dict of its params and
    options), the per-parameter ``state``, and gives step, zero_grad, add_param_group,
    state_dict and load_state_dict; a subclass implements ``_update(p, group)``.

    Args:
        params: an iterable of Tensors, or of dicts (parameter groups with their own options,
            the others taken from ``defaults``), or of (name, Tensor) pairs.
        defaults: a dict of the default options (``lr``, ...) of the groups.

    Example:
        >>> model = nn.Linear(4, 2)
        >>> opt = optim.SGD([{'params': [model.weight]}, {'params': [model.bias], 'lr': 0.1}],
        ...                 lr=0.01)
        >>> [group['lr'] for group in opt.param_groups]
        [0.01, 0.1]
    """
    _sparse_grads = False  # takes sparse (COO) gradients: SGD, Adagrad, SparseAdam

    def __init__(self, params, defaults):
        cls = type(self)  # a user's optimizer with its own step() is its own business
        if defaults.get("differentiable") and cls.step is Optimizer.step and (
                cls._differentiable_update is Optimizer._differentiable_update):
            raise NotImplementedError(f"{type(self).__name__} does not support "
                                      "differentiable=True in gradcore (SGD, Adam, AdamW, RMSprop "
                                      "and Adagrad do)")
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for name, default in self.defaults.items():
                group.setdefault(name, default)
        for st in self.state.values():  # a number ``step`` (older checkpoints) becomes a tensor
            if isinstance(st, dict) and "step" in st and not isinstance(st["step"], Tensor):
                st["step"] = _step_tensor(st["step"])

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ---- parameter groups ------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group (a dict with 'params' and any per-group options) to ``param_groups``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        names = [p[0] for p in param_group["params"] if isinstance(p, tuple)]
        if names:
            if len(names) != len(param_group["params"]):
                raise ValueError("all optimizer params should be with/without names. Some "
                                 "param names are missing")
            param_group["param_names"] = names
            param_group["params"] = [p[1] for p in param_group["params"]]

        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)

        params = param_group["params"]
        if len(params) != len(set(params)):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        param_set = set()
        for group in self.param_groups:
            param_set.update(group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not param_set.isdisjoint(params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ---- gradients and steps ---------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad``: to None (default), or zero it in place."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; ``closure`` (re-evaluating the
        model and returning the loss) runs first, under enable_grad, and its loss is returned."""
        check_optimizer_step(self)  # refusals while a CUDA graph is being captured
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if self.defaults.get("differentiable"):
            with enable_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            if type(p._grad._arr) is CooArray:
                                _refuse_sparse(self)
                            self._update_by_group(p, group)
            return loss
        with no_grad():
            for group in self.param_groups:
                todo = []
                for p in group["params"]:
                    g = p._grad  # a leaf's .grad (non-leaves are refused without differentiable)
                    if g is None:
                        continue
                    if type(g._arr) is CooArray and not self._sparse_grads:
                        _refuse_sparse(self)
                    todo.append(p)
                if todo and not group.get("differentiable"):
                    todo = self._multi_tensor_update(todo, group)
                for p in todo:
                    self._update_by_group(p, group)
        return loss

    def _multi_tensor_update(self, params, group):
        """Update what one multi-tensor launch per (device, dtype) can of ``params`` (all
        with a gradient), returning the rest for the per-parameter update (subclasses with
        multi-tensor kernels: SGD, Adam, AdamW; here: none)."""
        return params

    def _update_by_group(self, p, group):
        """``p``'s update as its group's ``differentiable`` says (PyTorch's: the group's flag
        picks the update, the defaults' the grad mode; they differ after load_state_dict)."""
        if group.get("differentiable") and (type(self)._differentiable_update
                                            is not Optimizer._differentiable_update):
            self._differentiable_update(p, group)
        else:
            self._update(p, group)
            p._bump_version()

    def _update(self, p, group):
        """Update ``p`` in place from ``p.grad`` with ``group``'s options (subclasses)."""
        raise NotImplementedError

    def _differentiable_update(self, p, group):
        """``differentiable=True``'s update (subclasses that support it): PyTorch's
        single-tensor update in in-place Tensor ops, run under enable_grad, so the parameter,
        its state and a Tensor lr carry the step's autograd history."""
        raise NotImplementedError

    def _zeros_state(self, p, state, *names):
        """Zero state tensors like ``p`` (its device and dtype), made at its first step."""
        from ..ops.factories import zeros_like
        for name in names:
            state[name] = zeros_like(p)

    @staticmethod
    def _next_step(state):
        """Count one more step in ``state['step']`` and return the count as a float."""
        st = state["step"]
        if not isinstance(st, Tensor):
            state["step"] = st + 1
            return float(st + 1)
        st._arr += 1
        st._bump_version()
        return float(st.item())

    # ---- state_dict ------------------------------------------------------------------
    def state_dict(self):
        """``{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}``; the
        state tensors are the optimizer's own (not copies), as in PyTorch."""
        mapping = {}
        start = 0

        def pack_group(group):
            nonlocal start
            packed = {k: v for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                mapping.setdefault(id(p), i)
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            return packed

        param_groups = [pack_group(g) for g in self.param_groups]
        packed_state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v
                        for k, v in self.state.items()}
        return {"state": packed_state, "param_groups": param_groups}

    @staticmethod
    def _cast_state(param, value, group, key=None):
        """A loaded state value on ``param``'s device (and in its dtype when floating); the
        step count stays as saved unless the group is capturable or fused."""
        if isinstance(value, Tensor):
            if key == "step":
                if group.get("capturable") or group.get("fused"):
                    return value.to(dtype=_dtype.float32, device=param.device)
                return value
            if param.is_floating_point():
                return value.to(dtype=param.dtype, device=param.device)
            return value.to(device=param.device)
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, v, group, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_state(param, v, group) for v in value)
        return value

    def load_state_dict(self, state_dict):
        """Load a ``state_dict()`` (this optimizer's or PyTorch's format) onto these params."""
        state_dict = state_dict.copy()
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        group_of = {pid: g for g in state_dict["param_groups"] for pid in g["params"]}
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_state(param, v, group_of.get(k, {}))
            else:
                state[k] = v

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        param_groups = [update_group(g, ng) for g, ng in zip(groups, saved_groups)]
        self.__setstate__({"state": state, "param_groups": param_groups})
