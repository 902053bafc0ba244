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

Gate order is PyTorch's: LSTM (i, f, g, o), GRU (r, z, n).  Packed sequences (batch sizes
non-increasing over time) run the same steps on the first ``batch_sizes[t]`` rows; a sequence's
final state is cut off the state when it ends (forward direction) and the reverse direction
grows its state with the initial states of the sequences that start.

``lstm_cell``, ``gru_cell``, ``rnn_tanh_cell`` and ``rnn_relu_cell`` are PyTorch's
``torch.lstm_cell`` etc.: one step from the raw weights.
"""
import numpy as np

from ..autograd.function import ArrayFunction
from . import elementwise as E
from .activation import dropout as _dropout
from .join import cat, split, stack, unbind
from .linalg import linear_addmm
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


class _LSTMPointwise(ArrayFunction):
    """An LSTM step after its gate matmul, as one node: (h', c') from the gates (N, 4H) and c.

    The layers run their time loop through it (11 nodes a step become 2: the engine's cost per
    node is what a small LSTM step spends its time on); LSTMCell keeps the composite ops, whose
    node names are PyTorch's.  Backward: with t = tanh(c'), dc = gc + gh * o * (1 - t^2),
    the gates' gradient is (dc g i(1-i), dc c f(1-f), dc i (1-g^2), gh t o(1-o)) and c's dc f;
    written once on arrays for first order and, under create_graph, recomputed in Tensor ops."""
    node_name = "LstmStepBackward0"

    @staticmethod
    def forward(ctx, gates, c):
        ctx.save_for_backward(gates, c)
        xp, a, n = gates._be.xp, gates._arr, c._arr.shape[1]
        sig = 1 / (1 + xp.exp(-a))  # overflow to inf is fine: gradcore's filter drops it
        i, f, o = sig[:, :n], sig[:, n:2 * n], sig[:, 3 * n:]
        g = xp.tanh(a[:, 2 * n:3 * n])
        c_new = f * c._arr + i * g
        t = xp.tanh(c_new)
        ctx.acts = i, f, g, o, t
        return o * t, c_new

    @staticmethod
    def array_backward(ctx, gh, gc):
        i, f, g, o, t = ctx.acts
        _, c = ctx.saved_arrays
        xp = np if type(t) is np.ndarray else ctx._be.xp
        if gh is None:
            gh = xp.zeros_like(t)
        dc = gh * o * (1 - t * t)
        if gc is not None:
            dc = dc + gc
        d = xp.concatenate((dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                            gh * t * o * (1 - o)), axis=1)
        return d, dc * f

    @staticmethod
    def backward(ctx, gh, gc):
        gates, c = ctx.saved_tensors
        i, f, g, o = split(gates, c.shape[1], 1)
        i, f, g, o = E.sigmoid(i), E.sigmoid(f), E.tanh(g), E.sigmoid(o)
        t = E.tanh(f * c + i * g)
        if gh is None:
            gh = t * 0
        dc = gh * o * (1 - t * t)
        if gc is not None:
            dc = dc + gc
        d = cat((dc * g * i * (1 - i), dc * c * f * (1 - f), dc * i * (1 - g * g),
                 gh * t * o * (1 - o)), 1)
        return d, dc * f


def _lstm_layer_step(xp, state, w_hh, b_hh, w_hr):
    h, c = state
    h, c = _LSTMPointwise.apply(_gates(xp, h, w_hh), c)
    if w_hr is not None:
        h = h.matmul(w_hr.t())
    return h, c


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


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor

    One Elman RNN step: ``tanh(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh)``; input (N, in),
    hx (N, hidden), w_ih (hidden, in), w_hh (hidden, hidden), biases (hidden,) or None."""
    return _cell("RNN_TANH", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor

    One Elman RNN step with ReLU: ``relu(input @ w_ih.T + b_ih + hx @ w_hh.T + b_hh)``; shapes
    as rnn_tanh_cell."""
    return _cell("RNN_RELU", input, (hx,), w_ih, w_hh, b_ih, b_hh)[0]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> (Tensor, Tensor)

    One LSTM step: gates ``input @ w_ih.T + b_ih + h @ w_hh.T + b_hh`` cut into (i, f, g, o),
    ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) * tanh(c')``; hx is
    (h, c), each (N, hidden); w_ih (4 * hidden, in), w_hh (4 * hidden, hidden). Returns
    (h', c')."""
    if len(hx) != 2:
        raise RuntimeError(f"lstm_cell expects two hidden states, got {len(hx)}")
    return _cell("LSTM", input, hx, w_ih, w_hh, b_ih, b_hh)


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


def _rnn(mode, input, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
         bidirectional, batch_first):
    """The multi-layer recurrence: PyTorch's ``_VF.<mode>``.

    input: (T, N, in) ((N, T, in) with batch_first), or the data (sum of lengths, in) of a
    packed sequence when ``batch_sizes`` (a list of ints) is given; hx: a tuple of the initial
    states, (h0,) or (h0, c0), each (num_layers * num_directions, N, *); params: the flat
    weights in PyTorch's order.  Returns (output, tuple of final states)."""
    step = _lstm_layer_step if mode == "LSTM" else _STEPS[mode]
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
            xp = _projection(mode, x, w_ih, b_ih, b_hh)
            state = tuple(s[layer * dirs + d] for s in states0)
            weights = (w_hh, b_hh, w_hr)
            if batch_sizes is None:
                ys, state = _run_uniform(step, unbind(xp, time_dim), state, weights, d == 1)
                outs.append(stack(ys, time_dim))
            else:
                xs = split(xp, batch_sizes, 0)
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
