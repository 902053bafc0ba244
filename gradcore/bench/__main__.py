"""gradcore-bench: how much does the GPU buy, and how does gradcore compare with PyTorch?

    python -m gradcore.bench [--device all|cpu|cuda] [--quick] [--repeat N] [--out DIR]
    python -m gradcore.bench --ops [--size tiny|medium|both] [--filter REGEX] [--layers]
                             [--mlp-grid] [--threads N] [--registry PATH] [--out DIR]

Times every workload (gradcore/bench/workloads.py) on every backend found (gradcore on the
CPU, gradcore on cuda:0, PyTorch on the CPU and CUDA), measures the MLP step's peak memory
and a long loop's memory growth, then prints a table and writes DIR/bench.json,
DIR/bench.md and DIR/bench.png.

``--device all`` (the default) on a machine without a usable GPU notes that cuda was skipped
and times the CPU; ``--device cuda`` there exits 2 with one line on stderr saying why (no
CuPy, no driver, no device) and what to install.

The per-op modes (issue 15's measuring tool; gradcore/bench/ops.py, layers.py) compare
gradcore with PyTorch on the CPU, op by op, forward + backward: ``--ops`` walks the OpInfo
registry (tests/op_db.py of the checkout, or ``--registry PATH``) at its tiny samples and/or a
medium size scaled from them, and times every nn layer at a tiny size (also ``--layers``
alone); ``--mlp-grid`` times the MLP step over batch x width.  They print ratio tables, worst
first, with the goal of each row, and write DIR/ops.md, DIR/ops.json and DIR/ops.png.  They
need PyTorch (and, for ``--ops``, the registry): without them they exit 2 with one line on
stderr.
"""
import argparse
import datetime
import os
import platform
import re
import sys
import time

from . import report
from .runner import DeviceUnavailable, find_backends, median_times
from .workloads import sweep_flops, workload_plan


def _progress(total):
    try:
        from tqdm import tqdm
    except Exception:
        print("note: tqdm is not installed: no progress bar (pip install tqdm)")
        return None
    return tqdm(total=total, desc="gradcore bench", unit="run", file=sys.stderr,
                dynamic_ncols=True)


def _machine(backends):
    import numpy as np
    m = {"python": platform.python_version(), "numpy": np.__version__,
         "loadavg_1min_at_start": _loadavg(),
         "cpu": _cpu_name(), "cores": os.cpu_count(), "gpu": None}
    for b in backends:
        if b.lib_name == "torch":
            m["torch"] = b.lib.__version__
        if b.lib_name == "gradcore" and b.device_type == "cuda":
            import cupy
            m["cupy"] = cupy.__version__
            m["gpu"] = b.lib.cuda.get_device_name(0)
    return m


def _set_threads(n, torch, note):
    """Pin both libraries to ``n`` CPU threads (None: leave them): torch.set_num_threads, and
    every native thread pool of the process (NumPy's BLAS, torch's OpenMP) through
    threadpoolctl.  Returns what each actually uses: ``torch`` (get_num_threads) and one
    ``<library> <pool>`` entry per pool threadpoolctl finds (e.g. ``numpy openblas``)."""
    used = {}
    if n is not None and torch is not None:
        torch.set_num_threads(n)
    if torch is not None:
        used["torch"] = torch.get_num_threads()
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except Exception:
        note("note: threadpoolctl is not installed: NumPy's BLAS keeps its own thread count "
             "and it is not reported (pip install threadpoolctl, or pip install -e '.[bench]')")
        return used
    if n is not None:
        _set_threads.limits = threadpool_limits(n)  # held for the life of the process
    for p in threadpool_info():
        path = p.get("filepath") or ""
        owner = next((lib for lib in ("numpy", "scipy", "torch", "cupy") if lib in path),
                     "other")
        used[f"{owner} {p.get('internal_api')}"] = p.get("num_threads")
    return used


def _loadavg():
    try:
        return round(os.getloadavg()[0], 2)
    except (OSError, AttributeError):
        return None


def _cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def parse(argv):
    p = argparse.ArgumentParser(prog="gradcore-bench", description=__doc__.split("\n")[0])
    p.add_argument("--device", choices=["all", "cpu", "cuda"], default="all",
                   help="which devices to run (gradcore-cpu always runs: ratios use it)")
    p.add_argument("--quick", action="store_true", help="small sizes, short timings")
    p.add_argument("--repeat", type=int, default=None, help="timed batches per run "
                   "(default 7, --quick 3); the median is reported")
    p.add_argument("--out", default=None, help="output folder (default bench/out/<date>)")
    p.add_argument("--only", default=None, metavar="REGEX",
                   help="run only the workloads whose name matches REGEX (re.search)")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads for both libraries (torch.set_num_threads; NumPy's BLAS "
                   "through threadpoolctl when installed); default: each library's own")
    p.add_argument("--no-memory", action="store_true", help="skip the memory measurements")
    g = p.add_argument_group("per-op modes (gradcore vs PyTorch on the CPU, fwd+bwd)")
    g.add_argument("--ops", action="store_true", help="every op of the OpInfo registry, and "
                   "every nn layer (the --layers table)")
    g.add_argument("--layers", action="store_true", help="every nn layer at a tiny size")
    g.add_argument("--mlp-grid", action="store_true", help="the MLP 784-W-W-10 step over "
                   "batch (1, 16, 256, 2048) x width (64, 512, 2048)")
    g.add_argument("--size", choices=["tiny", "medium", "both"], default="tiny",
                   help="--ops sizes: the registry's sample, one scaled to 64K-256K elements, "
                   "or both (default tiny)")
    g.add_argument("--filter", default=None, metavar="REGEX",
                   help="only the ops and layers whose name matches REGEX (re.search)")
    g.add_argument("--registry", default=None, metavar="PATH",
                   help="tests/op_db.py (or its folder); default: the checkout's tests/")
    return p.parse_args(argv)


class _Ticks:
    """Progress of the per-op modes: a tqdm bar when tqdm is there, else nothing."""

    def __init__(self, desc):
        self.desc, self.bar = desc, None

    def total(self, n):
        try:
            from tqdm import tqdm
        except Exception:
            return
        self.bar = tqdm(total=n, desc=self.desc, unit="row", file=sys.stderr,
                        dynamic_ncols=True, leave=False)

    def __call__(self, label):
        if self.bar is not None:
            self.bar.set_postfix_str(label, refresh=False)
            self.bar.update()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def run_ops(args, say=print):
    """The per-op modes: the document ops_report writes (rows under "ops", "layers",
    "mlp_grid"). Raises ops.Missing when PyTorch or (for --ops) the registry is missing."""
    from . import ops as op_bench
    notes = []

    def note(line):
        notes.append(line.removeprefix("note: "))
        say(line)
    try:
        import torch
    except Exception as e:
        raise op_bench.Missing("the per-op modes compare with PyTorch, which is not "
                               f"available ({type(e).__name__}: {e}): pip install torch")
    reg = op_bench.load_registry(args.registry) if args.ops else None
    import gradcore
    import gradcore.nn  # noqa: F401
    import gradcore.optim  # noqa: F401
    machine = {"python": platform.python_version(), "numpy": __import__("numpy").__version__,
               "torch": torch.__version__, "loadavg_1min_at_start": _loadavg(),
               "cpu": _cpu_name(), "cores": os.cpu_count()}
    machine["threads"] = _set_threads(args.threads, torch, note)
    one_thread = args.threads == 1
    clock = time.process_time if one_thread else time.perf_counter
    repeat = args.repeat or 5
    target = 0.002 if args.repeat == 1 else 0.01
    clock_says = ("time.process_time (CPU time of this process: steadier on a shared machine)"
                  if one_thread else "time.perf_counter (wall clock: several threads)")
    method = ("forward + backward (ones gradients made once, leaf gradients reset each call), "
              f"float32; both libraries in one process, alternating batches of ~{target * 1e3:g}"
              f" ms, median of {repeat}; clock {clock_says}; ratio = gradcore time / PyTorch "
              "time, spread = min-max of the per-round ratios; goals: elementwise and "
              "reduction ops and the activations <= 0.5x at the tiny size, everything else "
              "(and every op at medium size) <= 1.0x")
    sizes = ("tiny", "medium") if args.size == "both" else (args.size,)
    doc = {"schema": 1, "kind": "ops",
           "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "command": "python -m gradcore.bench " + " ".join(args.argv),
           "options": {"ops": args.ops, "layers": args.layers or args.ops,
                       "mlp_grid": args.mlp_grid, "sizes": list(sizes), "filter": args.filter,
                       "threads": args.threads, "repeat": repeat, "target_s_per_batch": target,
                       "clock": clock.__name__, "method": method,
                       "registry": None if reg is None else os.path.dirname(reg.__file__)},
           "machine": machine, "notes": notes, "durations_s": {}}
    if args.ops:
        t0, tick = time.perf_counter(), _Ticks("ops")
        doc["ops"] = op_bench.bench_ops(reg, gradcore, torch,
                                        op_bench.select(reg.OP_DB, args.filter), sizes, repeat,
                                        target, clock, say=note, tick=tick)
        tick.close()
        doc["durations_s"]["ops"] = round(time.perf_counter() - t0, 1)
    if args.layers or args.ops:
        from . import layers
        t0, tick = time.perf_counter(), _Ticks("layers")
        doc["layers"] = layers.bench_layers(gradcore, torch, args.filter, repeat, target, clock,
                                            say=note, tick=tick)
        tick.close()
        doc["durations_s"]["layers"] = round(time.perf_counter() - t0, 1)
    if args.mlp_grid:
        from . import layers
        t0, tick = time.perf_counter(), _Ticks("mlp grid")
        doc["mlp_grid"] = layers.bench_mlp_grid(gradcore, torch, repeat=repeat, clock=clock,
                                                target_s=2 * target, tick=tick)
        tick.close()
        doc["durations_s"]["mlp_grid"] = round(time.perf_counter() - t0, 1)
    machine["loadavg_1min_at_end"] = _loadavg()
    from . import ops_report
    doc["summary"] = {k: ops_report.summary(doc[k]) for k in ("ops", "layers", "mlp_grid")
                      if k in doc}
    return doc


def main_ops(args):
    """``--ops`` / ``--layers`` / ``--mlp-grid``: run, print, write; the exit status."""
    from . import ops_report
    from .ops import Missing
    out = args.out or os.path.join("bench", "out", datetime.date.today().isoformat() + "-ops")
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    try:
        doc = run_ops(args)
    except Missing as e:
        print(f"gradcore-bench: {e}", file=sys.stderr)
        return 2
    finally:  # called in-process (the tests), leave the thread counts as they were
        limits = getattr(_set_threads, "limits", None)
        if limits is not None:
            limits.restore_original_limits()
            _set_threads.limits = None
        if before is not None and sys.modules.get("torch") is torch:
            torch.set_num_threads(before)
    print()
    print(ops_report.header(doc))
    print(ops_report.text(doc))
    print("took " + ", ".join(f"{k} {v:g} s" for k, v in doc["durations_s"].items()))
    paths = ops_report.write_all(doc, out)
    print("wrote " + ", ".join(paths.values()))
    return 0


def run(args, say=print):
    notes = []

    def note(line):
        notes.append(line.removeprefix("note: "))
        say(line)
    backends = find_backends(args.device, say=note)
    machine = _machine(backends)
    torch = next((b.lib for b in backends if b.lib_name == "torch"), None)
    machine["threads"] = _set_threads(args.threads, torch, note)
    repeat = args.repeat or (3 if args.quick else 7)
    target = 0.01 if args.quick else 0.1
    jobs = [(b, w) for b in backends for w in workload_plan(b.device_type, args.quick)
            if not args.only or re.search(args.only, w[0])]
    by_workload = {}  # each workload with the backends that run it, in plan order
    for b, w in jobs:
        by_workload.setdefault((w[0], w[2]), []).append((b, w))
    bar = _progress(len(jobs))
    results = []
    for runs in by_workload.values():
        ready = []
        for b, (name, group, size, make) in runs:
            try:
                fn = make(b.lib, b.device) if size is None else make(b.lib, b.device, size)
                ready.append((b, name, group, size, fn))
            except Exception as e:  # one failing workload must not lose the others
                note(f"note: {b.name} {name} failed: {type(e).__name__}: {e}")
        if bar is not None:
            bar.set_postfix_str(runs[0][1][0], refresh=False)
        timed = median_times([r[4] for r in ready], [r[0].sync for r in ready], repeat=repeat,
                             warmup=1 if args.quick else 3, target_s=target,
                             warmup_s=0.02 if args.quick else 0.5)
        for (b, name, group, size, _), out in zip(ready, timed):
            if isinstance(out, Exception):
                note(f"note: {b.name} {name} failed: {type(out).__name__}: {out}")
                continue
            med, times, number = out
            results.append({"workload": name, "group": group, "size": size,
                            "backend": b.name, "lib": b.lib_name, "device": b.device,
                            "median_s": med, "times_s": times, "calls_per_repeat": number})
        if bar is not None:
            bar.update(len(runs))
    if bar is not None:
        bar.close()
    report.add_ratios(results)
    doc = {"schema": 1, "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
           "command": "python -m gradcore.bench " + " ".join(args.argv),
           "options": {"device": args.device, "quick": args.quick, "repeat": repeat,
                       "threads": args.threads,
                       "only": args.only, "warmup_s": 0.02 if args.quick else 0.5,
                       "target_s_per_repeat": target},
           "machine": machine,
           "backends": [{"name": b.name, "lib": b.lib_name, "device": b.device}
                        for b in backends],
           "results": results, "crossover": report.crossover(results),
           "scaling": report.scaling([r for r in results if r["device"] == "cpu"], sweep_flops),
           "notes": notes}
    if not args.no_memory:
        from . import memory
        say("measuring memory (MLP step peak, long training loop)...")
        doc["memory"] = memory.measure(backends, args.quick, say=note)
    machine["loadavg_1min_at_end"] = _loadavg()
    return doc


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(argv)
    args.argv = argv
    if args.ops or args.layers or args.mlp_grid:
        return main_ops(args)
    out = args.out or os.path.join("bench", "out", datetime.date.today().isoformat())
    try:
        doc = run(args)
    except DeviceUnavailable as e:  # asked for a device that isn't there: a usage error
        print(f"gradcore-bench: {e}", file=sys.stderr)
        return 2
    print()
    print(report.table(doc["results"]))
    if doc.get("memory"):
        print()
        print(report.memory_table(doc["memory"]))
    cross = doc["crossover"]
    if cross:
        for lib, c in cross.items():
            print(f"{lib}: GPU faster than CPU from sweep width {c['width']}"
                  if c["width"] else f"{lib}: GPU never faster than CPU on the sweep")
    else:
        print("no CPU/GPU crossover: no GPU backend ran")
    paths = report.write_all(doc, out)
    print("wrote " + ", ".join(paths.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
