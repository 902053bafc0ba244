"""Every nn layer at a tiny size, and the MLP width x batch grid: forward + backward, gradcore
against PyTorch in one process (``--layers``, ``--mlp-grid``).

Each layer is built in both libraries from one constructor written for either (``lib.nn``);
PyTorch's is made first under a fixed seed and its state_dict is copied into gradcore's
module, so both do the same work on the same numbers.  Inputs are seeded float32 arrays
(integer ones for indices and class targets)."""
import math
import time

import numpy as np

from .ops import describe, named, row, time_pair

LAYER_GOAL = 1.0
ACTIVATION_GOAL = 0.5  # the activations are elementwise ops: the 0.5x


def _f(*shape, lo=None, hi=None, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape) if lo is None else rng.uniform(lo, hi, shape)
    return ("float", a.astype(np.float32))


def _i(high, *shape, seed=1):
    return ("index", np.random.default_rng(seed).integers(0, high, shape).astype(np.int64))


def _first(out):
    """The output a layer's caller uses: RNNs' and attention's first element."""
    return out[0] if isinstance(out, (tuple, list)) else out


X = lambda: [_f(8, 16)]  # noqa: E731  the activations' and small layers' input
IMG = lambda: [_f(2, 8, 8, 8)]  # noqa: E731
SEQ = lambda: [_f(5, 2, 16)]  # noqa: E731  (seq, batch, features)

# (name, class, constructor(nn), inputs(), call(module, *tensors) or None, train mode)
LAYERS = [
    ("Linear(16,32) 8x16", "layer", lambda nn: nn.Linear(16, 32), X, None, True),
    ("Conv1d(4,8,3,p1) 2x4x16", "layer", lambda nn: nn.Conv1d(4, 8, 3, padding=1),
     lambda: [_f(2, 4, 16)], None, True),
    ("Conv2d(8,8,3,p1) 1x8x16x16", "layer", lambda nn: nn.Conv2d(8, 8, 3, padding=1),
     lambda: [_f(1, 8, 16, 16)], None, True),
    ("Conv3d(2,4,3,p1) 1x2x8x8x8", "layer", lambda nn: nn.Conv3d(2, 4, 3, padding=1),
     lambda: [_f(1, 2, 8, 8, 8)], None, True),
    ("ConvTranspose2d(8,4,3,s2,p1) 1x8x8x8", "layer",
     lambda nn: nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1), lambda: [_f(1, 8, 8, 8)],
     None, True),
    ("BatchNorm1d(16) 8x16", "layer", lambda nn: nn.BatchNorm1d(16), X, None, True),
    ("BatchNorm2d(8) 2x8x8x8", "layer", lambda nn: nn.BatchNorm2d(8), IMG, None, True),
    ("LayerNorm(16) 8x16", "layer", lambda nn: nn.LayerNorm(16), X, None, True),
    ("GroupNorm(2,8) 2x8x8x8", "layer", lambda nn: nn.GroupNorm(2, 8), IMG, None, True),
    ("InstanceNorm2d(8,affine) 2x8x8x8", "layer", lambda nn: nn.InstanceNorm2d(8, affine=True),
     IMG, None, True),
    ("Embedding(100,16) 4x8", "layer", lambda nn: nn.Embedding(100, 16),
     lambda: [_i(100, 4, 8)], None, True),
    ("LSTM(16,32) 5x2x16", "layer", lambda nn: nn.LSTM(16, 32), SEQ, None, True),
    ("GRU(16,32) 5x2x16", "layer", lambda nn: nn.GRU(16, 32), SEQ, None, True),
    ("RNN(16,32) 5x2x16", "layer", lambda nn: nn.RNN(16, 32), SEQ, None, True),
    ("MultiheadAttention(16,2) 5x2x16", "layer", lambda nn: nn.MultiheadAttention(16, 2), SEQ,
     lambda m, x: m(x, x, x), True),
    ("TransformerEncoderLayer(16,2,ff32,dropout0) 5x2x16", "layer",
     lambda nn: nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0), SEQ, None,
     True),
    ("Dropout(0.5) eval 8x16", "layer", lambda nn: nn.Dropout(0.5), X, None, False),
    ("MaxPool2d(2) 2x8x8x8", "layer", lambda nn: nn.MaxPool2d(2), IMG, None, True),
    ("AvgPool2d(2) 2x8x8x8", "layer", lambda nn: nn.AvgPool2d(2), IMG, None, True),
    ("AdaptiveAvgPool2d(1) 2x8x8x8", "layer", lambda nn: nn.AdaptiveAvgPool2d(1), IMG, None,
     True),
    ("Flatten 2x8x8x8", "layer", lambda nn: nn.Flatten(), IMG, None, True),
]

_ACTIVATIONS = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SELU", "CELU", "GELU", "SiLU", "Mish",
                "Tanh", "Sigmoid", "Hardtanh", "Hardswish", "Hardsigmoid", "LogSigmoid",
                "Softplus", "Softsign", "Tanhshrink", "PReLU"]
LAYERS += [(f"{a} 8x16", "activation", (lambda a: lambda nn: getattr(nn, a)())(a), X, None,
            True) for a in _ACTIVATIONS]
LAYERS += [("Softmax(-1) 8x16", "activation", lambda nn: nn.Softmax(dim=-1), X, None, True),
           ("LogSoftmax(-1) 8x16", "activation", lambda nn: nn.LogSoftmax(dim=-1), X, None,
            True)]

_PROBS = dict(lo=0.05, hi=0.95)
# losses: inputs are (input, target...); only the first requires grad
LOSSES = [
    ("CrossEntropyLoss 8x10", lambda nn: nn.CrossEntropyLoss(), lambda: [_f(8, 10), _i(10, 8)]),
    ("CrossEntropyLoss(label_smoothing=0.1) 8x10",
     lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1), lambda: [_f(8, 10), _i(10, 8)]),
    ("NLLLoss 8x10", lambda nn: nn.NLLLoss(), lambda: [_f(8, 10), _i(10, 8)]),
    ("MSELoss 8x16", lambda nn: nn.MSELoss(), lambda: [_f(8, 16), _f(8, 16, seed=1)]),
    ("L1Loss 8x16", lambda nn: nn.L1Loss(), lambda: [_f(8, 16), _f(8, 16, seed=1)]),
    ("SmoothL1Loss 8x16", lambda nn: nn.SmoothL1Loss(), lambda: [_f(8, 16), _f(8, 16, seed=1)]),
    ("HuberLoss 8x16", lambda nn: nn.HuberLoss(), lambda: [_f(8, 16), _f(8, 16, seed=1)]),
    ("BCELoss 8x16", lambda nn: nn.BCELoss(),
     lambda: [_f(8, 16, **_PROBS), _f(8, 16, lo=0, hi=1, seed=1)]),
    ("BCEWithLogitsLoss 8x16", lambda nn: nn.BCEWithLogitsLoss(),
     lambda: [_f(8, 16), _f(8, 16, lo=0, hi=1, seed=1)]),
    ("KLDivLoss(batchmean) 8x10", lambda nn: nn.KLDivLoss(reduction="batchmean"),
     lambda: [_f(8, 10, lo=-3, hi=-0.1), _f(8, 10, lo=0.01, hi=1, seed=1)]),
    ("SoftMarginLoss 8x16", lambda nn: nn.SoftMarginLoss(),
     lambda: [_f(8, 16), ("float", np.sign(_f(8, 16, seed=1)[1]))]),
    ("PoissonNLLLoss 8x16", lambda nn: nn.PoissonNLLLoss(),
     lambda: [_f(8, 16), _f(8, 16, lo=0, hi=3, seed=1)]),
    ("GaussianNLLLoss 8x16", lambda nn: nn.GaussianNLLLoss(),
     lambda: [_f(8, 16), _f(8, 16, seed=1), _f(8, 16, lo=0.5, hi=2, seed=2)]),
    ("MultiLabelSoftMarginLoss 8x10", lambda nn: nn.MultiLabelSoftMarginLoss(),
     lambda: [_f(8, 10), _f(8, 10, lo=0, hi=1, seed=1)]),
]
LAYERS += [(name, "loss", ctor, inputs, None, True) for name, ctor, inputs in LOSSES]


def _build(lib, ctor, train, state=None):
    m = ctor(lib.nn)
    if state is not None:
        m.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    m.train(train)
    return m


def _tensors(lib, specs, cls):
    """Tensors of the input specs: the first floating one requires grad (a loss's input; every
    floating input of a layer)."""
    out = []
    for k, (kind, a) in enumerate(specs):
        grad = kind == "float" and (cls != "loss" or k == 0)
        out.append(lib.tensor(a, requires_grad=grad))
    return out


def make_layer_step(lib, module, tensors, call=None):
    """forward + backward of one layer: a scalar output's ``backward()``, else a ones
    gradient made once; input gradients reset each call."""
    leaves = [t for t in tensors if t.requires_grad]

    def forward():
        return _first(call(module, *tensors) if call else module(*tensors))
    out = forward()
    grad = None if out.dim() == 0 else lib.ones_like(out)

    def step():
        for t in leaves:
            t.grad = None
        forward().backward(grad)
    return step


def bench_layers(gradcore, torch, pattern=None, repeat=5, target_s=0.01, clock=None,
                 say=print, tick=None):
    """Rows (ops.row) for every layer of LAYERS whose name matches ``pattern``."""
    import re
    import warnings
    clock = clock or time.perf_counter
    chosen = [spec for spec in LAYERS if pattern is None or re.search(pattern, spec[0])]
    if tick is not None:
        tick.total(len(chosen))
    rows = []
    for name, cls, ctor, inputs, call, train in chosen:
        goal = ACTIVATION_GOAL if cls == "activation" else LAYER_GOAL
        specs = inputs()
        elements = max(a.size for _, a in specs)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch.manual_seed(0)
                tm = _build(torch, ctor, train)
                state = {k: v.detach().numpy().copy() for k, v in tm.state_dict().items()}
                gradcore.manual_seed(0)
                gm = _build(gradcore, ctor, train, state)
                steps = [named(make_layer_step, who, lib, m, _tensors(lib, specs, cls), call)
                         for who, lib, m in (("gradcore", gradcore, gm), ("torch", torch, tm))]
                timed = time_pair(steps[0], steps[1], repeat, target_s, clock)
            rows.append(row(name, cls, "tiny", name.rsplit(" ", 1)[-1], elements, goal, timed))
        except Exception as e:
            rows.append(row(name, cls, "tiny", name.rsplit(" ", 1)[-1], elements, goal,
                            error=describe(e)))
        if tick is not None:
            tick(name.split(" ")[0])
    return rows


# ---- the MLP width x batch grid ----------------------------------------------------------

GRID_BATCHES = (1, 16, 256, 2048)
GRID_WIDTHS = (64, 512, 2048)


def make_mlp(lib, batch, width, state=None):
    """One SGD step (CrossEntropyLoss) of a 784-W-W-10 ReLU MLP on a fixed seeded batch; the
    model's weights from ``state`` (a name -> array dict) when given."""
    nn = lib.nn
    model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
                          nn.Linear(width, 10))
    if state is not None:
        model.load_state_dict({k: lib.tensor(v) for k, v in state.items()})
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, batch))
    criterion = nn.CrossEntropyLoss()
    opt = lib.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        criterion(model(x), y).backward()
        opt.step()
    return model, step


def bench_mlp_grid(gradcore, torch, batches=GRID_BATCHES, widths=GRID_WIDTHS, repeat=5,
                   target_s=0.02, clock=None, tick=None):
    """Rows (ops.row) per (batch, width) cell; cells of more than ~1 GFLOP a step get 3
    repeats and one call per batch (the whole grid stays near two minutes on 2 cores)."""
    clock = clock or time.perf_counter
    if tick is not None:
        tick.total(len(batches) * len(widths))
    rows = []
    for batch in batches:
        for width in widths:
            flops = 6 * batch * (784 * width + width * width + width * 10)
            heavy = flops > 1e9
            name = f"MLP 784-{width}-{width}-10 batch {batch}"
            try:
                torch.manual_seed(0)
                tm, t_step = make_mlp(torch, batch, width)
                state = {k: v.detach().numpy().copy() for k, v in tm.state_dict().items()}
                _, g_step = make_mlp(gradcore, batch, width, state)
                timed = time_pair(g_step, t_step, min(repeat, 3) if heavy else repeat,
                                  0.0 if heavy else target_s, clock)
                rows.append(row(name, "mlp", "grid", f"b{batch} w{width}", batch * 784,
                                LAYER_GOAL, timed, batch=batch, width=width, flops=flops))
            except Exception as e:
                rows.append(row(name, "mlp", "grid", f"b{batch} w{width}", batch * 784,
                                LAYER_GOAL, error=describe(e), batch=batch,
                                width=width, flops=flops))
            if tick is not None:
                tick(f"b{batch} w{width}")
    return rows


def gflops(r):
    """Achieved GFLOP/s of gradcore and torch on a grid row."""
    if r.get("gradcore_s") and r.get("torch_s"):
        return r["flops"] / r["gradcore_s"] / 1e9, r["flops"] / r["torch_s"] / 1e9
    return math.nan, math.nan
