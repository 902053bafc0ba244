"""Is a CUDA graph being captured, and the refusal of what a capture can't hold.

``gradcore.cuda.CUDAGraph.capture_begin`` records its capture here (``begin``) and
``capture_end`` removes it (``end``); at most one capture is underway in the process (PyTorch's
rule).  The CUDA backend and the ops whose work needs the host -- a device->host copy
(``.item()``, ``.tolist()``, ``.cpu()``, ``.numpy()``, printing), a host->device copy, a
synchronize, an output shape read from the data (``nonzero``, ``masked_select``, boolean-mask
indexing), a draw from CuPy's generator (its state lives on the host, so a replay would repeat
the captured numbers) -- call ``check(what)`` first: a list's truth test when nothing is being
captured, and while a capture is underway the ``RuntimeError`` CUDA would give
("operation not permitted when stream is capturing"), raised *before* anything reaches CUDA,
so the capture is not invalidated and ``capture_end`` still ends it cleanly.

A capture in the "global" mode binds every thread (CUDA refuses their unsafe calls too); in
"thread_local" and "relaxed" modes only the capturing thread is refused.

Imports nothing of gradcore: every layer may call it.
"""
import threading

_active = []  # the captures underway (at most one): whatever capture_begin passed to begin()
_owner = [None]  # the capturing thread's ident, or None: every thread is bound ("global")

CAPTURE_UNSUPPORTED = ("CUDA error: operation not permitted when stream is capturing "
                       "(cudaErrorStreamCaptureUnsupported)")


def begin(capture, thread=None):
    """Record ``capture`` as underway, binding ``thread`` (an ident; None: every thread);
    RuntimeError when another one is underway."""
    if _active:
        raise RuntimeError("a CUDA graph capture is already underway in this process: only one "
                           "capture may be underway at a time (end it with capture_end() first)")
    _active.append(capture)
    _owner[0] = thread


def applies():
    """Whether the capture underway binds the calling thread."""
    return _owner[0] is None or _owner[0] == threading.get_ident()


def end(capture):
    """The capture is over (a no-op for one that isn't recorded)."""
    if capture in _active:
        _active.remove(capture)


def active():
    """The capture underway, or None."""
    return _active[0] if _active else None


def host_checks():
    """Whether an op may check its data on the host (bounds of targets and indices): not while
    a capture is underway -- reading device data would sync -- where, as PyTorch's CUDA
    kernels' device-side asserts do not either, the check is left out."""
    return not (_active and applies())


def check(what, be=None):
    """Refuse ``what`` (words naming the operation) while a CUDA graph is being captured --
    when its arrays are on a CUDA backend ``be`` (None: whatever the device)."""
    if _active and (be is None or be.launches_kernels) and applies():
        refuse(what)


def refuse(what):
    raise RuntimeError(
        f"{what} can't be captured into a CUDA graph: {CAPTURE_UNSUPPORTED}. gradcore refused "
        f"it before calling CUDA, so the capture is still valid; do this outside the captured "
        f"region (before capture_begin / the `with torch.cuda.graph(g):` block, or after it).")


def check_optimizer_step(optimizer):
    """PyTorch's graph-capture health check of ``Optimizer.step`` (its
    _accelerator_graph_capture_health_check): while a capture is underway, an optimizer whose
    param_groups carry a ``capturable`` flag must have it set in every group -- its step reads
    host state (the step count) otherwise, which a replay would not update.  gradcore's keep it
    on the host even then, so with the flag set it refuses (NotImplementedError) rather than
    record a step that replays wrong.  Called at the top of Optimizer.step()."""
    if _active and applies():
        groups = optimizer.param_groups
        if any("capturable" in g for g in groups):
            name = type(optimizer).__name__
            if not all(g.get("capturable") for g in groups):
                raise RuntimeError(f"Attempting CUDA graph capture of step() for an instance of "
                                   f"{name} but param_groups' capturable is False.")
            # gradcore keeps the step count (and the bias corrections made from it) on the
            # host even with capturable=True: a replay would reuse the captured step's values
            raise NotImplementedError(f"{name}.step() cannot be captured in a CUDA graph in "
                                      f"gradcore: its step count lives on the host, so every "
                                      f"replay would repeat the captured step's bias "
                                      f"corrections. Capture the forward and backward only "
                                      f"(make_graphed_callables) and call step() eagerly.")
