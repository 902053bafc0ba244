"""Seeded gradcore draws PyTorch's CPU numbers (backend/mt19937.py): every sampler against the
installed torch, across the sizes where PyTorch changes path (normal: 16 elements; randperm;
randint's 64-bit draws from a range of 2**28), dtypes and seeds.  float32 (and integer, bool,
float16) results are equal bit for bit; float64 ones that go through log/sin/cos/exp are
within 2 ulp (NumPy's float64 libm and glibc's differ in the last bit now and then), the rest
bit for bit.  After each draw the next one matches too: both streams consumed the same words.
"""
import subprocess
import sys

import numpy as np
import pytest

import gradcore

SIZES = [1, 15, 16, 17, 1000, 10 ** 6]
SEEDS = [0, 7, 2 ** 40 + 3]


def _np(t):
    return t.detach().cpu().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same(torch, a, b, ulp=0):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    if ulp:  # float64 through libm: ulp last-bit steps of the values' scale (a step in
        # log/sin/cos before `* std + mean` is a step of |std * z|, not of a result near 0)
        eps = ulp * np.finfo(a.dtype).eps
        np.testing.assert_allclose(b, a, rtol=eps, atol=eps * float(np.abs(a).max(initial=1)))
    else:
        np.testing.assert_array_equal(a, b)


def _parity(torch, draw, seed=0, ulp=0):
    """draw(module) under manual_seed(seed) in both, then one more rand() in both."""
    torch.manual_seed(seed)
    gradcore.manual_seed(seed)
    _same(torch, draw(torch), draw(gradcore), ulp)
    _same(torch, torch.rand(3), gradcore.rand(3))  # the streams are at the same word


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dt", ["float32", "float64", "float16"])
def test_rand_and_randn(torch, n, dt, seed):
    _parity(torch, lambda m: m.rand(n, dtype=getattr(m, dt)), seed)
    ulp = 2 if dt == "float64" and n >= 16 else 0
    _parity(torch, lambda m: (m.randn(n, dtype=getattr(m, dt)),
                              m.randn(n, dtype=getattr(m, dt)))[1], seed, ulp)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_normal_uniform_exponential_bernoulli(torch, n, dt):
    def e(m):
        return m.empty(n, dtype=getattr(m, dt))
    log_ulp = 2 if dt == "float64" else 0
    _parity(torch, lambda m: e(m).normal_(0.3, 2.5), 1, 2 if dt == "float64" and n >= 16 else 0)
    _parity(torch, lambda m: e(m).uniform_(-3, 0.7), 2)
    _parity(torch, lambda m: e(m).exponential_(1.5), 3, log_ulp)
    _parity(torch, lambda m: e(m).bernoulli_(0.3), 4)
    p = np.random.default_rng(n).random(n).astype(dt)
    _parity(torch, lambda m: m.bernoulli(m.tensor(p)), 5)
    _parity(torch, lambda m: m.zeros(2, n, dtype=m.float32).bernoulli_(m.tensor(p)), 6)


@pytest.mark.parametrize("n", [1, 5, 15, 16, 17, 1000])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_other_distributions(torch, n, dt):
    def e(m):
        return m.empty(n, dtype=getattr(m, dt))
    ulp = 2 if dt == "float64" else 0
    _parity(torch, lambda m: e(m).cauchy_(0.5, 2.0), 0, ulp)
    _parity(torch, lambda m: e(m).geometric_(0.3), 1)
    _parity(torch, lambda m: e(m).log_normal_(0.2, 0.7), 2, ulp)
    ar = np.arange(n, dtype=dt)
    _parity(torch, lambda m: m.normal(m.tensor(ar), m.tensor(ar) * 0.1 + 0.3), 3, ulp)
    _parity(torch, lambda m: m.normal(m.tensor(ar), 0.3), 4, ulp)
    _parity(torch, lambda m: m.normal(0.7, m.tensor(ar) + 1), 5, ulp)
    _parity(torch, lambda m: m.normal(0.7, 0.3, (n,), dtype=getattr(m, dt)), 6, ulp)


def test_scalar_normal_cache_and_mixed_draws(torch):
    """Below 16 elements PyTorch keeps Box-Muller's second value for the next draw."""
    _parity(torch, lambda m: m.cat([m.randn(3), m.randn(20), m.randn(1), m.rand(1),
                                    m.randn(2, dtype=m.float64).float(), m.randn(5)]))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("bounds", [(0, 10), (-5, 2 ** 28 - 3), (-5, 2 ** 28 + 3), (0, 2 ** 62)])
def test_randint(torch, n, bounds, seed):
    _parity(torch, lambda m: m.randint(*bounds, (n,)), seed)


@pytest.mark.parametrize("dt", ["int64", "int32", "int16", "int8", "uint8", "bool", "float32",
                                "float64", "float16"])
def test_random_(torch, dt):
    def e(m):
        return m.empty(40, dtype=getattr(m, dt))
    _parity(torch, lambda m: e(m).random_())
    _parity(torch, lambda m: e(m).random_(2 if dt == "bool" else 5), 1)
    if dt not in ("bool", "uint8"):
        _parity(torch, lambda m: e(m).random_(-3, None), 2)
    lo, hi = {"bool": (0, 2), "uint8": (3, 9)}.get(dt, (-4, 9))
    _parity(torch, lambda m: m.randint(lo, hi, (30,), dtype=getattr(m, dt)), 3)
    _parity(torch, lambda m: m.empty(5, dtype=m.int64).random_(-2 ** 63, None), 4)


@pytest.mark.parametrize("n", [0, 1, 2, 15, 16, 17, 1000, 10 ** 5])
def test_randperm(torch, n):
    _parity(torch, lambda m: m.randperm(n), n)
    _parity(torch, lambda m: m.randperm(n, dtype=m.float32), n + 1)


@pytest.mark.parametrize("k", [1, 3, 7])
@pytest.mark.parametrize("dt", ["float32", "float64"])
def test_multinomial(torch, k, dt):
    w = np.random.default_rng(k).random((3, 7)).astype(dt)
    w[1, 2] = 0
    for rows in (w, w[0]):
        _parity(torch, lambda m: m.multinomial(m.tensor(rows), k), k)
        _parity(torch, lambda m: m.multinomial(m.tensor(rows), k, replacement=True), k + 1)
    big = np.random.default_rng(0).random(1000)
    _parity(torch, lambda m: m.multinomial(m.tensor(big), 500), 9)


def test_generators_and_state(torch):
    g, G = torch.Generator().manual_seed(9), gradcore.Generator().manual_seed(9)
    _same(torch, torch.randn(50, generator=g), gradcore.randn(50, generator=G))
    _same(torch, torch.randperm(20, generator=g), gradcore.randperm(20, generator=G))
    _same(torch, g.get_state(), G.get_state())
    torch.manual_seed(4)
    gradcore.manual_seed(4)
    _same(torch, torch.get_rng_state(), gradcore.get_rng_state())  # PyTorch's 5056 bytes
    torch.randn(3)  # leaves a cached normal in the state
    gradcore.randn(3)
    _same(torch, torch.get_rng_state(), gradcore.get_rng_state())
    gradcore.set_rng_state(gradcore.tensor(torch.get_rng_state().numpy()))
    _same(torch, torch.randn(5), gradcore.randn(5))
    torch.set_rng_state(torch.tensor(gradcore.get_rng_state().numpy()))
    _same(torch, torch.randn(5), gradcore.randn(5))
    with pytest.raises(RuntimeError, match="Expected a CPUGeneratorImplState of size 5056 but "
                                           "found the input RNG state size to be 10"):
        gradcore.set_rng_state(gradcore.zeros(10, dtype=gradcore.uint8))
    gradcore.manual_seed(-1)
    torch.manual_seed(-1)
    assert gradcore.initial_seed() == torch.initial_seed() == 2 ** 64 - 1
    _same(torch, torch.rand(4), gradcore.rand(4))


def test_fork_rng_restores_the_stream(torch):
    gradcore.manual_seed(3)
    with gradcore.random.fork_rng():
        inside = gradcore.randn(4)
    after = gradcore.randn(4)
    assert inside.tolist() == after.tolist()
    with gradcore.random.fork_rng(enabled=False):
        gradcore.randn(4)
    assert gradcore.randn(4).tolist() != after.tolist()
    gradcore.cuda.manual_seed(1)  # accepted without a GPU, as PyTorch's
    gradcore.cuda.manual_seed_all(1)


def test_unseeded_processes_differ(torch):
    code = "import gradcore; print(gradcore.initial_seed(), gradcore.rand(2).tolist())"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout for _ in range(2)}
    assert len(runs) == 2


MODULES = {
    "Linear": lambda m: m.nn.Linear(4, 3),
    "Conv2d": lambda m: m.nn.Conv2d(3, 8, 3),
    "ConvTranspose1d": lambda m: m.nn.ConvTranspose1d(3, 4, 5),
    "Embedding": lambda m: m.nn.Embedding(10, 5),
    "Bilinear": lambda m: m.nn.Bilinear(3, 4, 5),
    "LSTM": lambda m: m.nn.LSTM(4, 6, 2, bidirectional=True),
    "GRU": lambda m: m.nn.GRU(4, 6),
    "RNNCell": lambda m: m.nn.RNNCell(4, 6),
    "MultiheadAttention": lambda m: m.nn.MultiheadAttention(8, 2, kdim=5, vdim=6,
                                                            add_bias_kv=True),
    "TransformerEncoderLayer": lambda m: m.nn.TransformerEncoderLayer(8, 2, 16),
    "Sequential": lambda m: m.nn.Sequential(m.nn.Linear(5, 7), m.nn.PReLU(), m.nn.Linear(7, 2)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_default_init_is_pytorchs(torch, name):
    def params(m):
        return m.cat([p.detach().reshape(-1) for p in MODULES[name](m).parameters()])
    _parity(torch, params, 3)


@pytest.mark.parametrize("init", ["uniform_", "normal_", "xavier_uniform_", "xavier_normal_",
                                  "kaiming_uniform_", "kaiming_normal_", "trunc_normal_"])
def test_nn_init(torch, init):
    _parity(torch, lambda m: getattr(m.nn.init, init)(m.empty(30, 7)), 1)
    if init == "trunc_normal_":  # a narrow window: PyTorch's uniform-rejection sampler
        _parity(torch, lambda m: m.nn.init.trunc_normal_(m.empty(30, 7), 0, 1, 0.5, 0.9), 2)


def test_dropout_and_rrelu(torch):
    x = np.random.default_rng(0).standard_normal((20, 30, 4)).astype(np.float32)
    for p in (0.1, 0.5):
        _parity(torch, lambda m: m.nn.functional.dropout(m.tensor(x), p), 1)
        _parity(torch, lambda m: m.nn.Dropout(p)(m.tensor(x)), 2)
    _parity(torch, lambda m: m.nn.functional.rrelu(m.tensor(x), training=True), 3)


def _loader_order(m, generator=None, **kw):
    x = np.random.default_rng(0).standard_normal((50, 4)).astype(np.float32)
    ds = m.utils.data.TensorDataset(m.tensor(x), m.arange(50))
    dl = m.utils.data.DataLoader(ds, batch_size=8, shuffle=True, generator=generator, **kw)
    return m.cat([yb for _ in range(2) for _, yb in dl])


def test_data_loading_order(torch):
    _parity(torch, _loader_order, 0)
    _same(torch, _loader_order(torch, torch.Generator().manual_seed(5)),
          _loader_order(gradcore, gradcore.Generator().manual_seed(5)))
    _parity(torch, lambda m: m.tensor(
        [i for s in m.utils.data.random_split(range(30), [0.3, 0.7]) for i in s.indices]), 1)
    _parity(torch, lambda m: m.tensor(list(m.utils.data.RandomSampler(
        range(10), replacement=True, num_samples=40))), 2)
    _parity(torch, lambda m: m.tensor(list(m.utils.data.SubsetRandomSampler(range(5, 25)))), 3)


def _train(m):
    """A seeded script: default init, dropout, a shuffled DataLoader, SGD; its losses."""
    m.manual_seed(0)
    x = m.randn(64, 6)
    y = m.randint(0, 3, (64,))
    net = m.nn.Sequential(m.nn.Linear(6, 16), m.nn.ReLU(), m.nn.Dropout(0.3),
                          m.nn.Linear(16, 3))
    opt = m.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    loader = m.utils.data.DataLoader(m.utils.data.TensorDataset(x, y), batch_size=16,
                                     shuffle=True)
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            loss = m.nn.functional.cross_entropy(net(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    return np.array(losses)


def test_seeded_training_run_gives_pytorchs_losses(torch):
    # every draw is the same; float32 arithmetic (matmul order) may differ in the last bits
    np.testing.assert_allclose(_train(gradcore), _train(torch), rtol=1e-5, atol=1e-6)


DISTRIBUTIONS = {
    "Normal": lambda m: m.distributions.Normal(m.tensor([0.0, 1.0]),
                                               m.tensor([1.0, 2.0])).sample((10,)),
    "Bernoulli": lambda m: m.distributions.Bernoulli(probs=m.tensor([0.2, 0.7])).sample((10,)),
    "Categorical": lambda m: m.distributions.Categorical(
        probs=m.tensor([0.2, 0.3, 0.5])).sample((10,)),
    "Uniform": lambda m: m.distributions.Uniform(m.tensor(0.0), m.tensor(2.0)).sample((10,)),
    "Exponential": lambda m: m.distributions.Exponential(m.tensor([1.5])).sample((10,)),
    "MultivariateNormal": lambda m: m.distributions.MultivariateNormal(
        m.zeros(3), m.eye(3)).sample((4,)),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_distribution_samples(torch, name):
    _parity(torch, DISTRIBUTIONS[name], 1)


@pytest.mark.parametrize("sampler", ["uniform_", "normal_", "bernoulli_", "exponential_",
                                     "random_"])
def test_non_contiguous_tensors_fill_in_memory_order(torch, sampler):
    """PyTorch fills a view in its memory order (and normal_ takes the scalar path there)."""
    for view in (lambda m: m.empty(8, 5).t(), lambda m: m.empty(4, 6, 3).permute(2, 0, 1),
                 lambda m: m.empty(10, 8)[:, ::2]):
        _parity(torch, lambda m: getattr(view(m), sampler)(), 4)
    if sampler == "bernoulli_":  # a probability tensor follows the view's element order
        p = np.random.default_rng(0).random((5, 8)).astype(np.float32)
        for probs in (p, p[0]):
            _parity(torch, lambda m: m.empty(8, 5).t().bernoulli_(m.tensor(probs)), 5)
