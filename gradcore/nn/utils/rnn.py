"""Packed and padded sequences for the recurrent layers (torch.nn.utils.rnn).

A PackedSequence holds a batch of sequences of different lengths, sorted by decreasing length,
time step by time step: ``data`` is (sum of lengths, *), ``batch_sizes[t]`` (a CPU int64
tensor) the number of sequences longer than t, ``sorted_indices`` the batch permutation that
sorted them (None when they came sorted) and ``unsorted_indices`` its inverse.

Packing, padding and unpacking are each one gather (``index_select`` with an index computed on
the host from the lengths), so they are differentiable and cost one node; padding gathers from
the data with one extra row holding ``padding_value``.
"""
from collections import namedtuple
from collections.abc import Iterable

import numpy as np

from ... import _dtype
from ...ops import factories
from ...ops.indexing import index_select
from ...ops.join import cat
from ...tensor import Tensor, _wrap


__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


def _bind(optional, fn):
    return None if optional is None else fn(optional)


class PackedSequence(namedtuple("PackedSequence_",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """PackedSequence(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None)

    A batch of variable-length sequences packed time step by time step, as made by
    pack_padded_sequence / pack_sequence and accepted (and returned) by RNN, LSTM and GRU.
    Don't build one by hand.

    Args:
        data: (sum of lengths, *), the steps of all sequences, time-major.
        batch_sizes: (max length,) int64 on the CPU: how many sequences have step t.
        sorted_indices: the permutation that sorted the batch by decreasing length, or None.
        unsorted_indices: its inverse (computed from sorted_indices when None).

    Example:
        >>> p = nn.utils.rnn.pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5])])
        >>> p.data, p.batch_sizes
        (tensor([1, 4, 2, 5, 3]), tensor([2, 2, 1]))
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None:
            if batch_sizes.device.type != "cpu":
                raise ValueError(
                    "batch_sizes should always be on CPU. Instances of PackedSequence should "
                    "never be created manually. They should be instantiated by functions like "
                    "pack_sequence and pack_padded_sequences in nn.utils.rnn. "
                    "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        else:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """to(*args, **kwargs) -> PackedSequence

        ``data`` moved / cast as ``Tensor.to`` does (the indices follow it to its device;
        batch_sizes stay on the CPU); self when data does not change."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = lambda t: t.to(data.device)  # noqa: E731
        return type(self)(data, self.batch_sizes, _bind(self.sorted_indices, move),
                          _bind(self.unsorted_indices, move))

    def cuda(self, *args, **kwargs):
        """cuda(*args, **kwargs) -> PackedSequence

        This packed sequence with its data on a CUDA device."""
        kwargs.setdefault("device", "cuda")
        return self.to(*args, **kwargs)

    def cpu(self, *args, **kwargs):
        """cpu(*args, **kwargs) -> PackedSequence

        This packed sequence with its data in CPU memory."""
        kwargs["device"] = "cpu"
        return self.to(*args, **kwargs)

    def double(self):
        """double() -> PackedSequence: the data as float64."""
        return self.to(dtype=_dtype.float64)

    def float(self):
        """float() -> PackedSequence: the data as float32."""
        return self.to(dtype=_dtype.float32)

    def half(self):
        """half() -> PackedSequence: the data as float16."""
        return self.to(dtype=_dtype.float16)

    def long(self):
        """long() -> PackedSequence: the data as int64."""
        return self.to(dtype=_dtype.int64)

    def int(self):
        """int() -> PackedSequence: the data as int32."""
        return self.to(dtype=_dtype.int32)

    def short(self):
        """short() -> PackedSequence: the data as int16."""
        return self.to(dtype=_dtype.int16)

    def char(self):
        """char() -> PackedSequence: the data as int8."""
        return self.to(dtype=_dtype.int8)

    def byte(self):
        """byte() -> PackedSequence: the data as uint8."""
        return self.to(dtype=_dtype.uint8)

    @property
    def is_cuda(self):
        """Whether the data is on a CUDA device."""
        return self.data.is_cuda


def invert_permutation(permutation):
    """invert_permutation(permutation) -> Tensor or None

    The inverse of a permutation of 0..n-1 (a 1-D integer tensor): ``out[permutation[i]] =
    i``; None for None."""
    if permutation is None:
        return None
    xp = permutation._be.xp
    return _wrap(xp.argsort(permutation._arr).astype(permutation._arr.dtype), permutation._be)


def _index(like, idx):
    """The host index array ``idx`` as an int64 tensor on ``like``'s device."""
    be = like._be
    return _wrap(be.xp.asarray(np.ascontiguousarray(idx, dtype=np.int64)), be)


def _host_lengths(lengths):
    if isinstance(lengths, Tensor):
        arr = np.asarray(lengths.cpu().numpy()).astype(np.int64)
    else:
        arr = np.asarray(lengths, dtype=np.int64)
    if arr.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got "
                           f"{arr.ndim}D cpu Long tensor")
    return arr


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """pack_padded_sequence(input, lengths, batch_first=False,
    enforce_sorted=True) -> PackedSequence

    Packs a padded batch (T, B, *) ((B, T, *) with batch_first) of sequences of the given
    lengths (a list or 1-D tensor of B ints, each in 1..T).  With enforce_sorted the lengths
    must be non-increasing; otherwise the batch is sorted first and the permutation kept in
    the result (sorted_indices), so pad_packed_sequence and the recurrent layers give results
    in the original order.  Differentiable w.r.t. input.

    Example:
        >>> x = torch.tensor([[1, 4], [2, 5], [3, 0]])   # (T=3, B=2)
        >>> nn.utils.rnn.pack_padded_sequence(x, [3, 2]).data
        tensor([1, 4, 2, 5, 3])
    """
    lens = _host_lengths(lengths)
    b_dim = 0 if batch_first else 1
    batch = input.shape[b_dim]
    if enforce_sorted:
        if np.any(lens[1:] > lens[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability.")
        order, sorted_indices = np.arange(len(lens)), None
    else:
        order = np.argsort(-lens, kind="stable")
        sorted_indices = _index(input, order)
    if len(lens) != batch:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got "
                           f"{len(lens)} (batch_size={batch})")
    lens = lens[order]
    if lens.size and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an "
                           "element in 'lengths' that is <= 0")
    steps = input.shape[1 - b_dim]
    if lens.size and lens[0] > steps:
        raise RuntimeError(f"Expected all lengths to be at most the sequence length {steps}, "
                           f"but got a length of {int(lens[0])}")
    t_max = int(lens[0]) if lens.size else 0
    tt, jj = np.nonzero(lens[None, :] > np.arange(t_max)[:, None])  # time-major, by rank
    rows = order[jj] * steps + tt if batch_first else tt * batch + order[jj]
    flat = input.reshape((steps * batch,) + tuple(input.shape[2:]))
    data = index_select(flat, 0, _index(input, rows))
    batch_sizes = factories.tensor((lens[None, :] > np.arange(t_max)[:, None]).sum(1),
                                   dtype=_dtype.int64)
    return PackedSequence(data, batch_sizes, sorted_indices, None)


def _padded(data, index, padding_value, shape):
    """``data`` gathered into ``shape`` at ``index`` (host ints; -1 marks padding)."""
    rest = tuple(data.shape[1:])
    if (index < 0).any():
        pad = factories.full((1,) + rest, padding_value, dtype=data.dtype, device=data.device)
        index = np.where(index < 0, data.shape[0], index)
        data = cat([data, pad], 0)
    return index_select(data, 0, _index(data, index.reshape(-1))).view(*shape, *rest)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """pad_packed_sequence(sequence, batch_first=False, padding_value=0.0,
    total_length=None) -> (Tensor, Tensor)

    The inverse of pack_padded_sequence: a padded (T, B, *) tensor ((B, T, *) with
    batch_first), T the longest length or ``total_length``, padded with padding_value, in the
    batch's original order, and the lengths (a CPU int64 tensor).  Differentiable w.r.t. the
    packed data.

    Example:
        >>> p = nn.utils.rnn.pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5])])
        >>> nn.utils.rnn.pad_packed_sequence(p, batch_first=True)
        (tensor([[1, 2, 3],
                [4, 5, 0]]), tensor([3, 2]))
    """
    sizes = np.asarray(sequence.batch_sizes.numpy(), dtype=np.int64)
    steps = len(sizes)
    if total_length is not None:
        if total_length < steps:
            raise ValueError("Expected total_length to be at least the length of the longest "
                             f"sequence in input, but got total_length={total_length} and max "
                             f"sequence length being {steps}")
        steps = total_length
    batch = int(sizes[0]) if len(sizes) else 0
    ranks = np.arange(batch)
    present = sizes[:, None] > ranks[None, :]  # (T, B) in sorted order
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    index = np.full((steps, batch), -1, dtype=np.int64)
    index[:len(sizes)] = np.where(present, offsets[:, None] + ranks[None, :], -1)
    lens = present.sum(0)
    if sequence.unsorted_indices is not None:
        unsorted = np.asarray(sequence.unsorted_indices.cpu().numpy(), dtype=np.int64)
        index, lens = index[:, unsorted], lens[unsorted]
    if batch_first:
        index = index.T
    out = _padded(sequence.data, index, padding_value, index.shape)
    return out, factories.tensor(lens, dtype=_dtype.int64)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right") -> Tensor

    Stacks a list of (L_i, *) tensors into one (max L, B, *) tensor ((B, max L, *) with
    batch_first), padding each with padding_value after its end (padding_side="right") or
    before its start ("left").  Differentiable w.r.t. the sequences.

    Example:
        >>> nn.utils.rnn.pad_sequence([torch.ones(2), torch.ones(3)], batch_first=True)
        tensor([[1., 1., 0.],
                [1., 1., 1.]])
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg "
                           f"of type: {type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got "
                           f"{padding_side}.")
    first = tuple(sequences[0].shape[1:])
    for s in sequences[1:]:
        rest = tuple(s.shape[1:])
        if rest != first:
            d = next((k for k, (a, b) in enumerate(zip(first, rest)) if a != b), len(first))
            raise RuntimeError(
                f"The size of tensor a ({first[d] if d < len(first) else 1}) must match the "
                f"size of tensor b ({rest[d] if d < len(rest) else 1}) at non-singleton "
                f"dimension {d + 1}")
    lens = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps = int(lens.max())
    offsets = np.concatenate([[0], np.cumsum(lens)[:-1]])
    t = np.arange(steps)[:, None]
    if padding_side == "left":
        t = t - (steps - lens)[None, :]
    index = np.where((t >= 0) & (t < lens[None, :]), offsets[None, :] + t, -1)
    if batch_first:
        index = index.T
    data = cat(list(sequences), 0) if len(sequences) > 1 else sequences[0]
    return _padded(data, index, padding_value, index.shape)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """unpad_sequence(padded_sequences, lengths, batch_first=False) -> list of Tensors

    The inverse of pad_sequence: the B sequences of a padded (T, B, *) tensor ((B, T, *) with
    batch_first), each cut to its length (views)."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:int(n)] for seq, n in zip(padded_sequences, _host_lengths(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """pack_sequence(sequences, enforce_sorted=True) -> PackedSequence

    Packs a list of (L_i, *) tensors: pad_sequence then pack_padded_sequence with their
    lengths (non-increasing unless enforce_sorted=False)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """unpack_sequence(packed_sequences) -> list of Tensors

    The inverse of pack_sequence: the list of the packed sequences, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
