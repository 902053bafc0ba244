"""The gradient reducer behind DistributedDataParallel: parameters in buckets, each bucket's
gradients all-reduced (``async_op``) as soon as the bucket is full, during backward.

PyTorch's Reducer, rebuilt on gradcore's pieces:

- ``compute_bucket_assignment_by_size`` is ``torch.distributed._compute_bucket_assignment_by_size``
  (the same buckets: one key per dtype and device, a bucket closes once it holds
  ``bucket_size_limits[k]`` bytes, the k-th limit for the k-th bucket of a key, the last
  limit after that; sorted by their smallest index unless an order is given).
- Each bucket is one flat array on the parameters' device; ``Tensor.register_post_accumulate_
  grad_hook`` on every parameter copies its gradient times ``1 / world size`` into its slot
  (``gradient_as_bucket_view``: ``.grad`` *is* the slot), and when the last slot of the next
  bucket in order is written the bucket's ``all_reduce(SUM, async_op=True)`` is posted.
  Buckets are posted in the same order on every rank (collectives match by order).  Every
  hook also polls the posted works (MPI moves a non-blocking collective only inside an MPI
  call), so communication overlaps the rest of backward.
- The hook that completes the last bucket finalizes: it waits for every work in order and
  writes the averages into ``.grad`` -- all of it before ``backward`` returns.
- Unused parameters: ``find_unused_parameters`` walks the graph from the forward's outputs
  and marks the parameters it does not reach ready with zeros at the first hook (their
  ``.grad`` stays untouched unless another rank used them: a used map is all-reduced too);
  without it a parameter that got no gradient leaves the reduction unfinished, and the next
  forward raises PyTorch's RuntimeError naming the parameter indices.
- After the first synchronized backward the buckets are rebuilt in the order gradients became
  ready there (PyTorch's rebuild; not with ``find_unused_parameters`` unless the graph is
  static)."""
import numpy as np

from ..tensor import _wrap
from . import collectives as _c
from .reduce_op import ReduceOp

__all__ = ["compute_bucket_assignment_by_size", "Reducer", "DEFAULT_FIRST_BUCKET_BYTES"]

DEFAULT_FIRST_BUCKET_BYTES = 1024 * 1024  # torch.distributed._DEFAULT_FIRST_BUCKET_BYTES

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. "
    "This error indicates that your module has parameters that were not used in producing "
    "loss. You can enable unused parameter detection by passing the keyword argument "
    "`find_unused_parameters=True` to `torch.nn.parallel.DistributedDataParallel`, and by \n"
    "making sure all `forward` function outputs participate in calculating loss. \n"
    "If you already have done the above, then the distributed data parallel module wasn't "
    "able to locate the output tensors in the return value of your module's `forward` "
    "function. Please include the loss function and the structure of the return value of "
    "`forward` of your module when reporting this issue (e.g. list, dict, iterable).\n"
    "Parameter indices which did not receive grad for rank {rank}: {indices}\n In addition, "
    "you can set the environment variable TORCH_DISTRIBUTED_DEBUG to either INFO or DETAIL to "
    "print out information about which particular parameters did not receive gradient on "
    "this rank as part of this error")


def compute_bucket_assignment_by_size(tensors, bucket_size_limits, expect_sparse_gradient=(),
                                      tensor_indices=()):
    """compute_bucket_assignment_by_size(tensors, bucket_size_limits,
    expect_sparse_gradient=(), tensor_indices=()) -> (buckets, size_limits)

    PyTorch's bucket assignment: walk ``tensors`` in order, one open bucket per (dtype,
    device); a bucket closes once its bytes reach its limit -- the first of
    ``bucket_size_limits`` for a key's first bucket, then the next, the last one thereafter.
    A tensor expecting a sparse gradient gets a bucket of its own.  ``tensor_indices``: the
    parameter index of each of ``tensors`` (the rebuild passes them in gradient-ready order;
    the buckets keep it), else their positions, and the buckets are sorted by their smallest
    index."""
    order = list(tensor_indices) if len(tensor_indices) else range(len(tensors))
    result, open_, limit_at = [], {}, {}
    for t, i in zip(tensors, order):
        if len(expect_sparse_gradient) and expect_sparse_gradient[i]:
            result.append(([i], None))
            continue
        key = (t.dtype, t.device)
        indices, size = open_.get(key, ([], 0))
        indices.append(i)
        size += t.numel() * t.element_size()
        k = limit_at.setdefault(key, 0)
        limit = bucket_size_limits[k]
        if size >= limit:
            result.append((indices, limit))
            open_.pop(key, None)
            limit_at[key] = min(k + 1, len(bucket_size_limits) - 1)
        else:
            open_[key] = (indices, size)
    for key, (indices, _) in open_.items():
        result.append((indices, bucket_size_limits[limit_at[key]]))
    if not len(tensor_indices):
        result.sort(key=lambda b: min(b[0]))
    return [b[0] for b in result], [b[1] for b in result]


class _Bucket:
    """One bucket: its parameter indices, its flat gradient array (and a Tensor over it for
    the collective), each parameter's view into it, how many slots are still to come, and
    the work of its all-reduce."""
    __slots__ = ("indices", "flat", "tensor", "views", "pending", "work")

    def __init__(self, indices, params):
        p0 = params[indices[0]]
        be = p0._be
        n = sum(params[i].numel() for i in indices)
        self.indices, self.flat = list(indices), be.xp.zeros(n, dtype=p0._arr.dtype)
        self.tensor = _wrap(self.flat, be)
        self.views, off = {}, 0
        for i in indices:
            shape, k = params[i]._arr.shape, params[i].numel()
            self.views[i] = self.flat[off:off + k].reshape(shape)
            off += k
        self.pending, self.work = len(indices), None


def _is_view(grad, view):
    """Whether the gradient Tensor ``grad`` is exactly the bucket slot ``view``."""
    a = grad._arr
    return a is view or (a.base is not None and a.base is view.base and a.shape == view.shape
                         and _ptr(a) == _ptr(view))


def _ptr(a):
    return a.ctypes.data if isinstance(a, np.ndarray) else a.data.ptr


class Reducer:
    """Reducer(params, bucket_indices, process_group, *, rebuild_limits,
    find_unused_parameters=False, gradient_as_bucket_view=False, static_graph=False): the
    buckets of ``params`` (``bucket_indices``, in the order they are
    reduced) and the hooks that reduce them during backward.  DistributedDataParallel calls
    ``prepare_for_forward`` before the wrapped forward and ``prepare_for_backward(outputs)``
    after it."""

    def __init__(self, params, bucket_indices, process_group, *, rebuild_limits,
                 find_unused_parameters=False, gradient_as_bucket_view=False,
                 static_graph=False):
        self.params, self.group = list(params), process_group
        self.index = {id(p): i for i, p in enumerate(self.params)}
        self.rebuild_limits = list(rebuild_limits)
        self.find_unused, self.as_view = find_unused_parameters, gradient_as_bucket_view
        self.static_graph = static_graph
        self.expect_hooks = self.require_finalize = False
        self.ready, self.ready_order, self.unused, self.used = set(), [], [], None
        self.rebuilt = self.marked_unused = False
        self.iteration = 0
        self._build(bucket_indices)
        self.handles = [p.register_post_accumulate_grad_hook(self._hook) for p in self.params]

    # ---- buckets -------------------------------------------------------------------------
    def _build(self, bucket_indices):
        self.buckets = [_Bucket(b, self.params) for b in bucket_indices]
        self.where = {i: b for b in self.buckets for i in b.indices}
        self.next_bucket = 0
        if self.as_view:  # gradients already there move into their slots
            for b in self.buckets:
                for i in b.indices:
                    p = self.params[i]
                    if p._grad is not None:
                        b.views[i][...] = p._grad._arr
                        p._grad = _wrap(b.views[i], p._be)

    def bucket_sizes(self):
        """The buckets' sizes in bytes, in the order they are reduced."""
        return [int(b.flat.nbytes) for b in self.buckets]

    def _should_rebuild(self):
        return (self.static_graph or not self.find_unused) and not self.rebuilt

    def rebuild_buckets(self):
        """Rebuild the buckets in the order the last synchronized backward made the
        gradients ready (once); True when it did."""
        self._ensure_prior_reduction_finished()
        if not self._should_rebuild() or len(self.ready_order) != len(self.params):
            return False
        indices, _ = compute_bucket_assignment_by_size(
            [self.params[i] for i in self.ready_order], self.rebuild_limits, (),
            self.ready_order)
        self.rebuilt = True
        self._build(indices)
        return True

    # ---- one iteration -------------------------------------------------------------------
    def _ensure_prior_reduction_finished(self):
        if self.require_finalize:
            missing = [str(i) for i in range(len(self.params)) if i not in self.ready]
            raise RuntimeError(_UNFINISHED.format(rank=self.group.rank(),
                                                  indices=" ".join(missing)))

    def prepare_for_forward(self):
        """Before a forward whose backward synchronizes: the previous reduction must have
        finished (else PyTorch's unused-parameter RuntimeError)."""
        self.iteration += 1
        self._ensure_prior_reduction_finished()

    def prepare_for_backward(self, outputs):
        """After that forward: expect every parameter's hook; with find_unused_parameters
        (or a static graph's first iteration) find the parameters ``outputs`` do not reach."""
        self.expect_hooks, self.ready, self.next_bucket = True, set(), 0
        self.ready_order = [] if self._should_rebuild() else self.ready_order
        self.marked_unused = False
        for b in self.buckets:
            b.pending, b.work = len(b.indices), None
        if self.find_unused or (self.static_graph and self.iteration <= 1):
            self.unused = self._search_unused(outputs)
        self.used = np.ones(len(self.params), np.int32) if self._dynamic_unused() else None

    def _dynamic_unused(self):
        return self.find_unused and not self.static_graph

    def _search_unused(self, outputs):
        """The indices of the parameters no output's graph reaches."""
        seen, stack, reached = set(), [], set()
        for t in outputs:
            if t.grad_fn is not None:
                stack.append(t.grad_fn)
            elif t.requires_grad and id(t) in self.index:
                reached.add(self.index[id(t)])
        while stack:
            node = stack.pop()
            if node is None or id(node) in seen:
                continue
            seen.add(id(node))
            var = getattr(node, "variable", None)
            if var is not None and id(var) in self.index:
                reached.add(self.index[id(var)])
            stack.extend(n for n, _ in node.next_functions if n is not None)
        return [i for i in range(len(self.params)) if i not in reached]

    def _hook(self, param):
        if not self.expect_hooks:
            return
        if not self.marked_unused:
            self.marked_unused = True
            for i in self.unused:
                if self.used is not None:
                    self.used[i] = 0
                self._mark_ready(i, None)
        self._mark_ready(self.index[id(param)], param)
        self._poll()

    def _mark_ready(self, i, param):
        """Copy parameter ``i``'s gradient (divided by the world size) into its slot; post the
        buckets that are complete, in order; finalize after the last."""
        if i in self.ready:
            return
        self.ready.add(i)
        self.require_finalize = True
        if self._should_rebuild():
            self.ready_order.append(i)
        b = self.where[i]
        view = b.views[i]
        p = self.params[i]
        grad = p._grad if param is not None else None
        scale = 1.0 / self.group.size()
        if grad is None:
            view[...] = 0
        elif self.as_view and _is_view(grad, view):
            view *= scale
        else:
            p._be.xp.multiply(grad._arr, scale, out=view, casting="unsafe")
            if self.as_view:
                p._grad = _wrap(view, p._be)
        b.pending -= 1
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].pending == 0:
            bucket = self.buckets[self.next_bucket]
            bucket.work = _c.all_reduce(bucket.tensor, group=self.group, async_op=True)
            self.next_bucket += 1
        if self.next_bucket == len(self.buckets):
            self._finalize()

    def _poll(self):
        for b in self.buckets[:self.next_bucket]:
            if b.work is not None and not b.work.is_completed():
                return

    def _finalize(self):
        """Wait for every bucket in order and write the averaged gradients into ``.grad``."""
        self.expect_hooks = False
        used = None
        if self.static_graph:  # the unused parameters found in the first iteration
            used = np.ones(len(self.params), np.int32)
            used[self.unused] = 0
        elif self.used is not None:  # a parameter used on any rank gets the reduced gradient
            be = self.params[0]._be
            t = _wrap(be.xp.asarray(self.used), be)
            _c.all_reduce(t, op=ReduceOp.MAX, group=self.group)
            used = be.to_host(t._arr)
        for b in self.buckets:
            b.work.wait()
            b.work = None
            for i in b.indices:
                p, view = self.params[i], b.views[i]
                if used is not None and not used[i]:
                    continue  # unused on every rank: .grad untouched
                if p._grad is None:
                    p._grad = _wrap(view if self.as_view else view.copy(), p._be)
                elif not (self.as_view and _is_view(p._grad, view)):
                    p._grad._arr[...] = view
        self.require_finalize = False

    def remove(self):
        """Take the hooks off the parameters."""
        for h in self.handles:
            h.remove()
        self.handles = []

