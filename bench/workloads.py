"""Small CPU workloads, written once for any torch-like module (gradcore or PyTorch)."""
import numpy as np


def make_step(lib):
    """A 3x4 ``((a*b+a).exp().sum()).backward()`` step, the per-op overhead probe."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    b = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32), requires_grad=True)

    def step():
        ((a * b + a).exp().sum()).backward()
    return step


def make_forward_op(lib):
    """One forward op on small tensors, no graph (a + b on 3x4)."""
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32))
    b = lib.tensor(rng.standard_normal((3, 4)).astype(np.float32))

    def op():
        return a + b
    return op


WORKLOADS = {"step_3x4_fwd_bwd": make_step, "forward_add_3x4": make_forward_op}


def make_tutorial_iter(lib):
    """One iteration of the tutorial's linear-regression loop (1x1 Linear, MSELoss, SGD)."""
    nn = lib.nn
    x_train = np.arange(11, dtype=np.float32).reshape(-1, 1)
    y_train = (2 * x_train + 1).astype(np.float32)
    model = nn.Linear(1, 1)
    criterion = nn.MSELoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    device = lib.device("cpu")

    def iteration():
        inputs = lib.from_numpy(x_train).to(device)
        labels = lib.from_numpy(y_train).to(device)
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss
    return iteration


def make_mlp_step(lib, device="cpu", batch=256, widths=(784, 512, 512, 10)):
    """One SGD-momentum step of a 784-512-512-10 ReLU MLP with CrossEntropyLoss on ``device``."""
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

    def step():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


TRAINING = {"tutorial_iteration": make_tutorial_iter, "mlp_784_512_512_10_step": make_mlp_step}
