"""The training stack end to end: the tutorial's program, parity of its loop with PyTorch,
moving a model mid-training, and the classifier example."""
import os
import re
import subprocess
import sys

import numpy as np

import gradcore
import gradcore.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_tutorial_program_runs_as_written():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "linear_regression.py")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 20
    epochs, losses = zip(*(re.fullmatch(r"epoch (\d+),loss (\S+)", ln).groups() for ln in lines))
    assert [int(e) for e in epochs] == list(range(50, 1001, 50))
    losses = [float(x) for x in losses]
    assert all(b < a for a, b in zip(losses, losses[1:])) and losses[-1] < 1e-3


def _tutorial_losses(lib, w, b, epochs):
    x_train = np.arange(11, dtype=np.float32).reshape(-1, 1)
    y_train = (2 * x_train + 1).astype(np.float32)
    model = lib.nn.Linear(1, 1)
    with lib.no_grad():
        model.weight.copy_(lib.tensor([[w]]))
        model.bias.copy_(lib.tensor([b]))
    criterion = lib.nn.MSELoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01)
    losses = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = criterion(model(lib.from_numpy(x_train)), lib.from_numpy(y_train))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), model.weight.item(), model.bias.item()


def test_tutorial_loop_gives_pytorch_numbers(torch):
    ours = _tutorial_losses(gradcore, 0.3, -0.7, 1000)
    theirs = _tutorial_losses(torch, 0.3, -0.7, 1000)
    np.testing.assert_allclose(ours[0][:200], theirs[0][:200], rtol=1e-5)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-3, atol=1e-8)
    np.testing.assert_allclose(ours[1:], theirs[1:], rtol=1e-5)


def test_model_moved_mid_training_keeps_training(device):
    gradcore.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    params = list(model.parameters())
    opt = gradcore.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = gradcore.randn(32, 3)
    y = x.sum(1, keepdim=True)
    losses = []
    for step in range(40):
        if step == 20:
            model.to(device)
            x, y = x.to(device), y.to(device)
            assert all(p is q for p, q in zip(model.parameters(), params))
            assert all(p.device == device for p in model.parameters())
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[19] < losses[0]


def test_model_cast_mid_training_keeps_the_same_parameters():
    model = nn.Linear(4, 2)
    weight = model.weight
    opt = gradcore.optim.SGD(model.parameters(), lr=0.1)
    model.double()
    assert model.weight is weight and weight.dtype is gradcore.float64
    loss = model(gradcore.ones(5, 4, dtype=gradcore.float64)).pow(2).mean()
    loss.backward()
    before = weight.detach().clone()
    opt.step()
    assert not np.allclose(before.numpy(), weight.detach().numpy())


def test_classifier_example_learns():
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import classifier
    finally:
        sys.path.pop(0)
    acc = classifier.main(["--epochs", "3", "--train-size", "3000", "--device", "cpu"])
    assert acc > 0.8
