"""The benchmark workloads, written once for any torch-like module (gradcore or PyTorch).

Every factory takes ``(lib, device, ...)`` and returns a zero-argument callable: one
iteration of the workload, with all setup (model, data, optimizer) done outside it.
"""
import numpy as np


def _is_gradcore(lib):
    return lib.__name__.split(".")[0] == "gradcore"


def _leaf(lib, shape, device, requires_grad=False, seed=0):
    data = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return lib.tensor(data, device=device, requires_grad=requires_grad)


# ---- per-op overhead ---------------------------------------------------------------------

def make_step(lib, device="cpu"):
    """A 3x4 ``((a*b+a).exp().sum()).backward()`` step, the per-op overhead probe."""
    a = _leaf(lib, (3, 4), device, True, 0)
    b = _leaf(lib, (3, 4), device, True, 1)

    def step():
        ((a * b + a).exp().sum()).backward()
    return step


def make_forward_op(lib, device="cpu"):
    """One forward op on small tensors, no graph (a + b on 3x4)."""
    a = _leaf(lib, (3, 4), device, False, 0)
    b = _leaf(lib, (3, 4), device, False, 1)

    def op():
        return a + b
    return op


# ---- training steps ----------------------------------------------------------------------

def make_tutorial_iter(lib, device="cpu"):
    """One iteration of the tutorial's linear-regression loop (1x1 Linear, MSELoss, SGD)."""
    nn = lib.nn
    x_train = np.arange(11, dtype=np.float32).reshape(-1, 1)
    y_train = (2 * x_train + 1).astype(np.float32)
    dev = lib.device(device)
    model = nn.Linear(1, 1).to(dev)
    criterion = nn.MSELoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)

    def iteration():
        inputs = lib.from_numpy(x_train).to(dev)
        labels = lib.from_numpy(y_train).to(dev)
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss
    return iteration


def _train_step(model, criterion, optimizer, x, y):
    """One zero_grad / forward / loss / backward / step on a fixed batch."""
    def step():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def make_mlp_step(lib, device="cpu", batch=256, widths=(784, 512, 512, 10)):
    """One SGD-momentum step of a ReLU MLP (default 784-512-512-10, batch 256) with
    CrossEntropyLoss on ``device``."""
    nn = lib.nn
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to(device)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, widths[0])).astype(np.float32), device=device)
    y = lib.tensor(rng.integers(0, widths[-1], batch), device=device)
    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    return _train_step(model, criterion, optimizer, x, y)


def make_cnn_step(lib, device="cpu", batch=64, size=12, classes=6):
    """One Adam step of examples/classifier.py's CNN (conv-relu-pool-conv-relu-adaptive pool,
    two Linear) on a batch of ``batch`` 1x``size``x``size`` images."""
    nn = lib.nn
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, classes)).to(device)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, 1, size, size)).astype(np.float32), device=device)
    y = lib.tensor(rng.integers(0, classes, batch), device=device)
    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)

    return _train_step(model, criterion, optimizer, x, y)


def _make_rnn_step(lib, cls, device, seq, batch, input_size, hidden):
    model = getattr(lib.nn, cls)(input_size, hidden).to(device)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((seq, batch, input_size)).astype(np.float32),
                   device=device)
    y = lib.tensor(rng.standard_normal((seq, batch, hidden)).astype(np.float32), device=device)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    return _train_step(lambda inp: model(inp)[0], lib.nn.MSELoss(), optimizer, x, y)


def make_lstm_step(lib, device="cpu", seq=20, batch=8, input_size=32, hidden=64):
    """One SGD step of a one-layer LSTM (default seq 20, batch 8, input 32, hidden 64) with
    MSELoss on its outputs: the per-time-step cost of a recurrent layer."""
    return _make_rnn_step(lib, "LSTM", device, seq, batch, input_size, hidden)


def make_gru_step(lib, device="cpu", seq=20, batch=8, input_size=32, hidden=64):
    """make_lstm_step with a GRU."""
    return _make_rnn_step(lib, "GRU", device, seq, batch, input_size, hidden)


def make_transformer_step(lib, device="cpu", seq=16, batch=8, d_model=64, nhead=4,
                          dim_feedforward=256):
    """One AdamW step of a TransformerEncoderLayer (default seq 16, batch 8, d_model 64, 4
    heads, feed-forward 256, dropout 0.1 in training mode: the dropout masks differ between
    the libraries, the work does not) with MSELoss on its output."""
    layer = lib.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward).to(device)
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((seq, batch, d_model)).astype(np.float32), device=device)
    y = lib.tensor(rng.standard_normal((seq, batch, d_model)).astype(np.float32), device=device)
    optimizer = lib.optim.AdamW(layer.parameters(), lr=1e-3)
    return _train_step(layer, lib.nn.MSELoss(), optimizer, x, y)


# ---- backward kernels alone --------------------------------------------------------------

def make_relu_backward(lib, device, n):
    """The elementwise backward kernel alone: ReLU's gradient at ``n`` float32 elements
    (gradcore: the backend's ``relu_backward``; PyTorch: ``aten.threshold_backward``)."""
    y = _leaf(lib, (n,), device, seed=0).abs()
    gy = _leaf(lib, (n,), device, seed=1)
    if _is_gradcore(lib):
        from ..backend import get_backend
        be, ya, ga = get_backend(device), y._arr, gy._arr
        return lambda: be.relu_backward(ya, ga)
    op = lib.ops.aten.threshold_backward
    return lambda: op(gy, y, 0)


def make_sum_to(lib, device, n):
    """The reduction backward kernel alone: ``sum_to`` of an (n/1024, 1024) gradient down to
    a (1024,) bias gradient (gradcore: the backend's ``sum_to``; PyTorch: ``g.sum(0)``)."""
    g = _leaf(lib, (max(1, n >> 10), 1024), device, seed=2)
    if _is_gradcore(lib):
        from ..backend import get_backend
        be, ga = get_backend(device), g._arr
        return lambda: be.sum_to(ga, (1024,))
    return lambda: g.sum(0)


# ---- the size sweep ----------------------------------------------------------------------

def make_sweep_mlp(lib, device, width):
    """The size sweep: one step of a 784-w-w-10 MLP, batch 256."""
    return make_mlp_step(lib, device, 256, (784, width, width, 10))


def sweep_flops(width, batch=256):
    """Multiply-adds x 2 x 3 (forward + two backward matmuls) of one sweep step."""
    return 6 * batch * (784 * width + width * width + width * 10)


KERNEL_SIZES = {"cpu": [1 << k for k in range(10, 23, 4)] + [1 << 22],
                "cuda": [1 << k for k in range(10, 27, 4)]}
QUICK_KERNEL_SIZES = [1 << 10, 1 << 14]
SWEEP_WIDTHS = [16, 64, 256, 1024, 2048, 4096]
QUICK_SWEEP_WIDTHS = [16, 64, 256]


def workload_plan(device_type, quick=False):
    """(name, group, size, factory) for one device type ("cpu" or "cuda")."""
    plan = [("step_3x4_fwd_bwd", "overhead", None, make_step),
            ("tutorial_iteration", "training", None, make_tutorial_iter),
            ("mlp_784_512_512_10_step", "training", None, make_mlp_step),
            ("cnn_step_batch64", "training", None, make_cnn_step),
            ("lstm_step_seq20", "training", None, make_lstm_step),
            ("gru_step_seq20", "training", None, make_gru_step),
            ("transformer_layer_step", "training", None, make_transformer_step)]
    sizes = QUICK_KERNEL_SIZES if quick else sorted(set(KERNEL_SIZES[device_type]))
    for n in sizes:
        plan.append((f"relu_backward n=2^{n.bit_length() - 1}", "kernel:relu_backward", n,
                     make_relu_backward))
        plan.append((f"sum_to n=2^{n.bit_length() - 1}", "kernel:sum_to", n, make_sum_to))
    for w in QUICK_SWEEP_WIDTHS if quick else SWEEP_WIDTHS:
        plan.append((f"mlp_sweep w={w}", "sweep", w, make_sweep_mlp))
    return plan


# Kept for bench/test_bench_core.py (the pytest-benchmark suite).
WORKLOADS = {"step_3x4_fwd_bwd": make_step, "forward_add_3x4": make_forward_op}
TRAINING = {"tutorial_iteration": make_tutorial_iter, "mlp_784_512_512_10_step": make_mlp_step,
            "cnn_step_batch64": make_cnn_step}
