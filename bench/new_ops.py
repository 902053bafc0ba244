"""Per-op overhead of some of the breadth issue's ops against PyTorch, in one process,
interleaved: forward + backward at a tiny size (the per-call cost real code pays), 1 thread.

    python bench/new_ops.py          # prints a markdown table of gradcore / torch times

Each workload is built once per library from the same data; the timer takes batches of
calls, alternating libraries, and reports the median batch.  Not a test: ratios drift a few
percent between runs on a shared machine."""
import statistics
import sys
import time

import numpy as np


def _cases(lib):
    rng = np.random.default_rng(0)

    def t(*shape, grad=True):
        return lib.tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=grad)

    a, b, m, v = t(8, 8), t(8, 8), t(4, 4), t(16)
    spd = lib.tensor((np.eye(4) * 4 + 0.1).astype(np.float32), requires_grad=True)
    return {
        "erf 8x8": lambda: lib.erf(a).sum().backward(),
        "hypot 8x8": lambda: lib.hypot(a, b).sum().backward(),
        "xlogy 8x8": lambda: lib.xlogy(a, b.abs()).sum().backward(),
        "lerp 8x8": lambda: lib.lerp(a, b, 0.3).sum().backward(),
        "tril 8x8": lambda: lib.tril(a).sum().backward(),
        "einsum ij,jk->ik 8x8": lambda: lib.einsum("ij,jk->ik", a, b).sum().backward(),
        "einsum bij->j 8x8": lambda: lib.einsum("ij->j", a).sum().backward(),
        "kron 4x4": lambda: lib.kron(m, m).sum().backward(),
        "linalg.solve 4x4": lambda: lib.linalg.solve(spd, m).sum().backward(),
        "linalg.inv 4x4": lambda: lib.linalg.inv(spd).sum().backward(),
        "normal_ 16 (no grad)": lambda: v.detach().normal_(),
        "multinomial 16 (no grad)": lambda: lib.multinomial(v.detach().abs(), 4),
        "Normal.log_prob 16": lambda: lib.distributions.Normal(v, 1.0).log_prob(
            v.detach()).sum().backward(),
    }


def _time(fn, n):
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def main(batches=15, n=200):
    import torch
    import gradcore
    torch.set_num_threads(1)
    g, t = _cases(gradcore), _cases(torch)
    rows = []
    for name in g:
        for fn in (g[name], t[name]):
            _time(fn, n)  # warm up
        tg, tt = [], []
        for _ in range(batches):
            tg.append(_time(g[name], n))
            tt.append(_time(t[name], n))
        mg, mt = statistics.median(tg), statistics.median(tt)
        rows.append((name, mg, mt))
    print("| op (fwd+bwd) | gradcore us | torch us | gradcore / torch |")
    print("|---|---:|---:|---:|")
    for name, mg, mt in rows:
        print(f"| {name} | {mg:.1f} | {mt:.1f} | {mg / mt:.2f} |")


if __name__ == "__main__":
    main(*map(int, sys.argv[1:]))
