"""The recurrent cells' math (RNN, LSTM, GRU steps) and the multi-layer recurrence over time.

Everything is composed of existing differentiable ops (linear / addmm, split, sigmoid, tanh,
mul, add, stack, cat), so backward (and double backward) come for free.  To keep the Python
work per time step small:

* the input projection ``x @ w_ih.T + b`` of a layer is one addmm over all time steps at once,
  then ``unbind`` (or, for packed input, ``split`` by the batch sizes) gives each step's slice;
* for RNN and LSTM both biases are folded into that projection (``b_ih + b_hh``), so a step's
  gates are a single addmm node ``xp_t + h @ w_hh.T`` (GRU keeps ``b_hh`` with the hidden
  product: PyTorch's new gate is ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``);
* the gates are cut with one split node; a step of an LSTM is 11 nodes, of a GRU 12.

A float32 LSTM layer without projections over uniform input -- where PyTorch's CPU LSTM runs
oneDNN's layer and records one MkldnnRnnLayerBackward0 -- is one node for the whole layer and
direction, ``_LSTMLayer`` (the projection, the time loop and BPTT on arrays, the weight
gradients as one matmul over all steps).  The other layers (not the cells, whose node names
are PyTorch's) run each step's pointwise math after the gate matmuls as one node, ``_LSTMPointwise`` (LstmStepBackward0) and ``_GRUPointwise``
(GruStepBackward0): a layer step is 2 nodes.  Their array math is four registered kernels
(``lstm_cell_forward/backward``, ``gru_cell_forward/backward``, kind ``rnn_cell``,
kernels/rnn.cu): the NumPy reference is the CPU path and the CuPy fallback, on CUDA one
RawKernel launch per step and direction each way.  The vector-Jacobian products are written
once (``_lstm_vjp``, ``_gru_vjp``, operators only) for the references and for the nodes'
create_graph backward in Tensor ops.

Gate order is PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).  Packed sequences (batch sizes
non-increasing over time) run the same steps on the first ``batch_sizes[t]`` rows; a sequence's
final state is cut off the state when it ends (forward direction) and the reverse direction
grows its state with the initial states of the sequences that start.

``lstm_cell``, ``gru_cell``, ``rnn_tanh_cell`` and ``rnn_relu_cell`` are PyTorch's
``torch.lstm_cell`` etc.: one step from the raw weights.
"""
from .._autocast import FP16, LOWER, autocast_op
from ..autograd.function import ArrayFunction
from ..backend.kernels import kernel
from . import elementwise as E
from .activation import dropout as _dropout
from .factories import zeros_like
from .join import cat, split, stack, unbind
from .linalg import _matmul, linear_addmm
from .normalization import linear


# ---- one time step -------------------------------------------------------------------------
# Each step gets ``xp`` (the input projection of this step, biases included except GRU's b_hh),
# the state tuple and the layer's (w_hh, b_hh, w_hr); it returns the new state tuple, whose
# first entry is the step's output.

def _gates(xp, h, w_hh):
    """``xp + h @ w_hh.T`` as one addmm node."""
    return linear_addmm(xp, h, w_hh)


def _tanh_step(xp, state, w_hh, b_hh, w_hr):
    return (E.tanh(_gates(xp, state[0], w_hh)),)


def _relu_step(xp, state, w_hh, b_hh, w_hr):
    return (E.relu(_gates(xp, state[0], w_hh)),)


def _lstm_step(xp, state, w_hh, b_hh, w_hr):
    h, c = state
    gates = _gates(xp, h, w_hh)
    i, f, g, o = split(gates, c.shape[1], 1)
    c = E.sigmoid(f) * c + E.sigmoid(i) * E.tanh(g)
    h = E.sigmoid(o) * E.tanh(c)
    if w_hr is not None:
        h = h.matmul(w_hr.t())
    return h, c


# ---- the layers' fused steps: kernels (references on xp) and their nodes -------------------

def _lstm_vjp(gh, gc, i, f, g, o, t, c):
    """An LSTM step's vector-Jacobian product from its activations (operators only: arrays or
    Tensors).  With dc = gh o (1 - t^2) + gc: (di, df, dg, do, dc_prev) = (dc g i(1-i),
    dc c f(1-f), dc i (1-g^2), gh t o(1-o), dc f); do is None without gh (zero)."""
    if gh is None:
        dc, d_o = gc, None
    else:
        dc = gh * o * (1 - t * t)
        if gc is not None:
            dc = dc + gc
        d_o = gh * t * o * (1 - o)
    return dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g), d_o, dc * f


def _gru_vjp(gy, r, z, n, h_n, h):
    """A GRU step's vector-Jacobian product (operators only): the pre-activation gradients
    (dr, dz, dn), h_n's dn r and h's gy z, for h' = (h - n) z + n, n = tanh(x_n + r h_n)."""
    dz = gy * (h - n) * z * (1 - z)
    dn = gy * (1 - z) * (1 - n * n)
    dr = dn * h_n * r * (1 - r)
    return dr, dz, dn, dn * r, gy * z


@kernel("rnn_cell")
def lstm_cell_forward(xp, gates, c):
    """One LSTM step after its gate matmul: gates (N, 4H) in the order (i, f, g, o) and c (N, H)
    -> (h', c', act), act (5, N, H) holding sigmoid(i), sigmoid(f), tanh(g), sigmoid(o) and
    tanh(c') for the backward (gate-major: each a contiguous block, which the backward's
    NumPy ops run fastest on)."""
    n = c.shape[1]
    sig = 1 / (1 + xp.exp(-gates))  # exp overflowing to inf gives 0 (g's block is unused)
    g = xp.tanh(gates[:, 2 * n:3 * n])
    c_new = sig[:, n:2 * n] * c + sig[:, :n] * g
    t = xp.tanh(c_new)
    o = sig[:, 3 * n:]
    act = xp.concatenate((sig[:, :n], sig[:, n:2 * n], g, o, t))  # (5N, H): xp.stack is slow
    return o * t, c_new, act.reshape(5, c.shape[0], n)


@kernel("rnn_cell")
def lstm_cell_backward(xp, gh, gc, act, c):
    """lstm_cell_forward's backward: the gradients of h' and c' (either may be None) -> those
    of the gates (N, 4H) and of c (``_lstm_vjp``)."""
    if gh is None and gc is None:
        gc = xp.zeros_like(c)
    i, f, g, o, t = act
    di, df, dg, d_o, dc = _lstm_vjp(gh, gc, i, f, g, o, t, c)
    return xp.concatenate((di, df, dg, xp.zeros_like(di) if d_o is None else d_o), axis=1), dc


@kernel("rnn_cell")
def gru_cell_forward(xp, xg, hg, h):
    """One GRU step after its two matmuls: xg = W_i x + b_i and hg = W_h h + b_h (N, 3H) in
    the order (r, z, n), h (N, H) -> (h', act): r, z = sigmoid(x + h parts),
    n = tanh(x_n + r * h_n), h' = (h - n) * z + n; act (3, N, H) = (r, z, n)."""
    n_h = h.shape[1]
    rz = 1 / (1 + xp.exp(-(xg[:, :2 * n_h] + hg[:, :2 * n_h])))
    r, z = rz[:, :n_h], rz[:, n_h:]
    n = xp.tanh(xg[:, 2 * n_h:] + r * hg[:, 2 * n_h:])
    return (h - n) * z + n, xp.concatenate((r, z, n)).reshape(3, h.shape[0], n_h)


@kernel("rnn_cell")
def gru_cell_backward(xp, gy, act, hg, h):
    """gru_cell_forward's backward: h''s gradient -> those of xg, hg (N, 3H) and h
    (``_gru_vjp``)."""
    r, z, n = act
    dr, dz, dn, dhn, dh = _gru_vjp(gy, r, z, n, hg[:, 2 * h.shape[1]:], h)
    return xp.concatenate((dr, dz, dn), axis=1), xp.concatenate((dr, dz, dhn), axis=1), dh


class _LSTMPointwise(ArrayFunction):
    """An LSTM layer step after its gate matmul, as one node: (h', c') from the gates (N, 4H)
    and c, by the kernels lstm_cell_forward/backward.

    The layers run their time loop through it (11 nodes a step become 2: the engine's cost per
    node is what a small LSTM step spends its time on; on CUDA one launch each way instead of
    ~15); LSTMCell keeps the composite ops, whose node names are PyTorch's.  Under
    create_graph the backward recomputes the activations in Tensor ops and applies the same
    ``_lstm_vjp``."""
    node_name = "LstmStepBackward0"

    @staticmethod
    def forward(ctx, gates, c):
        ctx.save_for_backward(gates, c)
        h, c_new, ctx.act = lstm_cell_forward(gates._be, gates._arr, c._arr)
        return h, c_new

    @staticmethod
    def array_backward(ctx, gh, gc):
        if gh is None and gc is None:
            return None, None
        _, c = ctx.saved_arrays
        return lstm_cell_backward(ctx._be, gh, gc, ctx.act, c)

    @staticmethod
    def backward(ctx, gh, gc):
        if gh is None and gc is None:
            return None, None
        gates, c = ctx.saved_tensors
        i, f, g, o = split(gates, c.shape[1], 1)
        i, f, g, o = E.sigmoid(i), E.sigmoid(f), E.tanh(g), E.sigmoid(o)
        t = E.tanh(f * c + i * g)
        di, df, dg, d_o, dc = _lstm_vjp(gh, gc, i, f, g, o, t, c)
        return cat((di, df, dg, zeros_like(di) if d_o is None else d_o), 1), dc


class _GRUPointwise(ArrayFunction):
    """A GRU layer step after its two matmuls, as one node: h' from xg, hg (N, 3H) and h, by
    the kernels gru_cell_forward/backward (12 nodes a step become 2, as _LSTMPointwise;
    GRUCell keeps the composite ops).  Create_graph: recomputed in Tensor ops, ``_gru_vjp``."""
    node_name = "GruStepBackward0"

    @staticmethod
    def forward(ctx, xg, hg, h):
        ctx.save_for_backward(xg, hg, h)
        out, ctx.act = gru_cell_forward(h._be, xg._arr, hg._arr, h._arr)
        return out

    @staticmethod
    def array_backward(ctx, gy):
        _, hg, h = ctx.saved_arrays
        return gru_cell_backward(ctx._be, gy, ctx.act, hg, h)

    @staticmethod
    def backward(ctx, gy):
        xg, hg, h = ctx.saved_tensors
        n_h = h.shape[1]
        x_rz, x_n = split(xg, (2 * n_h, n_h), 1)
        h_rz, h_n = split(hg, (2 * n_h, n_h), 1)
        r, z = split(E.sigmoid(x_rz + h_rz), n_h, 1)
        n = E.tanh(x_n + r * h_n)
        dr, dz, dn, dhn, dh = _gru_vjp(gy, r, z, n, h_n, h)
        return cat((dr, dz, dn), 1), cat((dr, dz, dhn), 1), dh


class _LSTMLayer(ArrayFunction):
    """A whole LSTM layer in one direction over uniform time-major input (T, N, in), as one
    node, as PyTorch's CPU float32 LSTM records it (MkldnnRnnLayerBackward0): forward, the
    input projection as one matmul over all steps, then per step ``h @ w_hh.T`` and
    ``lstm_cell_forward``; backward, per step (last first) ``lstm_cell_backward`` and the
    carried ``dgates @ w_hh``, then the weight, bias and input gradients as one matmul each
    over all steps.  The engine walks one node a layer instead of ~3 a step.  Tensor inputs:
    x, w_ih, w_hh, h0, c0 and the two biases when there are; ``reverse`` walks time backwards.
    Under create_graph the backward is the same recurrence in Tensor ops (``_lstm_vjp``)."""
    node_name = "MkldnnRnnLayerBackward0"

    @staticmethod
    def forward(ctx, reverse, x, w_ih, w_hh, h0, c0, b_ih=None, b_hh=None):
        ctx.save_for_backward(x, w_ih, w_hh, h0, c0, b_ih, b_hh)
        be = x._be
        xa, n_t = x._arr, x._arr.shape[0]
        bias = None if b_ih is None else b_ih._arr + b_hh._arr
        proj = _linear_arrays(be.xp, xa.reshape(-1, xa.shape[2]), w_ih._arr, bias)
        proj = proj.reshape(n_t, xa.shape[1], -1)
        w_t = be.xp.ascontiguousarray(w_hh._arr.T)  # BLAS on a transposed view: ~3x slower
        h, c = h0._arr, c0._arr
        ys, hs, cs, acts = [None] * n_t, [None] * n_t, [None] * n_t, [None] * n_t
        for t in (range(n_t - 1, -1, -1) if reverse else range(n_t)):
            hs[t], cs[t] = h, c
            gates = _linear_arrays(be.xp, h, w_hh._arr, proj[t], w_t)
            h, c, acts[t] = lstm_cell_forward(be, gates, c)
            ys[t] = h
        ctx.reverse, ctx.hs, ctx.cs, ctx.acts = reverse, hs, cs, acts
        return be.xp.stack(ys), h, c

    @staticmethod
    def array_backward(ctx, gy, gh, gc):
        be = ctx._be
        xp = be.xp
        x, w_ih, w_hh, h0, c0 = ctx.saved_arrays[:5]
        n_t = len(ctx.acts)
        dgates = xp.zeros((n_t,) + h0.shape[:1] + (w_hh.shape[0],), dtype=h0.dtype)
        for t in (range(n_t) if ctx.reverse else range(n_t - 1, -1, -1)):
            if gy is not None:
                gh = gy[t] if gh is None else gh + gy[t]
            if gh is None and gc is None:
                continue
            dgates[t], gc = lstm_cell_backward(be, gh, gc, ctx.acts[t], ctx.cs[t])
            gh = _matmul(xp, dgates[t], w_hh)
        return _layer_grads(ctx, xp, dgates, x, w_ih, gh, gc, xp.stack(ctx.hs))

    @staticmethod
    def backward(ctx, gy, gh, gc):
        x, w_ih, w_hh, h0, c0, *biases = ctx.saved_tensors
        n_t, n_h = x.shape[0], h0.shape[1]
        order = range(n_t - 1, -1, -1) if ctx.reverse else range(n_t)
        xs = unbind(_projection("LSTM", x, w_ih, *(biases or (None, None))), 0)
        h, c, steps = h0, c0, [None] * n_t
        for t in order:  # the forward again, in Tensor ops
            i, f, g, o = split(_gates(xs[t], h, w_hh), n_h, 1)
            i, f, g, o = E.sigmoid(i), E.sigmoid(f), E.tanh(g), E.sigmoid(o)
            c_new = f * c + i * g
            steps[t] = (i, f, g, o, E.tanh(c_new), c, h)
            h, c = o * steps[t][4], c_new
        dgates = [None] * n_t
        for t in reversed(order):
            i, f, g, o, tc, c, _ = steps[t]
            if gy is not None:
                gh = gy[t] if gh is None else gh + gy[t]
            if gh is None and gc is None:
                dgates[t] = zeros_like(i).repeat(1, 4)
                continue
            di, df, dg, d_o, gc = _lstm_vjp(gh, gc, i, f, g, o, tc, c)
            dgates[t] = cat((di, df, dg, zeros_like(di) if d_o is None else d_o), 1)
            gh = dgates[t].matmul(w_hh)
        return _layer_grads(ctx, None, stack(dgates), x, w_ih, gh, gc,
                            stack([s[6] for s in steps]))


def _linear_arrays(xp, x, w, bias, w_t=None):
    """``x @ w.T + bias`` on arrays (bias None: none; ``w_t``: w.T made once)."""
    out = _matmul(xp, x, w.T if w_t is None else w_t)
    if bias is not None:
        out += bias
    return out


def _layer_grads(ctx, xp, dgates, x, w_ih, gh, gc, hs):
    """_LSTMLayer's gradients of (x, w_ih, w_hh, h0, c0[, b_ih, b_hh]) from the gates'
    gradients (T, N, 4H) and the carried (gh, gc), on arrays (xp) or Tensors (xp None)."""
    need = ctx.needs_input_grad
    d2 = dgates.reshape(-1, dgates.shape[2])
    mm_ = (lambda a, b: _matmul(xp, a, b)) if xp is not None else (lambda a, b: a.matmul(b))
    dx = mm_(d2, w_ih).reshape(x.shape) if need[0] else None
    dw_ih = mm_(d2.T, x.reshape(-1, x.shape[2])) if need[1] else None
    dw_hh = mm_(d2.T, hs.reshape(-1, hs.shape[2])) if need[2] else None
    out = (dx, dw_ih, dw_hh, gh if need[3] else None, gc if need[4] else None)
    if len(need) > 5:
        db = d2.sum(0)
        out += (db if need[5] else None, db if need[6] else None)
    return out


def _fused_layer(mode, x, batch_sizes, w_hr):
    """Whether a layer runs as one _LSTMLayer node: as PyTorch's oneDNN layer, an LSTM of
    float32 without projections over uniform input."""
    return (mode == "LSTM" and batch_sizes is None and w_hr is None
            and x._arr.dtype.char == "f")


def _lstm_layer_step(xp, state, w_hh, b_hh, w_hr):
    h, c = state
    h, c = _LSTMPointwise.apply(_gates(xp, h, w_hh), c)
    if w_hr is not None:
        h = h.matmul(w_hr.t())
    return h, c


def _gru_layer_step(xp, state, w_hh, b_hh, w_hr):
    h = state[0]
    return (_GRUPointwise.apply(xp, linear(h, w_hh, b_hh), h),)


def _gru_step(xp, state, w_hh, b_hh, w_hr):
    h = state[0]
    n_h = h.shape[1]
    hp = linear(h, w_hh, b_hh)
    x_rz, x_n = split(xp, (2 * n_h, n_h), 1)
    h_rz, h_n = split(hp, (2 * n_h, n_h), 1)
    r, z = split(E.sigmoid(x_rz + h_rz), n_h, 1)
    n = E.tanh(x_n + r * h_n)
    return ((h - n) * z + n,)


_STEPS = {"RNN_TANH": _tanh_step, "RNN_RELU": _relu_step, "LSTM": _lstm_step, "GRU": _gru_step}
_LAYER_STEPS = {**_STEPS, "LSTM": _lstm_layer_step, "GRU": _gru_layer_step}


def _projection(mode, x, w_ih, b_ih, b_hh):
    """The input projection with the biases that go into it (see the module docstring)."""
    if b_ih is None:
        return x.matmul(w_ih.t())
    return linear(x, w_ih, b_ih if mode == "GRU" else b_ih + b_hh)


# ---- the cells (torch.lstm_cell, torch.gru_cell, torch.rnn_tanh_cell, torch.rnn_relu_cell) ---

def _check_cell(input, hx, w_ih, w_hh):
    if input.shape[-1] != w_ih.shape[1]:
        raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} expected "
                           f"{w_ih.shape[1]}")
    for k, h in enumerate(hx):
        if input.shape[0] != h.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match hidden{k} "
                               f"batch size {h.shape[0]}")
        if h.shape[-1] != w_hh.shape[1]:
            raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {h.shape[-1]}, "
                               f"expected {w_hh.shape[1]}")


def _cell(mode, input, hx, w_ih, w_hh, b_ih, b_hh):
    _check_cell(input, hx, w_ih, w_hh)
    if mode == "GRU":
        xp = linear(input, w_ih, b_ih)
    else:  # the hidden bias joins the input projection (one addmm for the gates)
        xp = linear(input, w_ih, None if b_ih is None else b_ih + b_hh)
    return _STEPS[mode](xp, tuple(hx), w_hh, b_hh, None)


@autocast_op(cuda=LOWER)
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor

    One Elman RNN step: ``tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh)``; input (N, in),
    hx (N, hidden), w_ih (hidden, in), w_hh (hidden, hidden), biases (hidden,) or None."""
    return _cell("RNN_TANH", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


@autocast_op(cuda=LOWER)
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor

    One Elman RNN step with ReLU: ``relu(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh)``; shapes
    as rnn_tanh_cell."""
    return _cell("RNN_RELU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


@autocast_op(cuda=LOWER)
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> (Tensor, Tensor)

    One LSTM step: gates ``input @ w_ih.T + b_ih + h @ w_hh.T + b_hh`` cut into (i, f, g, o),
    ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) * tanh(c')``; hx is
    (h, c), each (N, hidden); w_ih (4 * hidden, in), w_hh (4 * hidden, hidden). Returns
    (h', c')."""
    if len(hx) != 2:
        raise RuntimeError(f"lstm_cell expects two hidden states, got {len(hx)}")
    return _cell("LSTM", input, hx, w_ih, w_hh, b_ih, b_hh)


@autocast_op(cuda=LOWER)
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor

    One GRU step, gates (r, z, n): ``r, z = sigmoid(W_i{r,z} x + b_i{r,z} + W_h{r,z} h +
    b_h{r,z})``, ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z *
    h``; w_ih (3 * hidden, in), w_hh (3 * hidden, hidden)."""
    return _cell("GRU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


# ---- a whole recurrence (PyTorch's _VF.lstm / gru / rnn_tanh / rnn_relu) ----------------------

def _run_uniform(step, xs, state, weights, reverse):
    """All sequences as long as the input: xs is the list of the steps' projections."""
    outs = [None] * len(xs)
    for t in (range(len(xs) - 1, -1, -1) if reverse else range(len(xs))):
        state = step(xs[t], state, *weights)
        outs[t] = state[0]
    return outs, state


def _run_packed_forward(step, xs, sizes, state, weights):
    """Packed input, forward in time: a sequence's final state is cut off when it ends."""
    outs, finished, cur = [], [], sizes[0]
    for x, bs in zip(xs, sizes):
        if bs < cur:  # the sequences bs..cur-1 ended at the previous step
            parts = [split(s, (bs, cur - bs), 0) for s in state]
            finished.append(tuple(p[1] for p in parts))
            state, cur = tuple(p[0] for p in parts), bs
        state = step(x, state, *weights)
        outs.append(state[0])
    finished.append(state)
    finished.reverse()  # the earliest-ending pieces hold the highest batch indices
    final = tuple(cat([f[k] for f in finished], 0) if len(finished) > 1 else finished[0][k]
                  for k in range(len(state)))
    return outs, final


def _run_packed_reverse(step, xs, sizes, state0, weights):
    """Packed input, backward in time: sequences join (with their initial state) as the
    step reaches their last element."""
    cuts, prev = [], 0  # state0 cut at the distinct batch sizes, smallest first
    for bs in reversed(sizes):
        if bs > prev:
            cuts.append(bs - prev)
            prev = bs
    pieces = [split(s, cuts, 0) if len(cuts) > 1 else (s,) for s in state0]
    state, cur, k = tuple(p[0] for p in pieces), cuts[0], 1
    outs = [None] * len(xs)
    for t in range(len(xs) - 1, -1, -1):
        if sizes[t] > cur:
            state = tuple(cat([s, p[k]], 0) for s, p in zip(state, pieces))
            cur, k = sizes[t], k + 1
        state = step(xs[t], state, *weights)
        outs[t] = state[0]
    return outs, state


def _layer_params(params, has_biases, proj):
    """params (flat, PyTorch's order) -> one (w_ih, w_hh, b_ih, b_hh, w_hr) per layer/direction."""
    n = 2 + 2 * has_biases + bool(proj)
    out = []
    for j in range(0, len(params), n):
        p = list(params[j:j + n])
        w_ih, w_hh = p[0], p[1]
        b_ih, b_hh = (p[2], p[3]) if has_biases else (None, None)
        out.append((w_ih, w_hh, b_ih, b_hh, p[-1] if proj else None))
    return out


@autocast_op(cuda=FP16)  # PyTorch's _cudnn_rnn under CUDA autocast: in float16
def _rnn(mode, input, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
         bidirectional, batch_first):
    """The multi-layer recurrence: PyTorch's ``_VF.<mode>``.

    input: (T, N, in) ((N, T, in) with batch_first), or the data (sum of lengths, in) of a
    packed sequence when ``batch_sizes`` (a list of ints) is given; hx: a tuple of the initial
    states, (h0,) or (h0, c0), each (num_layers * num_directions, N, *); params: the flat
    weights in PyTorch's order.  Returns (output, tuple of final states)."""
    step = _LAYER_STEPS[mode]
    dirs = 2 if bidirectional else 1
    layers = _layer_params(params, has_biases, mode == "LSTM" and
                           len(params) == num_layers * dirs * (3 + 2 * has_biases))
    time_dim = 1 if batch_first and batch_sizes is None else 0
    if batch_sizes is None and input.shape[time_dim] == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    states0 = [unbind(s, 0) for s in hx]
    finals = [[] for _ in hx]
    x = input
    for layer in range(num_layers):
        if layer and dropout and train:
            x = _dropout(x, dropout, True)
        outs = []
        for d in range(dirs):
            w_ih, w_hh, b_ih, b_hh, w_hr = layers[layer * dirs + d]
            state = tuple(s[layer * dirs + d] for s in states0)
            weights = (w_hh, b_hh, w_hr)
            if _fused_layer(mode, x, batch_sizes, w_hr):
                xt = x if time_dim == 0 else x.transpose(0, 1)
                biases = () if b_ih is None else (b_ih, b_hh)
                y, *state = _LSTMLayer.apply(d == 1, xt, w_ih, w_hh, *state, *biases)
                outs.append(y if time_dim == 0 else y.transpose(0, 1))
            elif batch_sizes is None:
                xp = _projection(mode, x, w_ih, b_ih, b_hh)
                ys, state = _run_uniform(step, unbind(xp, time_dim), state, weights, d == 1)
                outs.append(stack(ys, time_dim))
            else:
                xs = split(_projection(mode, x, w_ih, b_ih, b_hh), batch_sizes, 0)
                if d == 0:
                    ys, state = _run_packed_forward(step, xs, batch_sizes, state, weights)
                else:
                    ys, state = _run_packed_reverse(step, xs, batch_sizes, state, weights)
                outs.append(cat(ys, 0))
            for k, s in enumerate(state):
                finals[k].append(s)
        x = outs[0] if dirs == 1 else cat(outs, -1)
    return x, tuple(stack(f, 0) for f in finals)


METHODS = {}
FUNCTIONS = {"rnn_tanh_cell": rnn_tanh_cell, "rnn_relu_cell": rnn_relu_cell,
             "lstm_cell": lstm_cell, "gru_cell": gru_cell}
FUNCTIONAL = {}  # nn.functional names: PyTorch has none for the recurrent layers
