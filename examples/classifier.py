"""A small CNN classifier trained the way PyTorch's beginner tutorials do: a Dataset and a
DataLoader, Adam with a StepLR schedule, a progress bar, a final accuracy, and the weights
saved and loaded back.

The data needs no download: 12x12 images of six shapes (bars, a cross, a diagonal, a square's
outline, a dot), drawn at random positions with random thickness and noise, 5,000 for training
and 1,000 held out.

    python examples/classifier.py [--epochs 4] [--device cpu|cuda]
"""
import argparse
import os
import tempfile

import numpy as np

import gradcore as torch
import gradcore.nn as nn
from gradcore.utils.data import DataLoader, TensorDataset

try:
    from tqdm import tqdm
except ImportError:  # the progress bar is a nicety: train without it
    tqdm = None

CLASSES = ["horizontal bar", "vertical bar", "cross", "diagonal", "square", "dot"]
SIZE = 12


def draw(label, rng):
    img = np.zeros((SIZE, SIZE), np.float32)
    r, c = rng.integers(3, SIZE - 3, size=2)
    w = rng.integers(1, 3)
    if label in (0, 2):
        img[r:r + w, 1:-1] = 1
    if label in (1, 2):
        img[1:-1, c:c + w] = 1
    if label == 3:
        idx = np.arange(1, SIZE - 1)
        img[idx, idx if rng.random() < 0.5 else SIZE - 1 - idx] = 1
    if label == 4:
        k = rng.integers(3, 5)
        r0, c0 = min(r, SIZE - k - 1), min(c, SIZE - k - 1)
        img[r0, c0:c0 + k + 1] = img[r0 + k, c0:c0 + k + 1] = 1
        img[r0:r0 + k + 1, c0] = img[r0:r0 + k + 1, c0 + k] = 1
    if label == 5:
        img[r:r + w + 1, c:c + w + 1] = 1
    return img + rng.normal(0, 0.25, img.shape).astype(np.float32)


def make_dataset(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), n)
    images = np.stack([draw(int(y), rng) for y in labels])[:, None]
    return TensorDataset(torch.from_numpy(images), torch.from_numpy(labels))


class Net(nn.Module):
    def __init__(self, classes=len(CLASSES)):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(16, 32), nn.ReLU(),
                                        nn.Linear(32, classes))

    def forward(self, x):
        return self.classifier(self.features(x))


def accuracy(model, loader, device):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            pred = model(x.to(device)).argmax(1)
            correct += (pred == y.to(device)).sum().item()
            total += len(y)
    model.train()
    return correct / total


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--device", default="cuda:0" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--train-size", type=int, default=5000)
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    torch.manual_seed(0)

    train = DataLoader(make_dataset(args.train_size, seed=1), batch_size=64, shuffle=True,
                       generator=torch.Generator().manual_seed(0))
    test = DataLoader(make_dataset(1000, seed=2), batch_size=256)
    model = Net().to(device)
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    if tqdm is None:
        print("(tqdm is not installed: no progress bar)")

    for epoch in range(args.epochs):
        batches = train if tqdm is None else tqdm(train, desc=f"epoch {epoch + 1}",
                                                  leave=False)
        total = 0.0
        for x, y in batches:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            total += loss.item()
        scheduler.step()
        print(f"epoch {epoch + 1}: loss {total / len(train):.4f}, "
              f"lr {scheduler.get_last_lr()[0]:.4g}, test accuracy "
              f"{accuracy(model, test, device):.3f}")

    path = os.path.join(tempfile.mkdtemp(), "classifier.gc")
    torch.save(model.state_dict(), path)
    restored = Net()
    restored.load_state_dict(torch.load(path, map_location="cpu"))
    acc = accuracy(restored.to(device), test, device)
    print(f"final test accuracy {acc:.3f} (weights saved to {path} and loaded back)")
    return acc


if __name__ == "__main__":
    main()
