"""The losses, norms and softmaxes against PyTorch, in one process, interleaved: forward +
backward (a non-scalar output backpropagates a fixed gradient of ones), float32, 1 thread,
at tiny sizes (the per-call cost) and medium ones.

    OPENBLAS_NUM_THREADS=1 python bench/losses_norms.py [batches] [filter ...]

prints a markdown table of gradcore / torch times (CPU time of each batch of calls, the
median batch; the batch size adapts to ~20 ms).  Each case is built once per library from the
same data.  Not a test: ratios drift a few percent between runs on a shared machine."""
import statistics
import sys
import time

import numpy as np

TINY = {"ce": (8, 10), "ln": (8, 16), "bn": (4, 8, 6, 6)}
MEDIUM = {"ce": (256, 1000), "ln": (64, 512), "bn": (32, 64, 16, 16)}


def _cases(lib, sizes):
    rng = np.random.default_rng(0)
    F, nn = lib.nn.functional, lib.nn

    def t(*shape, grad=True, low=None):
        a = rng.standard_normal(shape).astype(np.float32)
        if low is not None:
            a = rng.uniform(low, 1 - low, shape).astype(np.float32)
        return lib.tensor(a, requires_grad=grad)

    n, c = sizes["ce"]
    x, y = t(n, c), t(n, c, grad=False)
    p01, t01 = t(n, c, low=0.05), t(n, c, grad=False, low=0.0)
    idx = lib.tensor(rng.integers(0, c, n))
    idx_ign = lib.tensor(np.where(np.arange(n) % 4 == 0, -100, rng.integers(0, c, n)))
    probs = lib.tensor(rng.dirichlet(np.ones(c), n).astype(np.float32))
    logp = lib.tensor(np.log(rng.dirichlet(np.ones(c), n)).astype(np.float32))
    w = lib.tensor(rng.uniform(0.5, 1.5, c).astype(np.float32))
    lx = t(n, c)
    gy = lib.ones(n, c)
    gn = lib.ones(n)
    rn, rc = sizes["ln"]
    xl, gl = t(rn, rc), lib.ones(rn, rc)
    ln = nn.LayerNorm(rc)
    rms = nn.RMSNorm(rc)
    bshape = sizes["bn"]
    xb, gb = t(*bshape), lib.ones(*bshape)
    bn = nn.BatchNorm2d(bshape[1])
    bn_eval = nn.BatchNorm2d(bshape[1]).eval()
    gnorm = nn.GroupNorm(2, bshape[1])
    inorm = nn.InstanceNorm2d(bshape[1], affine=True)

    def bw(out, g=None):
        out.backward(g)

    cases = {
        "cross_entropy": lambda: bw(F.cross_entropy(x, idx)),
        "cross_entropy probs": lambda: bw(F.cross_entropy(x, probs)),
        "cross_entropy smoothing 0.1": lambda: bw(F.cross_entropy(x, idx, label_smoothing=0.1)),
        "cross_entropy weight": lambda: bw(F.cross_entropy(x, idx, weight=w)),
        "cross_entropy ignore_index": lambda: bw(F.cross_entropy(x, idx_ign)),
        "cross_entropy sum": lambda: bw(F.cross_entropy(x, idx, reduction="sum")),
        "cross_entropy none": lambda: bw(F.cross_entropy(x, idx, reduction="none"), gn),
        "nn.CrossEntropyLoss": (lambda m: lambda: bw(m(x, idx)))(nn.CrossEntropyLoss()),
        "nll_loss": lambda: bw(F.nll_loss(lx, idx)),
        "mse_loss": lambda: bw(F.mse_loss(x, y)),
        "l1_loss": lambda: bw(F.l1_loss(x, y)),
        "smooth_l1_loss": lambda: bw(F.smooth_l1_loss(x, y)),
        "huber_loss": lambda: bw(F.huber_loss(x, y)),
        "binary_cross_entropy": lambda: bw(F.binary_cross_entropy(p01, t01)),
        "bce_with_logits": lambda: bw(F.binary_cross_entropy_with_logits(x, t01)),
        "kl_div batchmean": lambda: bw(F.kl_div(x, logp, reduction="batchmean",
                                                 log_target=True)),
        "kl_div probs sum": lambda: bw(F.kl_div(x, probs, reduction="sum")),
        "softmax": lambda: bw(F.softmax(x, 1), gy),
        "log_softmax": lambda: bw(F.log_softmax(x, 1), gy),
        "layer_norm (F, no affine)": lambda: bw(F.layer_norm(xl, (rc,)), gl),
        "nn.LayerNorm": lambda: bw(ln(xl), gl),
        "nn.RMSNorm": lambda: bw(rms(xl), gl),
        "nn.BatchNorm2d train": lambda: bw(bn(xb), gb),
        "nn.BatchNorm2d eval": lambda: bw(bn_eval(xb), gb),
        "nn.GroupNorm(2)": lambda: bw(gnorm(xb), gb),
        "nn.InstanceNorm2d affine": lambda: bw(inorm(xb), gb),
    }
    shape = {"ln": f"{rn}x{rc}", "bn": "x".join(map(str, bshape)), "ce": f"{n}x{c}"}
    fam = lambda k: ("ln" if "Layer" in k or "layer" in k or "RMS" in k else  # noqa: E731
                     "bn" if "Norm2d" in k or "Group" in k else "ce")
    return {f"{k} {shape[fam(k)]}": v for k, v in cases.items()}


def _time(fn, n):
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n * 1e6


def main(batches=7, filters=()):
    import torch
    import gradcore
    torch.set_num_threads(1)
    for sizes in (TINY, MEDIUM):
        g, t = _cases(gradcore, sizes), _cases(torch, sizes)
        for name in g:
            if filters and not any(f in name for f in filters):
                continue
            n = max(1, int(0.02e6 / max(_time(t[name], 3), 1.0)))  # ~20 ms a batch
            _time(g[name], n)  # warm up
            tg, tt = [], []
            for _ in range(batches):
                tg.append(_time(g[name], n))
                tt.append(_time(t[name], n))
            mg, mt = statistics.median(tg), statistics.median(tt)
            print(f"| {name} | {mg:.1f} | {mt:.1f} | {mg / mt:.2f} |", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    batches = int(args.pop(0)) if args and args[0].isdigit() else 7
    print("| op (fwd+bwd, float32) | gradcore us | torch us | gradcore / torch |")
    print("|---|---:|---:|---:|")
    main(batches, tuple(args))
