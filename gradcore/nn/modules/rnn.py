"""Recurrent layers: RNN, LSTM, GRU and their cells (RNNCell, LSTMCell, GRUCell).

Parameters, their names, shapes, order and initialisation are PyTorch's (weight_ih_l{k},
weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, weight_hr_l{k} with proj_size, ``_reverse`` for the
second direction; all U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))), so a PyTorch state_dict
loads as is.  The math is in gradcore/ops/rnn.py.
"""
import math
import numbers
import warnings

from ...ops import factories, rnn as _R
from .. import init
from ..module import Module
from ..parameter import Parameter
from ..utils.rnn import PackedSequence


__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _permute(hx, permutation):
    if permutation is None:
        return hx
    return tuple(h.index_select(1, permutation) for h in hx)


class RNNBase(Module):
    """RNNBase(mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None)

    The base of RNN, LSTM and GRU: builds the parameters of every layer and direction and
    runs the recurrence of ``mode`` ("RNN_TANH", "RNN_RELU", "LSTM" or "GRU").  Use the
    subclasses.

    Args:
        mode: the cell type.
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
        proj_size, device, dtype: as in LSTM.

    Shape:
        see RNN, LSTM and GRU.

    Example:
        >>> m = nn.RNNBase("GRU", 4, 8)
        >>> [k for k, _ in m.named_parameters()]
        ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0']
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        num_directions = 2 if bidirectional else 1
        if (not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1
                or isinstance(dropout, bool)):
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: "
                            f"{type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: "
                            f"{type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: "
                            f"{type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable "
                             "projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _GATES[mode] * hidden_size
        real_hidden_size = proj_size if proj_size > 0 else hidden_size
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden_size * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden_size))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(factories.empty(shape, **kw)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n, None) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters, one list per layer and direction (PyTorch's order)."""
        return [[getattr(self, w) for w in ws] for ws in self._all_weights]

    def flatten_parameters(self):
        """A no-op: PyTorch packs the weights into one buffer for cuDNN here; gradcore reads
        the parameters as they are."""

    def reset_parameters(self):
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def check_input(self, input, batch_sizes):
        """PyTorch's checks of the input's dtype, rank and feature size."""
        w = self._flat_weights[0]
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({input.dtype}) does not match weight dtype "
                             f"({w.dtype}). Convert input: input.to({w.dtype}), or convert "
                             f"model: model.to({input.dtype})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.size(-1)}")

    def _mini_batch(self, input, batch_sizes):
        if batch_sizes is not None:
            return int(batch_sizes[0])
        return input.size(0) if self.batch_first else input.size(1)

    def get_expected_hidden_size(self, input, batch_sizes):
        """(num_layers * num_directions, batch, proj_size or hidden_size)."""
        return (self.num_layers * (2 if self.bidirectional else 1),
                self._mini_batch(input, batch_sizes), self.proj_size or self.hidden_size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        """RuntimeError unless hx has the expected size."""
        if tuple(hx.size()) != tuple(expected_hidden_size):
            raise RuntimeError(msg.format(tuple(expected_hidden_size), list(hx.size())))

    def check_forward_args(self, input, hidden, batch_sizes):
        """The input's and the initial state's checks."""
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def _zeros(self, input, batch, size):
        return factories.zeros(self.num_layers * (2 if self.bidirectional else 1), batch, size,
                               dtype=input.dtype, device=input.device)

    def _forward(self, input, hx, n_states):
        """The shared forward of RNN / LSTM / GRU; hx a tuple of n_states tensors or None."""
        packed = isinstance(input, PackedSequence)
        sizes = [self.proj_size or self.hidden_size, self.hidden_size][:n_states]
        name = "RNN" if self.mode.startswith("RNN") else self.mode
        if packed:
            input, batch_sizes, sorted_indices, unsorted_indices = input
            batch = int(batch_sizes[0])
            if hx is None:
                hx = tuple(self._zeros(input, batch, s) for s in sizes)
            else:
                hx = _permute(hx, sorted_indices)
            batched = True
        else:
            batch_sizes = sorted_indices = unsorted_indices = None
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 + ("tensor instead" if name == "RNN" else "instead"))
            batched = input.dim() == 3
            batch_dim = 0 if self.batch_first else 1
            if not batched:
                input = input.unsqueeze(batch_dim)
            if hx is not None:
                want = 3 if batched else 2
                if any(h.dim() != want for h in hx):
                    kind = "batched 3-D" if batched else "unbatched 2-D"
                    if n_states == 2:
                        raise RuntimeError(
                            f"For {kind} input, hx and cx should also be {want}-D but got "
                            f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                    raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                                       f"{hx[0].dim()}-D tensor")
                if not batched:
                    hx = tuple(h.unsqueeze(1) for h in hx)
            else:
                batch = input.size(0) if self.batch_first else input.size(1)
                hx = tuple(self._zeros(input, batch, s) for s in sizes)
        if n_states == 2:
            self.check_forward_args(input, hx, batch_sizes)
        else:
            self.check_forward_args(input, hx[0], batch_sizes)
        output, hidden = _R._rnn(
            self.mode, input, None if batch_sizes is None else batch_sizes.tolist(), hx,
            self._flat_weights, self.bias, self.num_layers, self.dropout, self.training,
            self.bidirectional, self.batch_first)
        if packed:
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
            hidden = _permute(hidden, unsorted_indices)
        elif not batched:
            output = output.squeeze(batch_dim)
            hidden = tuple(h.squeeze(1) for h in hidden)
        return output, (hidden if n_states == 2 else hidden[0])

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)


_LAYER_ARGS = """
    Args:
        input_size: the number of features of each input step.
        hidden_size: the number of features of the hidden state.
        num_layers: the number of stacked layers (each feeds the next). Default: 1.
        {extra}bias: whether the layers have bias_ih and bias_hh. Default: True.
        batch_first: input and output are (N, L, *) instead of (L, N, *) (the states keep
            (layers * directions, N, *)). Default: False.
        dropout: the probability of dropout on the outputs of every layer but the last, in
            training mode. Default: 0.
        bidirectional: run a second layer over the reversed sequence and concatenate the
            outputs of both directions. Default: False.
        {proj}device, dtype: of the parameters.
"""


class RNN(RNNBase):
    """RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)

    A multi-layer Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or
    relu), the input of layer k > 0 being the output of layer k - 1.
    @ARGS@
    Shape:
        input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
        PackedSequence; h_0: (D * num_layers, N, H_out) (or (D * num_layers, H_out)),
        zeros when omitted; D = 2 if bidirectional else 1.
        output: (L, N, D * H_out) (a PackedSequence for packed input); h_n: like h_0, each
        sequence's state after its last step.

    Example:
        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(torch.randn(5, 3, 10), torch.randn(2, 3, 20))
        >>> output.shape, hn.shape
        (gradcore.Size([5, 3, 20]), gradcore.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self.nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self.nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self.nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self.nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self.nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__(mode, *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, None if hx is None else (hx,), 1)


class LSTM(RNNBase):
    """LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)

    A multi-layer long short-term memory RNN.  Each step: gates ``x_t W_ih^T + b_ih +
    h_{t-1} W_hh^T + b_hh`` cut into (i, f, g, o); ``c_t = sigmoid(f) * c_{t-1} + sigmoid(i) *
    tanh(g)``, ``h_t = sigmoid(o) * tanh(c_t)`` (then ``h_t W_hr^T`` with proj_size > 0).
    @ARGS@
    Shape:
        input: (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or a
        PackedSequence; (h_0, c_0): (D * num_layers, N, H_out) and (D * num_layers, N,
        hidden_size), zeros when omitted; H_out = proj_size or hidden_size.
        output: (L, N, D * H_out) (a PackedSequence for packed input); (h_n, c_n): like
        (h_0, c_0), each sequence's states after its last step.

    Example:
        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (hn, cn) = lstm(torch.randn(5, 3, 10))
        >>> output.shape, hn.shape, cn.shape
        (gradcore.Size([5, 3, 20]), gradcore.Size([2, 3, 20]), gradcore.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        """(num_layers * num_directions, batch, hidden_size)."""
        return (self.num_layers * (2 if self.bidirectional else 1),
                self._mini_batch(input, batch_sizes), self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        """The input's and both initial states' checks."""
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def forward(self, input, hx=None):
        return self._forward(input, None if hx is None else tuple(hx), 2)


class GRU(RNNBase):
    """GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None)

    A multi-layer gated recurrent unit RNN.  Each step, gates (r, z, n):
    ``r, z = sigmoid(W_i{r,z} x_t + b_i{r,z} + W_h{r,z} h + b_h{r,z})``,
    ``n = tanh(W_in x_t + b_in + r * (W_hn h + b_hn))``, ``h_t = (1 - z) * n + z * h``.
    @ARGS@
    Shape:
        as RNN.

    Example:
        >>> gru = nn.GRU(10, 20, 2, batch_first=True)
        >>> output, hn = gru(torch.randn(3, 5, 10))
        >>> output.shape, hn.shape
        (gradcore.Size([3, 5, 20]), gradcore.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return self._forward(input, None if hx is None else (hx,), 1)


RNN.__doc__ = RNN.__doc__.replace("@ARGS@", _LAYER_ARGS.format(
    extra="nonlinearity: 'tanh' or 'relu'. Default: 'tanh'.\n        ", proj=""))
LSTM.__doc__ = LSTM.__doc__.replace("@ARGS@", _LAYER_ARGS.format(
    extra="", proj="proj_size: > 0 adds a projection of h_t to this size (weight_hr_l{k}). "
                   "Default: 0.\n        "))
GRU.__doc__ = GRU.__doc__.replace("@ARGS@", _LAYER_ARGS.format(extra="", proj=""))


# ---- cells ---------------------------------------------------------------------------------

class RNNCellBase(Module):
    """RNNCellBase(input_size, hidden_size, bias, num_chunks, device=None, dtype=None)

    The base of the cells: weight_ih (num_chunks * hidden_size, input_size), weight_hh
    (num_chunks * hidden_size, hidden_size), bias_ih and bias_hh (num_chunks * hidden_size,)
    or None, all U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    Args:
        input_size, hidden_size, bias, device, dtype: as in the cells.
        num_chunks: the number of gates (1 RNN, 3 GRU, 4 LSTM).

    Shape:
        see RNNCell, LSTMCell, GRUCell.

    Example:
        >>> nn.RNNCellBase(3, 4, True, 2).weight_ih.shape
        gradcore.Size([8, 3])
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(factories.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(factories.empty((num_chunks * hidden_size, hidden_size),
                                                   **kw))
        if bias:
            self.bias_ih = Parameter(factories.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(factories.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        """Draw every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _prepare(self, input, hx, n_states):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D "
                             f"instead")
        if hx is not None:
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    what = f"hx[{idx}]" if n_states == 2 else "hidden"
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got "
                                     f"{value.dim()}D instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if hx is None:
            zeros = factories.zeros(input.size(0), self.hidden_size, dtype=input.dtype,
                                    device=input.device)
            hx = (zeros,) * n_states
        elif not batched:
            hx = tuple(h.unsqueeze(0) for h in hx)
        return input, tuple(hx), batched


_CELL_ARGS = """
    Args:
        input_size: the number of input features.
        hidden_size: the number of features of the hidden state.
        bias: whether the cell has bias_ih and bias_hh. Default: True.
        {extra}device, dtype: of the parameters.
"""


class RNNCell(RNNCellBase):
    """RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh', device=None, dtype=None)

    One Elman RNN step: ``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).
    @ARGS@
    Shape:
        input (N, H_in) or (H_in,); hidden (N, H) or (H,), zeros when omitted; output like
        hidden.

    Example:
        >>> cell = nn.RNNCell(10, 20)
        >>> cell(torch.randn(3, 10), torch.randn(3, 20)).shape
        gradcore.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device,
                         dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        input, hx, batched = self._prepare(input, None if hx is None else (hx,), 1)
        if self.nonlinearity == "tanh":
            fn = _R.rnn_tanh_cell
        elif self.nonlinearity == "relu":
            fn = _R.rnn_relu_cell
        else:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        ret = fn(input, hx[0], self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return ret if batched else ret.squeeze(0)


class LSTMCell(RNNCellBase):
    """LSTMCell(input_size, hidden_size, bias=True, device=None, dtype=None)

    One LSTM step: gates (i, f, g, o) from ``x W_ih^T + b_ih + h W_hh^T + b_hh``;
    ``c' = sigmoid(f) * c + sigmoid(i) * tanh(g)``, ``h' = sigmoid(o) * tanh(c')``.
    @ARGS@
    Shape:
        input (N, H_in) or (H_in,); (h, c) each (N, H) or (H,), zeros when omitted; returns
        (h', c') of the same shapes.

    Example:
        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(torch.randn(3, 10))
        >>> h.shape, c.shape
        (gradcore.Size([3, 20]), gradcore.Size([3, 20]))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, batched = self._prepare(input, hx, 2)
        h, c = _R.lstm_cell(input, hx, self.weight_ih, self.weight_hh, self.bias_ih,
                            self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """GRUCell(input_size, hidden_size, bias=True, device=None, dtype=None)

    One GRU step, gates (r, z, n): ``r, z = sigmoid(W_i{r,z} x + b_i{r,z} + W_h{r,z} h +
    b_h{r,z})``, ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z *
    h``.
    @ARGS@
    Shape:
        as RNNCell.

    Example:
        >>> cell = nn.GRUCell(10, 20)
        >>> cell(torch.randn(3, 10)).shape
        gradcore.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device,
                         dtype=dtype)

    def forward(self, input, hx=None):
        input, hx, batched = self._prepare(input, None if hx is None else (hx,), 1)
        ret = _R.gru_cell(input, hx[0], self.weight_ih, self.weight_hh, self.bias_ih,
                          self.bias_hh)
        return ret if batched else ret.squeeze(0)


RNNCell.__doc__ = RNNCell.__doc__.replace("@ARGS@", _CELL_ARGS.format(
    extra="nonlinearity: 'tanh' or 'relu'. Default: 'tanh'.\n        "))
LSTMCell.__doc__ = LSTMCell.__doc__.replace("@ARGS@", _CELL_ARGS.format(extra=""))
GRUCell.__doc__ = GRUCell.__doc__.replace("@ARGS@", _CELL_ARGS.format(extra=""))
