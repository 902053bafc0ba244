"""The GPU check: ``python bench/gpu_check.py`` (one command, a few minutes, no network).

1. Runs the ``gpu`` tests (``pytest -m gpu``: every RawKernel against the NumPy reference,
   sum_to determinism, double backward, whole models on cuda against the CPU).
2. Times each RawKernel at 2**26 float32 elements (CUDA events around a batch of launches after
   a warm-up; median of batches) and prints its achieved GB/s next to a device-to-device copy
   (cudaMemcpy) measured in the same run.  Goals: elementwise backward >= 85% of the copy's
   bandwidth, sum_to >= 80%.
3. Times a training step of the 784-512-512-10 MLP (batch 256, SGD with momentum,
   CrossEntropyLoss) with gradcore on the GPU and on the CPU, and with PyTorch on CUDA when it
   is installed.  Goal: gradcore's GPU step no slower than PyTorch's.
4. Writes bench/results/gpu-<card>-<date>.md.

Without a usable CUDA device (no CuPy, no driver, no GPU, a CUDA library missing) it prints
one line on stderr saying which and what to install, and exits 2: it checks nothing there.
Exit status 1 when the gpu tests fail.
Options: --skip-tests, --quick (2**22 elements, fewer repeats), --out DIR.
"""
import argparse
import datetime
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import gradcore  # noqa: E402

from gradcore.bench.workloads import make_mlp_step  # noqa: E402

ELEMENTWISE_GOAL, SUM_TO_GOAL = 0.85, 0.80


def run_gpu_tests(timeout=180):
    cmd = [sys.executable, "-m", "pytest", "-m", "gpu", "-q", "-p", "no:cacheprovider",
           os.path.join(ROOT, "tests")]
    print("$ " + " ".join(cmd), flush=True)
    start = time.perf_counter()
    try:
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        out, code = run.stdout + run.stderr, run.returncode
    except subprocess.TimeoutExpired as e:
        out, code = (e.stdout or b"").decode(errors="replace") + "\nTIMED OUT", 1
    tail = "\n".join(out.strip().splitlines()[-25:])
    print(tail, flush=True)
    return code, tail, time.perf_counter() - start


# ---- kernel bandwidth --------------------------------------------------------------------------

def gpu_ms(cp, fn, reps, batches=7):
    """Median milliseconds per call: CUDA events around ``reps`` back-to-back calls (so host
    overhead overlaps the GPU work), over ``batches`` batches after a warm-up."""
    fn()
    cp.cuda.Device().synchronize()
    times = []
    for _ in range(batches):
        start, end = cp.cuda.Event(), cp.cuda.Event()
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        end.synchronize()
        times.append(cp.cuda.get_elapsed_time(start, end) / reps)
    return statistics.median(times)


def kernel_cases(be, cp, n):
    """(label, family, kernel function, bytes moved per call) at n float32 elements."""
    f32 = np.float32
    rng = cp.random.default_rng(0)
    a = rng.standard_normal(n, dtype=f32)
    b = rng.standard_normal(n, dtype=f32) + 3
    pos = cp.abs(a) + 0.5
    gy = rng.standard_normal(n, dtype=f32)
    g0 = gy[:1].reshape(())          # a 0-d gradient (a 'mean'/'sum' loss)
    cond = a > 0
    rows, cols = 1 << 10, n >> 10
    m2 = a.reshape(cols, rows)       # (n / 1024, 1024)
    w2 = a.reshape(rows, cols)       # (1024, n / 1024)
    bias = b[:rows]
    gm = gy.reshape(cols, rows)
    small = gy[:cols]
    target = cp.asarray(np.random.default_rng(0).integers(0, rows, cols))
    y_sm = cp.exp(m2) / cp.exp(m2).sum(1, keepdims=True)
    idx = m2.argmax(1)
    amax = m2.max(1)
    p, st1, st2 = a.copy(), cp.zeros(n, f32), cp.zeros(n, f32)
    B = 4 * n
    H = 1024                         # recurrent steps: batch x hidden = n / 4 (LSTM), n / 3 (GRU)
    gates, c4, gh4 = a.reshape(n // (4 * H), 4 * H), b[:n // 4].reshape(-1, H), gy[:n // 4]
    gh4 = gh4.reshape(-1, H)
    act4 = be.lstm_cell_forward(gates, c4)[2]
    n3 = n // (3 * H) * H
    xg, hg = a[:3 * n3].reshape(-1, 3 * H), b[:3 * n3].reshape(-1, 3 * H)
    h3, gh3 = b[:n3].reshape(-1, H), gy[:n3].reshape(-1, H)
    act3 = be.gru_cell_forward(xg, hg, h3)[1]
    ew = "elementwise"
    return [
        ("relu_backward", ew, lambda: be.relu_backward(pos, gy), 3 * B),
        ("sigmoid_backward", ew, lambda: be.sigmoid_backward(pos, gy), 3 * B),
        ("tanh_backward", ew, lambda: be.tanh_backward(pos, gy), 3 * B),
        ("exp_backward", ew, lambda: be.exp_backward(pos, gy), 3 * B),
        ("log_backward", ew, lambda: be.log_backward(pos, gy), 3 * B),
        ("sqrt_backward", ew, lambda: be.sqrt_backward(pos, gy), 3 * B),
        ("abs_backward", ew, lambda: be.abs_backward(a, gy), 3 * B),
        ("pow_backward (e=2.5)", ew, lambda: be.pow_backward(pos, gy, 2.5), 3 * B),
        ("clamp_backward", ew, lambda: be.clamp_backward(a, gy, -0.5, 0.5), 3 * B),
        ("leaky_relu_backward", ew, lambda: be.leaky_relu_backward(a, gy, 0.01), 3 * B),
        ("gelu_backward", ew, lambda: be.gelu_backward(a, gy, "none"), 3 * B),
        ("gelu_backward (tanh)", ew, lambda: be.gelu_backward(a, gy, "tanh"), 3 * B),
        ("mul_backward", ew, lambda: be.mul_backward(a, b, gy), 5 * B),
        ("div_backward", ew, lambda: be.div_backward(a, b, gy), 5 * B),
        ("maximum_backward", ew, lambda: be.maximum_backward(a, b, gy), 5 * B),
        ("pow_tensor_backward", ew, lambda: be.pow_tensor_backward(pos, a, b, gy), 6 * B),
        ("where_backward", ew, lambda: be.where_backward(cond, gy), 3 * B + n),
        ("mul_backward, (n/1024,1024)*(1024,) strided", "strided",
         lambda: be.mul_backward(m2, bias, gm), 4 * B),
        ("sum_to (n/1024,1024)->(1024,)", "sum_to", lambda: be.sum_to(gm, (rows,)), B),
        ("sum_to (1024,n/1024)->(1024,1)", "sum_to",
         lambda: be.sum_to(w2, (rows, 1)), B),
        ("sum_to (n,)->()", "sum_to", lambda: be.sum_to(gy, ()), B),
        ("sum_backward dim 0", "reduction", lambda: be.sum_backward(
            gy[:rows], (cols, rows), (0,), False), B),
        ("mean_backward dim 1", "reduction", lambda: be.mean_backward(
            small, (cols, rows), (1,), False), B),
        ("extremum_backward dim 1", "reduction", lambda: be.extremum_backward(
            m2, amax, small, (1,), False), 2 * B),
        ("index_backward_along dim 1", "reduction", lambda: be.index_backward_along(
            idx, small, (cols, rows), 1, False), B),
        ("softmax_backward dim 1", "reduction", lambda: be.softmax_backward(y_sm, gm, 1),
         3 * B),
        ("log_softmax_backward dim 1", "reduction", lambda: be.log_softmax_backward(
            y_sm, gm, 1), 3 * B),
        ("mse_loss_backward", "loss", lambda: be.mse_loss_backward(
            a, b, g0, "mean"), 3 * B),
        ("nll_loss_backward (n/1024, 1024)", "loss", lambda: be.nll_loss_backward(
            g0, target, None, None, (cols, rows), "sum", -100), B),
        ("sgd_step_ (momentum)", "optimizer", lambda: be.sgd_step_(
            p, gy, st1, 1e-9, 0.9, 0, False, 0, False, False), 5 * B),
        ("adam_step_", "optimizer", lambda: be.adam_step_(
            p, gy, st1, st2, None, 5, 1e-9, 0.9, 0.999, 1e-8, 0, False, False, False), 7 * B),
        ("lstm_cell_forward (n/4096, 4096)", "rnn", lambda: be.lstm_cell_forward(gates, c4),
         3 * B),
        ("lstm_cell_backward", "rnn", lambda: be.lstm_cell_backward(gh4, gh4, act4, c4),
         13 * B // 4),
        ("gru_cell_forward (n/3072, 3072)", "rnn", lambda: be.gru_cell_forward(xg, hg, h3),
         11 * 4 * n3),
        ("gru_cell_backward", "rnn", lambda: be.gru_cell_backward(gh3, act3, hg, h3),
         13 * 4 * n3),  # h_n alone of hg is read
    ]


def copy_time(cp, n, reps):
    """Milliseconds of a device-to-device cudaMemcpy of n float32 elements."""
    src, dst = cp.ones(n, np.float32), cp.empty(n, np.float32)
    return gpu_ms(cp, lambda: dst.data.copy_from_device_async(src.data, src.nbytes), reps)


def bench_kernels(be, cp, n, reps):
    copy_ms = copy_time(cp, n, reps)
    copy_gbs = 2 * 4 * n / copy_ms / 1e6
    rows = []
    for label, family, fn, nbytes_moved in kernel_cases(be, cp, n):
        ms = gpu_ms(cp, fn, reps)
        gbs = nbytes_moved / ms / 1e6
        goal = {"elementwise": ELEMENTWISE_GOAL, "sum_to": SUM_TO_GOAL}.get(family)
        rows.append((label, family, ms, gbs, gbs / copy_gbs, goal))
        mark = "" if goal is None else ("  ok" if gbs / copy_gbs >= goal else
                                        f"  BELOW GOAL ({goal:.0%})")
        print(f"  {label:<46} {ms:8.3f} ms {gbs:8.1f} GB/s {gbs / copy_gbs:6.1%}{mark}",
              flush=True)
    return copy_ms, copy_gbs, rows


# ---- the MLP step ------------------------------------------------------------------------------

def wall_ms(step, sync, steps):
    for _ in range(5):
        step()
    sync()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def bench_mlp(steps):
    import gradcore.nn  # noqa: F401
    import gradcore.optim  # noqa: F401
    out = {}
    out["gradcore cuda"] = wall_ms(make_mlp_step(gradcore, "cuda"), gradcore.cuda.synchronize, steps)
    out["gradcore cpu"] = wall_ms(make_mlp_step(gradcore, "cpu"), lambda: None, max(5, steps // 4))
    try:
        import torch
        import torch.nn  # noqa: F401
        import torch.optim  # noqa: F401
        if torch.cuda.is_available():
            out["torch cuda"] = wall_ms(make_mlp_step(torch, "cuda"), torch.cuda.synchronize, steps)
        out["torch cpu"] = wall_ms(make_mlp_step(torch, "cpu"), lambda: None, max(5, steps // 4))
    except ImportError:
        pass
    for k, v in out.items():
        print(f"  {k:<16} {v:8.3f} ms/step", flush=True)
    return out


# ---- convolution: implicit GEMM vs im2col vs cuDNN ----------------------------------------------

# (label, x shape, w shape, stride, padding): the CNN step's two layers (gradcore.bench's
# make_cnn_step), a ResNet-50 stage-1 3x3 and a strided 3x3
CONV_SHAPES = [("cnn conv1", (64, 1, 12, 12), (8, 1, 3, 3), 1, 1),
               ("cnn conv2", (64, 8, 6, 6), (16, 8, 3, 3), 1, 1),
               ("resnet 3x3", (32, 64, 56, 56), (64, 64, 3, 3), 1, 1),
               ("resnet 3x3 s2", (32, 128, 28, 28), (256, 128, 3, 3), 2, 1)]


def _cudnn_frontend_fprop(cp, x, w, stride, pad):
    """A callable running cuDNN's conv fprop through nvidia-cudnn-frontend's Python graph API
    (float32 in and out, float32 compute), or the reason it can't (not installed, ...)."""
    try:
        import cudnn
    except ImportError as e:
        return None, f"nvidia-cudnn-frontend not installed ({e})"
    try:
        dt = cudnn.data_type.FLOAT
        handle = cudnn.create_handle()
        g = cudnn.pygraph(io_data_type=dt, intermediate_data_type=dt, compute_data_type=dt,
                          handle=handle)
        X = g.tensor(name="X", dim=list(x.shape), stride=[s // 4 for s in x.strides],
                     data_type=dt)
        W = g.tensor(name="W", dim=list(w.shape), stride=[s // 4 for s in w.strides],
                     data_type=dt)
        Y = g.conv_fprop(image=X, weight=W, padding=[pad, pad], stride=[stride, stride],
                         dilation=[1, 1], compute_data_type=dt)
        Y.set_output(True).set_data_type(dt)
        g.validate()
        g.build_operation_graph()
        g.create_execution_plans([cudnn.heur_mode.A, cudnn.heur_mode.FALLBACK])
        g.check_support()
        g.build_plans()
        out = [(n + 2 * pad - k) // stride + 1 for n, k in zip(x.shape[2:], w.shape[2:])]
        y = cp.empty((x.shape[0], w.shape[0], *out), np.float32)
        ws = cp.empty(max(1, g.get_workspace_size()), np.uint8)
        pack = {X: x.data.ptr, W: w.data.ptr, Y: y.data.ptr}
        return (lambda: g.execute(pack, ws.data.ptr, handle=handle)), None
    except Exception as e:  # an API difference between frontend versions: say which
        return None, f"cudnn frontend graph failed: {type(e).__name__}: {e}"


def bench_conv(be, cp, reps):
    """Milliseconds of each convolution map (forward, input and weight gradients) by the
    implicit-GEMM kernels (kernels/conv.cu), by the im2col path on CuPy (their reference),
    by PyTorch CUDA (cuDNN, TF32 off) and cuDNN's frontend when installed; plus the
    bias_act kernels' bandwidth.  Rows: (label, map, implementation, ms or reason)."""
    from gradcore.backend.kernels import REGISTRY
    from gradcore.ops.conv import _ConvGeom
    rows = []
    try:
        import torch
        torch_ok = torch.cuda.is_available()
        if torch_ok:
            torch.backends.cudnn.allow_tf32 = False
            torch.backends.cudnn.benchmark = True
    except ImportError:
        torch_ok = False
    rng = cp.random.default_rng(0)
    for label, xs, ws, s, p in CONV_SHAPES:
        x = rng.standard_normal(xs, dtype=np.float32)
        w = rng.standard_normal(ws, dtype=np.float32)
        geom = _ConvGeom((s, s), (p,) * 4, (1, 1), 1)
        y = be.conv_forward(x, w, None, geom)
        gy = rng.standard_normal(y.shape, dtype=np.float32)
        maps = {"forward": (("conv_forward", (x, w, None, geom))),
                "input grad": ("conv_input_grad", (gy, w, geom, xs)),
                "weight grad": ("conv_weight_grad", (x, gy, geom, ws))}
        for m, (name, args) in maps.items():
            k = REGISTRY[name]
            rows.append((label, m, "implicit GEMM", gpu_ms(cp, lambda: k(be, *args), reps)))
            rows.append((label, m, "im2col (CuPy)",
                         gpu_ms(cp, lambda: k.reference(cp, *args), reps)))
        if torch_ok:
            tx, tw, tgy = (torch.as_tensor(a, device="cuda") for a in (x, w, gy))
            rows.append((label, "forward", "torch (cuDNN)", gpu_ms(
                cp, lambda: torch.nn.functional.conv2d(tx, tw, None, s, p), reps)))
            rows.append((label, "both grads", "torch (cuDNN)", gpu_ms(
                cp, lambda: torch.ops.aten.convolution_backward(
                    tgy, tx, tw, None, [s, s], [p, p], [1, 1], False, [0, 0], 1,
                    [True, True, False]), reps)))
        run, why = _cudnn_frontend_fprop(cp, x, w, s, p)
        rows.append((label, "forward", "cudnn frontend", why if run is None else
                     gpu_ms(cp, run, reps)))
    n = 1 << 24
    xb = rng.standard_normal((n >> 10, 1024), dtype=np.float32)
    b = rng.standard_normal(1024, dtype=np.float32)
    for act in ("none", "relu", "gelu"):
        ms = gpu_ms(cp, lambda: be.bias_act_forward(xb, b, act), reps)
        rows.append(("bias_act (16M, 1024 cols)", f"forward {act}", "kernel",
                     f"{ms:.3f} ms, {(2 if act == 'none' else 3) * 4 * n / ms / 1e6:.0f} GB/s"))
    y, pre = be.bias_act_forward(xb.copy(), b, "gelu")
    ms = gpu_ms(cp, lambda: be.bias_act_backward(xb, pre, "gelu"), reps)
    rows.append(("bias_act (16M, 1024 cols)", "backward gelu", "kernel",
                 f"{ms:.3f} ms, {3 * 4 * n / ms / 1e6:.0f} GB/s"))
    for r in rows:
        v = r[3] if isinstance(r[3], str) else f"{r[3]:.3f} ms"
        print(f"  {r[0]:<26} {r[1]:<14} {r[2]:<16} {v}", flush=True)
    return rows


def conv_report_lines(rows):
    """bench_conv's rows as the report's section (appended after write_report's)."""
    lines = ["", "## Convolution maps (float32) and bias_act", "",
             "| layer | map | implementation | time |", "|---|---|---|---|"]
    for label, m, impl, v in rows:
        lines.append(f"| {label} | {m} | {impl} | "
                     f"{v if isinstance(v, str) else f'{v:.3f} ms'} |")
    return lines


# ---- the MLP step captured in one CUDA graph (issue 16, engineer C) -----------------------------

CAPTURED_GOAL = 0.6  # gradcore's captured step <= 0.6x PyTorch's CUDA eager step


def _captured_mlp_step(lib, batch=256, widths=(784, 512, 512, 10)):
    """make_mlp_step's model, loss and SGD-momentum step captured once in a CUDA graph
    (warm-up on a side stream, PyTorch's whole-network recipe); returns a step that copies
    the next batch into the static input/target (device to device) and replays the graph."""
    nn = lib.nn
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to("cuda")
    rng = np.random.default_rng(0)
    x = lib.tensor(rng.standard_normal((batch, widths[0])).astype(np.float32), device="cuda")
    y = lib.tensor(rng.integers(0, widths[-1], batch), device="cuda")
    static_x, static_y = x.clone(), y.clone()
    criterion = nn.CrossEntropyLoss()
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    s = lib.cuda.Stream()
    s.wait_stream(lib.cuda.current_stream())
    with lib.cuda.stream(s):
        for _ in range(3):
            optimizer.zero_grad(set_to_none=True)
            criterion(model(static_x), static_y).backward()
            optimizer.step()
    lib.cuda.current_stream().wait_stream(s)
    g = lib.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with lib.cuda.graph(g):
        static_loss = criterion(model(static_x), static_y)
        static_loss.backward()
        optimizer.step()

    def step():
        static_x.copy_(x)
        static_y.copy_(y)
        g.replay()
        return static_loss
    return step


def bench_captured_step(steps):
    """ms per MLP 784-512-512-10 step (batch 256, SGD momentum): eager and captured, gradcore
    and PyTorch (when installed with CUDA).  None without a GPU (nothing measured)."""
    if not gradcore.cuda.is_available():
        return None
    out = {"gradcore cuda eager": wall_ms(make_mlp_step(gradcore, "cuda"),
                                          gradcore.cuda.synchronize, steps)}
    try:
        out["gradcore cuda captured"] = wall_ms(_captured_mlp_step(gradcore),
                                                gradcore.cuda.synchronize, steps)
    except Exception as e:  # report why, keep the other numbers
        out["gradcore cuda captured"] = f"failed: {type(e).__name__}: {e}"
    try:
        import torch
        if torch.cuda.is_available():
            out["torch cuda eager"] = wall_ms(make_mlp_step(torch, "cuda"),
                                              torch.cuda.synchronize, steps)
            out["torch cuda captured"] = wall_ms(_captured_mlp_step(torch),
                                                 torch.cuda.synchronize, steps)
    except ImportError:
        pass
    for k, v in out.items():
        print(f"  {k:<24} " + (f"{v:8.3f} ms/step" if isinstance(v, float) else v), flush=True)
    ours, ref = out.get("gradcore cuda captured"), out.get("torch cuda eager")
    if isinstance(ours, float) and isinstance(ref, float):
        print(f"  captured / torch eager: {ours / ref:.2f}x (goal <= {CAPTURED_GOAL})")
    return out


def captured_step_report(captured):
    """The report's lines for bench_captured_step's numbers."""
    if not captured:
        return []
    lines = ["", "## MLP step captured in one CUDA graph (captured_step)", "",
             "| implementation | ms/step |", "|---|---:|"]
    lines += [f"| {k} | {v:.3f} |" if isinstance(v, float) else f"| {k} | {v} |"
              for k, v in captured.items()]
    ours, ref = captured.get("gradcore cuda captured"), captured.get("torch cuda eager")
    if isinstance(ours, float) and isinstance(ref, float):
        lines += ["", f"Goal (gradcore captured <= {CAPTURED_GOAL}x torch cuda eager): "
                      f"{'met' if ours <= CAPTURED_GOAL * ref else 'NOT met'} "
                      f"({ours / ref:.2f}x)"]
    return lines


# ---- optimizer steps: one launch per parameter vs multi-tensor ----------------------------------

OPTIM_CASES = [("mlp 784-512-512-10", [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)]),
               ("200 x 4096", [(4096,)] * 200)]


def bench_optimizer_step(steps):
    """ms per ``optimizer.step()`` (gradients already there) and kernel launches per step, for
    SGD with momentum and Adam on the MLP's 6 parameters and on 200 small ones: gradcore with
    foreach=False (one launch per parameter) and foreach=None (multi-tensor:
    kernels/multi_tensor.cu), PyTorch's foreach and fused when installed with CUDA.  None
    without a GPU (nothing measured).  Prediction: bench/NOTES.md (multi-tensor optimizer)."""
    if not gradcore.cuda.is_available():
        return None
    from gradcore.backend import get_backend
    be = get_backend("cuda")
    libs = [("gradcore", gradcore, gradcore.cuda.synchronize)]
    try:
        import torch
        if torch.cuda.is_available():
            libs.append(("torch", torch, torch.cuda.synchronize))
    except ImportError:
        pass
    rows = []
    for label, shapes in OPTIM_CASES:
        for opt_name, kwargs in (("SGD", {"lr": 0.01, "momentum": 0.9}), ("Adam", {"lr": 1e-3})):
            for lib_name, lib, sync in libs:
                options = [("foreach=False", {"foreach": False}), ("foreach=None", {})]
                if lib_name == "torch":
                    options.append(("fused=True", {"fused": True}))
                for opt_label, extra in options:
                    rng = np.random.default_rng(0)
                    ps = [lib.tensor(rng.standard_normal(sh).astype(np.float32), device="cuda",
                                     requires_grad=True) for sh in shapes]
                    for p in ps:
                        p.grad = lib.randn(*p.shape, device="cuda")
                    opt = getattr(lib.optim, opt_name)(ps, **kwargs, **extra)
                    launches = None
                    if lib_name == "gradcore":
                        count = [0]
                        real = be._launch

                        def counting(*a, _real=real, **k):
                            count[0] += 1
                            return _real(*a, **k)
                        be._launch = counting
                        opt.step()
                        sync()
                        be._launch = real
                        launches = count[0]
                    ms = wall_ms(opt.step, sync, steps)
                    rows.append((label, opt_name, f"{lib_name} {opt_label}", ms, launches))
                    print(f"  {label:<20} {opt_name:<5} {lib_name + ' ' + opt_label:<24} "
                          f"{ms:8.3f} ms/step" + ("" if launches is None
                                                   else f"  {launches} launches"), flush=True)
    return rows


def optimizer_step_report(rows):
    """The report's lines for bench_optimizer_step's rows."""
    if not rows:
        return []
    lines = ["", "## Optimizer step: per-parameter vs multi-tensor (optimizer_step)", "",
             "| parameters | optimizer | implementation | ms/step | launches |",
             "|---|---|---|---:|---:|"]
    lines += [f"| {a} | {b} | {c} | {ms:.3f} | {'' if n is None else n} |"
              for a, b, c, ms, n in rows]
    return lines


# ---- report ------------------------------------------------------------------------------------

def write_report(path, info, tests, copy, kernels, mlp, n):
    copy_ms, copy_gbs = copy
    lines = [f"# GPU check: {info['card']} ({info['date']})", "",
             f"- device: {info['card']}, {info['sms']} SMs, CUDA runtime {info['runtime']}, "
             f"driver {info['driver']}, CuPy {info['cupy']}, NumPy {np.__version__}, "
             f"Python {sys.version.split()[0]}",
             f"- command: `python bench/gpu_check.py{info['args']}`", ""]
    if tests is not None:
        code, tail, secs = tests
        lines += ["## gpu tests (`pytest -m gpu`)", "",
                  f"{'passed' if code == 0 else 'FAILED'} in {secs:.0f} s:", "", "```", tail,
                  "```", ""]
    lines += [f"## Kernels at {n} float32 elements ({n:.2e})", "",
              f"Device-to-device copy (cudaMemcpy): {copy_ms:.3f} ms, {copy_gbs:.1f} GB/s "
              "(read + write).  GB/s counts the bytes a kernel must read and write once.", "",
              "| kernel | family | ms | GB/s | of copy | goal |", "|---|---|---:|---:|---:|---|"]
    for label, family, ms, gbs, frac, goal in kernels:
        verdict = "" if goal is None else (f">= {goal:.0%}: " + ("met" if frac >= goal
                                                                   else "NOT met"))
        lines.append(f"| {label} | {family} | {ms:.3f} | {gbs:.1f} | {frac:.1%} | {verdict} |")
    lines += ["", "## MLP 784-512-512-10 training step (batch 256, SGD momentum)", "",
              "| implementation | ms/step |", "|---|---:|"]
    lines += [f"| {k} | {v:.3f} |" for k, v in mlp.items()]
    if "torch cuda" in mlp:
        ok = mlp["gradcore cuda"] <= mlp["torch cuda"]
        lines += ["", f"Goal (gradcore cuda no slower than torch cuda): "
                      f"{'met' if ok else 'NOT met'} "
                      f"({mlp['gradcore cuda'] / mlp['torch cuda']:.2f}x)"]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-tests", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "bench", "results"))
    args = ap.parse_args(argv)
    why = gradcore.cuda.why_unavailable("cuda:0")
    if why is not None:  # the check was asked for a GPU that isn't there: a usage error
        print(f"gpu_check: no usable CUDA device here, nothing checked: {why}", file=sys.stderr)
        return 2
    import cupy as cp
    from gradcore.backend import get_backend
    be = get_backend("cuda")
    props = cp.cuda.runtime.getDeviceProperties(0)
    card = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
    info = {"card": card, "date": datetime.date.today().isoformat(),
            "sms": props["multiProcessorCount"], "cupy": cp.__version__,
            "runtime": cp.cuda.runtime.runtimeGetVersion(),
            "driver": cp.cuda.runtime.driverGetVersion(),
            "args": "".join(f" {a}" for a in (argv if argv is not None else sys.argv[1:]))}
    print(f"gpu_check on {card}", flush=True)
    tests = None if args.skip_tests else run_gpu_tests()
    n = 1 << (22 if args.quick else 26)
    print(f"\nkernels at {n} float32 elements:", flush=True)
    copy_ms, copy_gbs, kernels = bench_kernels(be, cp, n, reps=5 if args.quick else 10)
    print(f"  {'device-to-device copy':<46} {copy_ms:8.3f} ms {copy_gbs:8.1f} GB/s", flush=True)
    cp.get_default_memory_pool().free_all_blocks()
    print("\nMLP 784-512-512-10 step:", flush=True)
    mlp = bench_mlp(steps=10 if args.quick else 30)
    print("\nMLP step captured in a CUDA graph:", flush=True)
    captured = bench_captured_step(steps=10 if args.quick else 30)
    print("\noptimizer steps (per-parameter vs multi-tensor):", flush=True)
    optim_rows = bench_optimizer_step(steps=10 if args.quick else 30)
    slug = re.sub(r"[^a-z0-9]+", "-", card.lower()).strip("-")
    path = os.path.join(args.out, f"gpu-{slug}-{info['date']}.md")
    print("\nconvolutions (implicit GEMM / im2col / cuDNN) and bias_act:", flush=True)
    conv = bench_conv(be, cp, reps=5 if args.quick else 10)
    write_report(path, info, tests, (copy_ms, copy_gbs), kernels, mlp, n)
    with open(path, "a") as f:  # (the captured step's section)
        f.write("\n".join(captured_step_report(captured) + [""]))
    with open(path, "a") as f:
        f.write("\n".join(optimizer_step_report(optim_rows) + [""]))
    with open(path, "a") as f:
        f.write("\n".join(conv_report_lines(conv)) + "\n")
    print(f"\nwrote {os.path.relpath(path, ROOT)}")
    return 0 if tests is None or tests[0] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
