"""gradcore.utils.data: datasets, samplers, default_collate (against PyTorch's), DataLoader
batching/shuffling/drop_last, random_split, Generator-driven repeatability."""
import collections
import warnings

import numpy as np
import pytest

import gradcore
from gradcore._generator import Generator
from gradcore.utils import data as D


def _flat(batches, k=0):
    """All sample values of a loader over TensorDataset, in the order they came."""
    return [v for b in batches for v in b[k].tolist()]


def _torch_like(g, t):
    """Same type structure, dtypes and values (gradcore result g, torch result t)."""
    import torch
    if isinstance(t, torch.Tensor):
        assert isinstance(g, gradcore.Tensor), (g, t)
        assert g.dtype.name == str(t.dtype).split(".")[-1]
        assert tuple(g.shape) == tuple(t.shape)
        np.testing.assert_array_equal(g.cpu().numpy(), t.numpy())
    elif isinstance(t, dict):
        assert type(g) is type(t) and list(g) == list(t)
        for k in t:
            _torch_like(g[k], t[k])
    elif isinstance(t, (list, tuple)):
        assert type(g) is type(t) and len(g) == len(t), (g, t)
        for a, b in zip(g, t):
            _torch_like(a, b)
    else:
        assert type(g) is type(t) and g == t


# ---- datasets ------------------------------------------------------------------------------
def test_tensor_dataset(device):
    x = gradcore.arange(10.0, device=device).reshape(5, 2)
    y = gradcore.arange(5, device=device)
    ds = D.TensorDataset(x, y)
    assert len(ds) == 5
    a, b = ds[3]
    assert a.tolist() == [6.0, 7.0] and b.item() == 3 and a.device == device
    assert ds[-1][1].item() == 4
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        D.TensorDataset(x, gradcore.arange(4))


def test_subset_concat_and_add():
    a, b = D.TensorDataset(gradcore.arange(3)), D.TensorDataset(gradcore.arange(10, 14))
    cat = a + b
    assert isinstance(cat, D.ConcatDataset) and len(cat) == 7
    assert cat.cumulative_sizes == [3, 7]
    assert [cat[i][0].item() for i in range(7)] == [0, 1, 2, 10, 11, 12, 13]
    assert cat[-1][0].item() == 13 and cat[-7][0].item() == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        cat[-8]
    with pytest.raises(AssertionError, match="empty iterable"):
        D.ConcatDataset([])
    sub = D.Subset(cat, [6, 0, 4])
    assert len(sub) == 3 and [sub[i][0].item() for i in range(3)] == [13, 0, 11]
    assert [s[0].item() for s in sub.__getitems__([2, 0])] == [11, 13]
    loader = D.DataLoader(sub, batch_size=2)
    assert _flat(loader) == [13, 0, 11]


def test_base_dataset_errors():
    with pytest.raises(NotImplementedError):
        D.Dataset()[0]

    class Ranged(D.IterableDataset):
        def __iter__(self):
            return iter(range(3))
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        D.ConcatDataset([Ranged()])


# ---- DataLoader ----------------------------------------------------------------------------
@pytest.mark.parametrize("drop_last,lengths", [(False, [4, 4, 2]), (True, [4, 4])])
def test_loader_batches_and_len(device, drop_last, lengths):
    x = gradcore.arange(20.0, device=device).reshape(10, 2)
    y = gradcore.arange(10, device=device)
    loader = D.DataLoader(D.TensorDataset(x, y), batch_size=4, drop_last=drop_last)
    batches = list(loader)
    assert len(loader) == len(lengths) == len(batches)
    assert len(iter(loader)) == len(lengths)
    assert [len(b[1]) for b in batches] == lengths
    xb, yb = batches[0]
    assert xb.shape == (4, 2) and xb.dtype == gradcore.float32 and xb.device == device
    assert yb.dtype == gradcore.int64
    assert _flat(batches, 1) == list(range(sum(lengths)))
    assert isinstance(batches[0], list)  # tuples collate into lists, as PyTorch


def test_loader_matches_torch(torch):
    x = np.arange(14.0, dtype=np.float32).reshape(7, 2)
    for kw in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None),
               dict(batch_size=7)):
        g = list(D.DataLoader(D.TensorDataset(gradcore.tensor(x)), **kw))
        t = list(torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(torch.tensor(x)), **kw))
        _torch_like(g, t)


def _epoch(loader):
    return _flat(loader)


def test_shuffle_each_sample_once_per_epoch():
    n = 23
    loader = D.DataLoader(D.TensorDataset(gradcore.arange(n)), batch_size=5, shuffle=True)
    assert len(loader) == 5
    orders = [_epoch(loader) for _ in range(3)]
    for o in orders:
        assert sorted(o) == list(range(n))
    assert orders[0] != list(range(n))
    assert orders[0] != orders[1] or orders[1] != orders[2]  # a new order each epoch
    dropped = D.DataLoader(D.TensorDataset(gradcore.arange(n)), batch_size=5, shuffle=True,
                           drop_last=True)
    o = _epoch(dropped)
    assert len(o) == 20 and len(set(o)) == 20 and set(o) <= set(range(n))


def test_shuffle_repeatable_with_generator():
    ds = D.TensorDataset(gradcore.arange(50))

    def run(seed):
        loader = D.DataLoader(ds, batch_size=8, shuffle=True,
                              generator=Generator().manual_seed(seed))
        return [_epoch(loader), _epoch(loader)]

    a, b, c = run(3), run(3), run(4)
    assert a == b and a != c
    assert a[0] != a[1]  # the generator moves on between epochs
    gradcore.manual_seed(0)  # the generator is independent of the global stream
    assert run(3) == a


def test_shuffle_repeatable_with_manual_seed():
    ds = D.TensorDataset(gradcore.arange(50))
    loader = D.DataLoader(ds, batch_size=8, shuffle=True)
    gradcore.manual_seed(11)
    a = [_epoch(loader), _epoch(loader)]
    gradcore.manual_seed(11)
    b = [_epoch(loader), _epoch(loader)]
    gradcore.manual_seed(12)
    c = _epoch(loader)
    assert a == b and a[0] != a[1] and c != a[0]


def test_samplers():
    ds = list(range(10))
    assert list(D.SequentialSampler(ds)) == ds
    g = Generator().manual_seed(0)
    r = list(D.RandomSampler(ds, generator=g))
    assert sorted(r) == ds and len(D.RandomSampler(ds)) == 10
    rr = list(D.RandomSampler(ds, replacement=True, num_samples=70, generator=g))
    assert len(rr) == 70 and set(rr) <= set(ds)
    more = list(D.RandomSampler(ds, num_samples=25, generator=g))
    assert len(more) == 25 and sorted(more[:20]) == sorted(ds * 2)
    sub = list(D.SubsetRandomSampler([3, 5, 7], generator=g))
    assert sorted(sub) == [3, 5, 7]
    bs = D.BatchSampler(D.SequentialSampler(ds), 4, False)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]] and len(bs) == 3
    bs = D.BatchSampler(D.SequentialSampler(ds), 4, True)
    assert list(bs) == [[0, 1, 2, 3], [4, 5, 6, 7]] and len(bs) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        D.BatchSampler(ds, 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        D.BatchSampler(ds, 2, 1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        D.RandomSampler(ds, num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean"):
        D.RandomSampler(ds, replacement=1)


def test_loader_with_sampler_and_batch_sampler():
    ds = D.TensorDataset(gradcore.arange(10))
    loader = D.DataLoader(ds, sampler=[9, 8, 7], batch_size=2)
    assert _flat(loader) == [9, 8, 7] and len(loader) == 2
    loader = D.DataLoader(ds, batch_sampler=[[0, 5], [1]])
    assert [b[0].tolist() for b in loader] == [[0, 5], [1]] and len(loader) == 2
    assert loader.batch_size is None


def test_loader_batch_size_none():
    ds = [np.array([1.0, 2.0]), np.array([3.0, 4.0])]
    out = list(D.DataLoader(ds, batch_size=None))
    assert all(isinstance(o, gradcore.Tensor) and o.dtype == gradcore.float64 for o in out)
    assert out[1].tolist() == [3.0, 4.0]
    assert list(D.DataLoader(range(3), batch_size=None)) == [0, 1, 2]
    assert len(D.DataLoader(range(3), batch_size=None)) == 3


def test_loader_collate_fn_and_workers():
    loader = D.DataLoader(range(7), batch_size=3, collate_fn=lambda b: sum(b))
    assert list(loader) == [3, 12, 6]
    # num_workers > 0 loads in the main process: same batches, no crash
    with_workers = D.DataLoader(range(7), batch_size=3, num_workers=2, prefetch_factor=2,
                                persistent_workers=True, pin_memory=True)
    assert [b.tolist() for b in with_workers] == [[0, 1, 2], [3, 4, 5], [6]]
    assert D.get_worker_info() is None


def test_loader_errors():
    ds = range(10)
    with pytest.raises(ValueError, match="mutually exclusive with drop_last"):
        D.DataLoader(ds, batch_size=None, drop_last=True)
    with pytest.raises(ValueError, match="sampler option is mutually exclusive with shuffle"):
        D.DataLoader(ds, sampler=[1, 2], shuffle=True)
    with pytest.raises(ValueError, match="batch_sampler option is mutually exclusive"):
        D.DataLoader(ds, batch_sampler=[[1, 2]], batch_size=3)
    with pytest.raises(ValueError, match="num_workers option should be non-negative"):
        D.DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        D.DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified"):
        D.DataLoader(ds, prefetch_factor=2)
    loader = D.DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
    loader.collate_fn = D.default_convert  # others may change


class _Count(D.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(gradcore.tensor([i, 10 * i]) for i in range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("kw,sizes", [(dict(batch_size=3), [3, 3, 1]),
                                      (dict(batch_size=3, drop_last=True), [3, 3]),
                                      (dict(batch_size=None), [None] * 7)])
def test_iterable_dataset(kw, sizes):
    loader = D.DataLoader(_Count(7), **kw)
    batches = list(loader)
    assert len(loader) == len(sizes) == len(batches)
    if kw["batch_size"] is None:
        assert [b.tolist() for b in batches] == [[i, 10 * i] for i in range(7)]
    else:
        assert [len(b) for b in batches] == sizes
        assert batches[0].tolist() == [[0, 0], [1, 10], [2, 20]]
    for bad in (dict(shuffle=True), dict(sampler=[0]), dict(batch_sampler=[[0]])):
        with pytest.raises(ValueError, match="DataLoader with IterableDataset: expected "
                                             "unspecified"):
            D.DataLoader(_Count(3), **bad)
    chained = _Count(2) + _Count(3)
    assert isinstance(chained, D.ChainDataset) and len(chained) == 5
    assert [b.tolist()[0] for b in D.DataLoader(chained, batch_size=None)] == [0, 1, 0, 1, 2]


# ---- collate -------------------------------------------------------------------------------
Point = collections.namedtuple("Point", "x y")


def _samples(lib):
    return [
        [lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])],
        [lib.tensor([[1, 2]], dtype=lib.int32), lib.tensor([[3, 4]], dtype=lib.int32)],
        [1.5, 2.0, -3.25],
        [1, 2, 3],
        [True, False],
        [np.float32(1.5), np.float32(2.5)],
        [np.int32(1), np.int32(7)],
        [np.float64(0.1), np.float64(0.2)],
        [np.array([1, 2], dtype=np.int16), np.array([3, 4], dtype=np.int16)],
        [np.array(2.5), np.array(3.5)],
        [(1, 2.0, "a"), (3, 4.0, "b")],
        [[1, 2.0], [3, 4.0]],
        [{"a": 1, "b": lib.ones(2), "c": "s"}, {"a": 2, "b": lib.zeros(2), "c": "t"}],
        [collections.OrderedDict(z=1.0, y=2), collections.OrderedDict(z=3.0, y=4)],
        [Point(1, 2.0), Point(3, 4.0)],
        ["x", "y"],
        [(lib.tensor(1.0), {"k": [1, 2]}), (lib.tensor(2.0), {"k": [3, 4]})],
    ]


def test_default_collate_matches_torch(torch):
    from torch.utils.data import default_collate as tcollate
    for g, t in zip(_samples(gradcore), _samples(torch)):
        _torch_like(D.default_collate(g), tcollate(t))


def test_default_collate_values():
    out = D.default_collate([(gradcore.tensor([1.0]), 2), (gradcore.tensor([3.0]), 4)])
    assert isinstance(out, list) and out[0].tolist() == [[1.0], [3.0]]
    assert out[1].dtype == gradcore.int64 and out[1].tolist() == [2, 4]
    f = D.default_collate([0.5, 1.5])
    assert f.dtype == gradcore.float64 and f.tolist() == [0.5, 1.5]
    assert D.default_collate(["a", "b"]) == ["a", "b"]


def test_default_convert_matches_torch(torch):
    from torch.utils.data import default_convert as tconvert
    for g, t in [(np.array([1.0, 2.0]), np.array([1.0, 2.0])),
                 ((1, np.ones(2, np.float32)), (1, np.ones(2, np.float32))),
                 ({"a": np.int64(3)}, {"a": np.int64(3)}), (3, 3), ("s", "s")]:
        _torch_like(D.default_convert(g), tconvert(t))


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of "
                                           "equal size"):
        D.default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors, numpy "
                                        "arrays, numbers, dicts or lists; found <class "
                                        "'object'>"):
        D.default_collate([object(), object()])
    with pytest.raises(TypeError, match="found <U1"):
        D.default_collate([np.array(["a"]), np.array(["b"])])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        D.default_collate([gradcore.ones(2), gradcore.ones(3)])


# ---- random_split --------------------------------------------------------------------------
def test_random_split_lengths():
    ds = D.TensorDataset(gradcore.arange(10))
    parts = D.random_split(ds, [3, 7], generator=Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    idx = [p.indices for p in parts]
    assert sorted(idx[0] + idx[1]) == list(range(10))
    again = D.random_split(ds, [3, 7], generator=Generator().manual_seed(1))
    assert [p.indices for p in again] == idx
    other = D.random_split(ds, [3, 7], generator=Generator().manual_seed(2))
    assert [p.indices for p in other] != idx
    gradcore.manual_seed(5)
    a = [p.indices for p in D.random_split(range(10), [5, 5])]
    gradcore.manual_seed(5)
    assert [p.indices for p in D.random_split(range(10), [5, 5])] == a
    assert [parts[0][i][0].item() for i in range(3)] == idx[0]


@pytest.mark.parametrize("n,fracs", [(10, [0.33, 0.33, 0.34]), (11, [0.5, 0.5]),
                                     (7, [0.1, 0.9]), (10, [0.3, 0.7])])
def test_random_split_fractions_match_torch(torch, n, fracs):
    g = [len(p) for p in D.random_split(range(n), fracs)]
    t = [len(p) for p in torch.utils.data.random_split(range(n), fracs)]
    assert g == t and sum(g) == n


def test_random_split_errors():
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        D.random_split(range(10), [3, 3])
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        D.random_split(range(10), [0.5, 1.5])
    with pytest.raises(ValueError, match="Fraction at index 0 is not between 0 and 1"):
        D.random_split(range(10), [-0.5, 1.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the remainder fills the empty split: no warning
        assert [len(p) for p in D.random_split(range(2), [0.1, 0.9])] == [1, 1]
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        D.random_split(range(1), [0.5, 0.5])


# ---- Generator -----------------------------------------------------------------------------
def test_generator_seeding_and_state():
    g = Generator()
    assert g.device == gradcore.device("cpu") and g.initial_seed() == 67280421310721
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    a = [gradcore.randperm(10, generator=g).tolist() for _ in range(2)]
    g.manual_seed(5)
    assert [gradcore.randperm(10, generator=g).tolist() for _ in range(2)] == a
    assert a[0] != a[1] and sorted(a[0]) == list(range(10))
    state = g.get_state()
    assert state.dtype == gradcore.uint8 and state.dim() == 1
    x = [gradcore.rand(3, generator=g), gradcore.randn(2, 2, generator=g, dtype=gradcore.float64),
         gradcore.randint(0, 100, (4,), generator=g)]
    g2 = Generator().set_state(state)
    assert g2.initial_seed() == 5
    y = [gradcore.rand(3, generator=g2), gradcore.randn(2, 2, generator=g2,
                                                         dtype=gradcore.float64),
         gradcore.randint(0, 100, (4,), generator=g2)]
    for u, v in zip(x, y):
        assert u.dtype == v.dtype and u.tolist() == v.tolist()
    assert Generator().manual_seed(-1).initial_seed() == 2 ** 64 - 1
    s = g.seed()
    assert isinstance(s, int) and g.initial_seed() == s


def test_generator_independent_of_global_stream():
    gradcore.manual_seed(0)
    ref = gradcore.rand(4).tolist()
    gradcore.manual_seed(0)
    gradcore.rand(3, generator=Generator().manual_seed(9))
    assert gradcore.rand(4).tolist() == ref  # a generator's draws leave the global one alone


def test_generator_errors():
    g = Generator()
    with pytest.raises(TypeError, match="manual_seed expected a long, but got float"):
        g.manual_seed(1.5)
    with pytest.raises(TypeError, match="RNG state must be a gradcore.ByteTensor"):
        g.set_state(gradcore.zeros(3))
    with pytest.raises(RuntimeError, match="RNG state"):
        g.set_state(gradcore.zeros(3, dtype=gradcore.uint8))
    with pytest.raises(TypeError, match="randperm.*generator=int"):
        gradcore.randperm(3, generator=3)
    if gradcore.cuda.is_available():
        with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator"):
            gradcore.rand(2, device="cuda", generator=g)
    else:
        with pytest.raises(RuntimeError, match="CUDA"):
            Generator("cuda")


@pytest.mark.gpu
def test_cuda_generator():
    g = Generator("cuda").manual_seed(3)
    a = gradcore.randn(5, device="cuda", generator=g).tolist()
    g.manual_seed(3)
    assert gradcore.randn(5, device="cuda", generator=g).tolist() == a
    assert g.device.type == "cuda"
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator"):
        gradcore.randperm(3, generator=g)
