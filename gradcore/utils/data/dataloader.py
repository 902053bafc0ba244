"""gradcore.utils.data: datasets, samplers, collation and DataLoader, as torch.utils.data.

``num_workers > 0`` is accepted but loading always runs in the main process, one batch at a
time, exactly as with ``num_workers=0`` (same batches, same order): there are no worker
processes, so ``worker_init_fn`` is not called, ``get_worker_info()`` returns None, and
``timeout``, ``prefetch_factor``, ``pin_memory`` and ``multiprocessing_context`` have no effect.

Shuffling draws from ``generator`` when one is given, else from gradcore's global RNG, so both
``Generator().manual_seed(s)`` and ``gradcore.manual_seed(s)`` make the order repeatable.
"""
import bisect
import collections.abc
import copy
import itertools
import math
import re
import warnings
from typing import Generic, TypeVar

import numpy as np

from ... import _dtype
from ..._generator import Generator, default_generator
from ..._dtype import float64, int64
from ...ops.factories import as_tensor, empty, tensor, from_numpy, randint, randperm
from ...ops.random import multinomial
from ...ops.join import stack
from ...tensor import Tensor

T_co = TypeVar("T_co", covariant=True)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "BatchSampler", "DataLoader", "default_collate",
           "default_convert", "get_worker_info"]


# ---- datasets ------------------------------------------------------------------------------
class Dataset(Generic[T_co]):
    """Dataset(): the base of map-style datasets, which give sample ``i`` as ``ds[i]``.

    Subclass it and define ``__getitem__(index)`` (and usually ``__len__``; DataLoader's
    default samplers need it); ``ds1 + ds2`` is a ConcatDataset.  No constructor arguments.

        class Squares(Dataset):
            def __len__(self): return 10
            def __getitem__(self, i): return gradcore.tensor(float(i * i))
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """IterableDataset(): the base of stream datasets, which yield their samples from
    ``__iter__``; DataLoader iterates it in order (no sampler, no shuffle) and batches what it
    yields.  ``ds1 + ds2`` is a ChainDataset.  No constructor arguments.

        class Counter(IterableDataset):
            def __iter__(self): return iter(range(5))
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """TensorDataset(*tensors): a dataset over tensors of equal first dimension; sample ``i``
    is ``tuple(t[i] for t in tensors)`` and its length is that first dimension.

        ds = TensorDataset(gradcore.randn(100, 3), gradcore.randint(0, 2, (100,)))
        x, y = ds[0]                      # shapes (3,) and ()
    """

    def __init__(self, *tensors):
        assert all(tensors[0].size(0) == t.size(0) for t in tensors), \
            "Size mismatch between tensors"
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class ConcatDataset(Dataset):
    """ConcatDataset(datasets): map-style ``datasets`` (an iterable, not empty, no
    IterableDatasets) one after the other: indices run through the first, then the second ...
    (negative indices count from the end).

        ds = ConcatDataset([train_a, train_b])    # len(ds) == len(train_a) + len(train_b)
        ds[len(train_a)]                          # train_b[0]
    """

    @staticmethod
    def cumsum(sequence):
        """cumsum(sequence) -> list: the running totals of the datasets' lengths."""
        return list(itertools.accumulate(len(e) for e in sequence))

    def __init__(self, datasets):
        self.datasets = list(datasets)
        assert len(self.datasets) > 0, "datasets should not be an empty iterable"
        for d in self.datasets:
            assert not isinstance(d, IterableDataset), \
                "ConcatDataset does not support IterableDataset"
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        which = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][idx - start]


class ChainDataset(IterableDataset):
    """ChainDataset(datasets): IterableDatasets ``datasets`` streamed one after the other
    (each is checked to be an IterableDataset as it is reached).

        ds = ChainDataset([stream_a, stream_b])
        for sample in ds: ...             # stream_a's samples, then stream_b's
    """

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            total += len(d)
        return total


class Subset(Dataset):
    """Subset(dataset, indices): the samples of ``dataset`` at ``indices`` (a sequence), in
    that order: ``sub[i]`` is ``dataset[indices[i]]``; random_split returns these.

        val = Subset(ds, range(800, 1000))
        len(val), val[0]                  # 200, ds[800]
    """

    def __init__(self, dataset, indices):
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self):
        return len(self.indices)


def random_split(dataset, lengths, generator=default_generator):
    """random_split(dataset, lengths, generator=default_generator) -> list of Subset

    Split ``dataset`` into disjoint random Subsets of the given lengths (summing to its
    length), or of fractions summing to 1 (floored, the remainder handed out one by one from
    the first split); the permutation is drawn from ``generator``."""
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        sizes = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            sizes.append(int(math.floor(n * frac)))
        for i in range(n - sum(sizes)):
            sizes[i % len(sizes)] += 1
        lengths = sizes
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. "
                              f"This might result in an empty dataset.")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = randperm(sum(lengths), generator=generator).tolist()
    return [Subset(dataset, indices[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]


# ---- samplers ------------------------------------------------------------------------------
class Sampler(Generic[T_co]):
    """Sampler(data_source=None): the base of samplers, iterables over dataset indices (or
    lists of them, for batch samplers) that DataLoader draws from; subclass it and define
    ``__iter__`` (and ``__len__``).  ``data_source`` is accepted and ignored.

        class Reversed(Sampler):
            def __init__(self, ds): self.n = len(ds)
            def __iter__(self): return iter(range(self.n - 1, -1, -1))
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler[int]):
    """SequentialSampler(data_source): the indices 0 .. len(data_source) - 1 in order
    (DataLoader's sampler when shuffle is off).

        list(SequentialSampler(range(3)))    # [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


def _int64_seed(generator=None):
    """PyTorch's seed draw: ``empty((), dtype=int64).random_(generator=generator).item()``."""
    return int(empty((), dtype=int64).random_(generator=generator).item())


def _fresh_generator(generator):
    """The generator to draw from: the given one, or a new one seeded from the global RNG
    (one int64 random_(), as PyTorch's RandomSampler)."""
    if generator is not None:
        return generator
    return Generator().manual_seed(_int64_seed())


class RandomSampler(Sampler[int]):
    """RandomSampler(data_source, replacement=False, num_samples=None, generator=None): random
    indices into ``data_source``, a fresh permutation each pass (DataLoader's sampler for
    shuffle=True).  ``num_samples`` (default len(data_source)) indices per pass: permutations
    chained and cut, or with replacement=True independent draws; from ``generator``, else a
    generator seeded from the global RNG.

        s = RandomSampler(range(5), generator=gradcore.Generator().manual_seed(0))
        sorted(s)                         # [0, 1, 2, 3, 4]
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source, self.replacement = data_source, replacement
        self._num_samples, self.generator = num_samples, generator
        if not isinstance(replacement, bool):
            raise TypeError(f"replacement should be a boolean value, but got "
                            f"replacement={replacement}")
        if not isinstance(self.num_samples, int) or isinstance(self.num_samples, bool) \
                or self.num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        """num_samples -> int: the indices per pass (len(data_source) unless given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, m = len(self.data_source), self.num_samples
        g = _fresh_generator(self.generator)
        if self.replacement:
            for _ in range(m // 32):
                yield from randint(0, n, (32,), generator=g).tolist()
            yield from randint(0, n, (m % 32,), generator=g).tolist()
        else:
            for _ in range(m // n):
                yield from randperm(n, generator=g).tolist()
            yield from randperm(n, generator=g).tolist()[:m % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler[int]):
    """SubsetRandomSampler(indices, generator=None): the given ``indices`` (a sequence) in a
    fresh random order each pass, drawn from ``generator`` or the global RNG.

        s = SubsetRandomSampler(list(range(800, 1000)))
        loader = DataLoader(ds, batch_size=32, sampler=s)
    """

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        for i in randperm(len(self.indices), generator=self.generator).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler[int]):
    """WeightedRandomSampler(weights, num_samples, replacement=True, generator=None):
    ``num_samples`` indices into ``range(len(weights))``, index i drawn with probability
    proportional to ``weights[i]`` (they need not sum to one); with replacement=False an index
    is drawn at most once per pass.  One ``multinomial`` call per pass, so the same seed gives
    PyTorch's indices.

        g = gradcore.Generator().manual_seed(0)
        list(WeightedRandomSampler([0.1, 0.9, 0.4], 5, generator=g))  # mostly 1s
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if not isinstance(num_samples, int) or isinstance(num_samples, bool) \
                or num_samples <= 0:
            raise ValueError(f"num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        weights = as_tensor(weights, dtype=float64)
        if len(weights.shape) != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(weights.shape)}")
        self.weights, self.num_samples = weights, num_samples
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        yield from multinomial(self.weights, self.num_samples, self.replacement,
                               generator=self.generator).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler[list]):
    """BatchSampler(sampler, batch_size, drop_last): ``sampler``'s indices (any iterable of
    them) grouped into lists of ``batch_size``; the last, shorter list is dropped when
    drop_last is True.

        list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False))
        # [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: None forever (the dataset decides when to stop)."""

    def __iter__(self):
        while True:
            yield None


# ---- collation -----------------------------------------------------------------------------
_np_str_obj = re.compile(r"[SaUO]")
_collate_err = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                "lists; found {}")


def _is_numpy(x):
    return type(x).__module__ == "numpy" and type(x).__name__ not in ("str_", "string_",
                                                                      "bytes_")


def _numpy_to_tensor(x):
    arr = np.asarray(x)
    return from_numpy(arr if arr.flags.writeable else arr.copy())


def default_convert(data):
    """default_convert(data)

    What DataLoader does to each sample when batching is off (batch_size=None): NumPy arrays
    and scalars become tensors (sharing memory where possible), inside mappings, namedtuples
    and sequences too (tuples become lists); anything else is returned unchanged."""
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and _np_str_obj.search(data.dtype.str):
            return data
        return _numpy_to_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _rebuild(data, {k: default_convert(data[k]) for k in data})
    if isinstance(data, tuple) and not hasattr(data, "_fields"):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _rebuild(data, [default_convert(d) for d in data])
    return data


def _rebuild(like, values):
    """A container of ``like``'s type holding ``values`` (a dict for mappings, a list for
    sequences); a plain dict or list when that type can't be made so (as PyTorch)."""
    if isinstance(like, tuple) and hasattr(like, "_fields"):  # namedtuple
        return type(like)(*values)
    try:
        if isinstance(like, (collections.abc.MutableMapping, collections.abc.MutableSequence)):
            clone = copy.copy(like)
            if isinstance(like, collections.abc.MutableMapping):
                clone.update(values)
            else:
                for i, v in enumerate(values):
                    clone[i] = v
            return clone
        return type(like)(values)
    except TypeError:
        return values


def collate_tensor_fn(batch, *, collate_fn_map=None):
    """collate_tensor_fn(batch, *, collate_fn_map=None) -> Tensor

    default_collate's rule for tensors: ``stack(batch, 0)`` (a new first, batch dim)."""
    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    """collate_numpy_array_fn(batch, *, collate_fn_map=None) -> Tensor

    default_collate's rule for NumPy arrays: each made a tensor, then collated (stacked);
    arrays of strings or objects raise TypeError."""
    if _np_str_obj.search(batch[0].dtype.str):
        raise TypeError(_collate_err.format(batch[0].dtype))
    return collate([_numpy_to_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    """collate_numpy_scalar_fn(batch, *, collate_fn_map=None) -> Tensor

    default_collate's rule for NumPy scalars: a 1-d tensor of them, of their NumPy dtype."""
    return _numpy_to_tensor(np.array(batch))


def collate_float_fn(batch, *, collate_fn_map=None):
    """collate_float_fn(batch, *, collate_fn_map=None) -> Tensor

    default_collate's rule for Python floats: a 1-d float64 tensor (as PyTorch)."""
    return tensor(batch, dtype=_dtype.float64)


def collate_int_fn(batch, *, collate_fn_map=None):
    """collate_int_fn(batch, *, collate_fn_map=None) -> Tensor

    default_collate's rule for Python ints: a 1-d int64 tensor (bools: a bool tensor)."""
    return tensor(batch)


def collate_str_fn(batch, *, collate_fn_map=None):
    """collate_str_fn(batch, *, collate_fn_map=None) -> list

    default_collate's rule for str and bytes: the list of samples, unchanged."""
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def collate(batch, *, collate_fn_map=None):
    """collate(batch, *, collate_fn_map=None)

    Collate a list of samples by the type of the first: ``collate_fn_map`` (a dict from a
    type or tuple of types to a function; exact type first, then isinstance in order) for
    leaves; mappings per key; sequences transposed (tuples become lists).  A type without a
    rule raises TypeError."""
    elem = batch[0]
    elem_type = type(elem)
    if collate_fn_map is not None:
        if elem_type in collate_fn_map:
            return collate_fn_map[elem_type](batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)

    def sub(samples):
        return collate(samples, collate_fn_map=collate_fn_map)

    if isinstance(elem, collections.abc.Mapping):
        return _rebuild(elem, {k: sub([d[k] for d in batch]) for k in elem})
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not (isinstance(elem, tuple) and hasattr(elem, "_fields")) and \
                any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        values = [sub(s) for s in zip(*batch)]
        if isinstance(elem, tuple) and not hasattr(elem, "_fields"):
            return values  # tuples become lists, as PyTorch
        return _rebuild(elem, values)
    raise TypeError(_collate_err.format(elem_type))


def default_collate(batch):
    """default_collate(batch)

    DataLoader's default collate_fn: merge a list of samples into a batch.  Tensors are
    stacked on a new dim 0, NumPy arrays and numbers made tensors (Python floats float64,
    ints int64), strings kept as a list, mappings collated per key, sequences transposed
    (tuples become lists): [(x0, y0), (x1, y1)] -> [stack([x0, x1]), tensor([y0, y1])]."""
    return collate(batch, collate_fn_map=default_collate_fn_map)


def get_worker_info():
    """get_worker_info() -> None

    Always None: gradcore's DataLoader loads in the main process (there are no workers)."""
    return None


# ---- DataLoader ----------------------------------------------------------------------------
class _SingleProcessDataLoaderIter:
    """One pass over a DataLoader (``len()`` is the loader's)."""

    def __init__(self, loader):
        self._loader = loader
        self._batches = loader._batches()
        # PyTorch draws the workers' base seed here, before the sampler's first draw: one
        # int64 random_() from the loader's generator (the global one when None)
        self._base_seed = _int64_seed(loader.generator)

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._batches)

    def __len__(self):
        return len(self._loader)


class DataLoader(Generic[T_co]):
    """DataLoader(dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
    num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
    worker_init_fn=None, multiprocessing_context=None, generator=None, *,
    prefetch_factor=None, persistent_workers=False, pin_memory_device='', in_order=True)

    An iterable over batches of ``dataset``'s samples: indices come from ``sampler``
    (SequentialSampler, or RandomSampler with shuffle=True, drawing from ``generator``),
    are grouped by ``batch_sampler`` (BatchSampler(sampler, batch_size, drop_last)), and each
    group's samples are merged by ``collate_fn`` (default_collate; default_convert when
    batch_size=None turns batching off).  An IterableDataset is read in order.  ``len()`` is
    the number of batches.  Loading always runs in the main process: num_workers and the
    worker, pinning and prefetch options are accepted and ignored (see the module docstring).

        loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
        for xb, yb in loader: ...
    """

    _frozen = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
               "persistent_workers")
    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in "
                             "multiprocessing.let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset, self.num_workers, self.timeout = dataset, num_workers, timeout
        self.prefetch_factor, self.pin_memory = prefetch_factor, pin_memory
        self.pin_memory_device, self.worker_init_fn = pin_memory_device, worker_init_fn
        self.multiprocessing_context, self.in_order = multiprocessing_context, in_order
        self.persistent_workers = persistent_workers
        self._iterable = isinstance(dataset, IterableDataset)

        if self._iterable:
            for name, value in (("shuffle", shuffle), ("sampler", sampler),
                                ("batch_sampler", batch_sampler)):
                if value is not None and value is not False:
                    raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                     f"{name} option, but got {name}={value}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.__initialized = True

    def __setattr__(self, attr, val):
        if self.__initialized and attr in self._frozen:
            raise ValueError(f"{attr} attribute should not be set after "
                             f"{type(self).__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    def __iter__(self):
        return _SingleProcessDataLoaderIter(self)

    def _batches(self):
        collate_fn, ds = self.collate_fn, self.dataset
        if self._iterable:
            it = iter(ds)
            if not self._auto_collation:
                for sample in it:
                    yield collate_fn(sample)
                return
            while True:
                batch = list(itertools.islice(it, self.batch_size))
                if not batch or (self.drop_last and len(batch) < self.batch_size):
                    return
                yield collate_fn(batch)
        elif self._auto_collation:
            getitems = getattr(ds, "__getitems__", None)
            for indices in self.batch_sampler:
                data = getitems(indices) if callable(getitems) else [ds[i] for i in indices]
                yield collate_fn(data)
        else:
            for index in self.sampler:
                yield collate_fn(ds[index])

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self.batch_sampler if self._auto_collation else self.sampler)
