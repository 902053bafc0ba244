"""The outputs: a markdown table, a JSON file, a PNG (matplotlib, Agg backend, imported only
here and only when a plot is asked for)."""
import json
import math
import os


def fmt_time(s):
    if s is None or not math.isfinite(s):
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def fmt_bytes(n):
    if n is None:
        return "-"
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(n) >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"


def add_ratios(results):
    """ratio_cpu: time / gradcore-cpu's time on the same workload; ratio_torch: time /
    torch's on the same device (None where not measured)."""
    by = {(r["workload"], r["backend"]): r["median_s"] for r in results}
    for r in results:
        base = by.get((r["workload"], "gradcore-cpu"))
        torch = by.get((r["workload"], "torch-" + r["device"].split(":")[0]))
        r["ratio_cpu"] = r["median_s"] / base if base else None
        r["ratio_torch"] = r["median_s"] / torch if torch else None
    return results


def crossover(results):
    """Per library: the first sweep size at which its cuda time beats its cpu time."""
    out = {}
    for lib in ("gradcore", "torch"):
        cpu = {r["size"]: r["median_s"] for r in results
               if r["group"] == "sweep" and r["backend"] == f"{lib}-cpu"}
        gpu = {r["size"]: r["median_s"] for r in results
               if r["group"] == "sweep" and r["backend"] == f"{lib}-cuda"}
        common = sorted(set(cpu) & set(gpu))
        if common:
            win = [w for w in common if gpu[w] < cpu[w]]
            out[lib] = {"width": win[0] if win else None, "sizes": common}
    return out


def scaling(results, flops):
    """CPU time growth over the sweep: log-log slope of time against work between successive
    sizes, and achieved GFLOP/s at each size (work = ``flops(size)``)."""
    out = {}
    for backend in sorted({r["backend"] for r in results if r["group"] == "sweep"}):
        pts = sorted((r["size"], r["median_s"]) for r in results
                     if r["group"] == "sweep" and r["backend"] == backend)
        slopes = [math.log(t2 / t1) / math.log(flops(w2) / flops(w1))
                  for (w1, t1), (w2, t2) in zip(pts, pts[1:])]
        out[backend] = {"widths": [w for w, _ in pts],
                        "gflops": [flops(w) / t / 1e9 for w, t in pts],
                        "loglog_slopes": slopes}
    return out


def table(results):
    lines = ["| workload | backend | median time | vs gradcore-cpu | vs torch (same device) |",
             "|---|---|---:|---:|---:|"]
    for r in results:
        rc = "-" if r["ratio_cpu"] is None else f"{r['ratio_cpu']:.3g}x"
        rt = "-" if r["ratio_torch"] is None else f"{r['ratio_torch']:.3g}x"
        lines.append(f"| {r['workload']} | {r['backend']} | {fmt_time(r['median_s'])} | "
                     f"{rc} | {rt} |")
    return "\n".join(lines)


_MEASURE_NAMES = {"total_peak_bytes": "absolute step peak",
                  "step_peak_bytes": "step peak above its start"}
_MEASURE_NOTES = {"total_peak_bytes": "everything live, counted from before the model was built",
                  "step_peak_bytes": "above the state just before the step"}


def memory_table(mem):
    judged = mem.get("judged_on", "step_peak_bytes")
    mark = {k: " (goal)" if k == judged else "" for k in _MEASURE_NAMES}
    lines = ["| backend | MLP absolute step peak" + mark["total_peak_bytes"] +
             " | MLP step peak above its start" + mark["step_peak_bytes"] +
             " | state before the step | method | training-loop growth | flat |",
             "|---|---:|---:|---:|---|---:|---|"]
    loops = {f["backend"]: f for f in mem.get("flat_loop", [])}
    for p in mem.get("mlp_step_peak", []):
        f = loops.get(p["backend"], {})
        lines.append(
            f"| {p['backend']} | {fmt_bytes(p.get('total_peak_bytes'))} | "
            f"{fmt_bytes(p.get('step_peak_bytes'))} | {fmt_bytes(p.get('steady_bytes'))} | "
            f"{p.get('method', p.get('error', '-'))} | "
            f"{fmt_bytes(f.get('growth_bytes'))} ({f.get('steps', '-')} steps, "
            f"{f.get('method', '-')}) | {f.get('flat', '-')} |")
    for key, r in mem.get("ratio_to_torch", {}).items():
        lines.append(f"\nGoal: gradcore's MLP step peak <= {r.get('goal', 1.2)} x PyTorch's on "
                     f"{key}, judged on the {_MEASURE_NAMES.get(judged, judged)} "
                     f"({_MEASURE_NOTES.get(judged, '')}); both ratios:")
        # by_measure: this module's JSON; a bare ratio: a JSON written before both were kept
        measures = r.get("by_measure") or {judged: r}
        for m in sorted(measures, key=lambda m: m != judged):
            x = measures[m]
            lines.append(f"- gradcore / torch MLP {_MEASURE_NAMES.get(m, m)} on {key}: "
                         f"{x['ratio']:.2f}x (<= {r.get('goal', 1.2)}: "
                         f"{'met' if x['meets_goal'] else 'not met'})"
                         f"{' <- the goal' if m == judged else ''}")
    return "\n".join(lines)


def write_json(doc, path):
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, default=str)
    return path


def plot(doc, path):
    """Four panels: per-workload bars, backward kernels vs size, the sweep with the CPU/GPU
    crossover, and gradcore / PyTorch ratios per workload with their spread.  Time axes are
    log scales ticked in real units (10 us, 1 ms).  Returns the path, or None (with the
    reason) when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except Exception as e:
        return None, f"matplotlib is not available ({type(e).__name__}): no PNG " \
                     "(pip install matplotlib, or pip install -e '.[bench]')"
    res = doc["results"]
    backends = [b["name"] for b in doc["backends"]]
    colors = {b: c for b, c in zip(backends, ["tab:blue", "tab:orange", "tab:green", "tab:red"])}
    fig, axes = plt.subplots(2, 2, figsize=(17, 10.5))
    axes = axes.ravel()

    ax = axes[0]
    names = [w for w in dict.fromkeys(r["workload"] for r in res)
             if next(r for r in res if r["workload"] == w)["group"] in ("overhead", "training")]
    width = 0.8 / max(1, len(backends))
    for i, b in enumerate(backends):
        t = {r["workload"]: r["median_s"] for r in res if r["backend"] == b}
        xs = [j + i * width for j, w in enumerate(names) if w in t]
        ax.bar(xs, [t[w] for w in names if w in t], width, label=b, color=colors[b])
    ax.set_xticks([j + width * (len(backends) - 1) / 2 for j in range(len(names))])
    ax.set_xticklabels([n.replace("_step", "").replace("_", "\n", 1) for n in names], fontsize=8)
    log_time_axis(ax)
    ax.set_ylabel("time per iteration (median, log)")
    ax.set_title("Per-workload time")
    _legend(ax, 8)

    ax = axes[1]
    for b in backends:
        for group, style in (("kernel:relu_backward", "-o"), ("kernel:sum_to", "--s")):
            pts = sorted((r["size"], r["median_s"]) for r in res
                         if r["group"] == group and r["backend"] == b)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], style, color=colors[b],
                        label=f"{b} {group.split(':')[1]}", ms=4)
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: _fmt_count(v)))
    log_time_axis(ax)
    ax.set_xlabel("float32 elements")
    ax.set_ylabel("time per call (log)")
    ax.set_title("Backward kernels alone")
    _legend(ax, 7)

    ax = axes[2]
    for b in backends:
        pts = sorted((r["size"], r["median_s"]) for r in res
                     if r["group"] == "sweep" and r["backend"] == b)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "-o", color=colors[b],
                    label=b, ms=4)
    marked = False
    for lib, c in doc.get("crossover", {}).items():
        if c.get("width"):
            ax.axvline(c["width"], color="k", ls=":", lw=1)
            ax.annotate(f"{lib}: GPU wins from w={c['width']}", (c["width"], 0.02),
                        xycoords=("data", "axes fraction"), fontsize=8, rotation=90)
            marked = True
    if not marked:
        ax.text(0.03, 0.95, "no CPU/GPU crossover measured" +
                ("" if any(b.endswith("cuda") for b in backends) else " (no GPU in this run)"),
                transform=ax.transAxes, fontsize=8, va="top")
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    log_time_axis(ax)
    ax.set_xlabel("MLP hidden width w (784-w-w-10, batch 256)")
    ax.set_ylabel("time per training step (log)")
    ax.set_title("Size sweep")
    _legend(ax, 8)

    _ratio_panel(axes[3], res, colors)

    m = doc.get("machine", {})
    threads = doc.get("options", {}).get("threads")
    fig.suptitle(f"gradcore bench  {m.get('cpu', '')} ({m.get('cores')} cores)  "
                 f"{m.get('gpu') or 'no GPU'}  "
                 f"{f'{threads} thread(s) per library' if threads else 'default threads'}  "
                 f"{doc.get('created', '')[:16]}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path, None


def _fmt_count(v):
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if v >= scale:
            return f"{v / scale:g}{unit}"
    return f"{v:g}"


def log_time_axis(ax, axis="y"):
    """A log axis of seconds ticked in real units (``10 us``, ``1 ms``), minor ticks unlabelled."""
    import matplotlib.ticker
    a = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    a.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1, 2, 5), numticks=12))
    a.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: fmt_time(v)))
    a.set_minor_formatter(matplotlib.ticker.NullFormatter())


def log_ratio_axis(ax, axis="y"):
    """A log axis of ratios ticked 0.1x 0.2x 0.5x 1x 2x 5x ..., minor ticks unlabelled."""
    import matplotlib.ticker
    a = ax.yaxis if axis == "y" else ax.xaxis
    (ax.set_yscale if axis == "y" else ax.set_xscale)("log")
    a.set_major_locator(matplotlib.ticker.LogLocator(base=10, subs=(1, 2, 5), numticks=12))
    a.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
    a.set_minor_formatter(matplotlib.ticker.NullFormatter())


def paired_ratios(a, b):
    """Per-round ratios of two backends' batch times (median_times interleaves the rounds, so
    round i of one and round i of the other ran side by side)."""
    return [x / y for x, y in zip(a, b) if y > 0]


def _ratio_panel(ax, res, colors):
    """gradcore / PyTorch (same device) per workload: the median ratio, min-max of the
    per-round ratios as the error bar, a line at 1.0."""
    by = {(r["workload"], r["backend"]): r for r in res}
    rows = []
    for r in res:
        if r["lib"] != "gradcore":
            continue
        t = by.get((r["workload"], "torch-" + r["device"].split(":")[0]))
        if t is None:
            continue
        rounds = paired_ratios(r["times_s"], t["times_s"]) or [r["median_s"] / t["median_s"]]
        rows.append((r["workload"], r["backend"], r["median_s"] / t["median_s"],
                     min(rounds), max(rounds)))
    if not rows:
        ax.text(0.03, 0.95, "no PyTorch backend in this run: no ratios", transform=ax.transAxes,
                fontsize=8, va="top")
        ax.set_axis_off()
        return
    ys = range(len(rows))
    ax.barh(ys, [r[2] for r in rows], color=[colors.get(r[1], "tab:blue") for r in rows],
            xerr=[[r[2] - r[3] for r in rows], [r[4] - r[2] for r in rows]],
            error_kw={"elinewidth": 0.8, "ecolor": "k"})
    ax.axvline(1.0, color="k", lw=1)
    ax.set_yticks(list(ys))
    ax.set_yticklabels([f"{r[0]} ({r[1].split('-')[1]})" for r in rows], fontsize=7)
    ax.invert_yaxis()
    log_ratio_axis(ax, "x")
    ax.set_xlabel("gradcore / PyTorch time (log; bar: min-max over the repeats)")
    ax.set_title("Ratio to PyTorch per workload (< 1: gradcore faster)")


def _legend(ax, size):
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=size)


def write_all(doc, out_dir, say=print):
    os.makedirs(out_dir, exist_ok=True)
    md = os.path.join(out_dir, "bench.md")
    with open(md, "w") as f:
        f.write(f"# gradcore bench ({doc['created'][:16]})\n\n`{doc['command']}`\n\n")
        f.write("Machine: " + ", ".join(f"{k} {v}" for k, v in doc["machine"].items()) + "\n\n")
        for note in doc["notes"]:
            f.write(f"- {note}\n")
        f.write("\n" + table(doc["results"]) + "\n")
        if doc.get("memory"):
            f.write("\n## Memory\n\n" + memory_table(doc["memory"]) + "\n")
    paths = {"json": write_json(doc, os.path.join(out_dir, "bench.json")), "table": md}
    png, why = plot(doc, os.path.join(out_dir, "bench.png"))
    if png:
        paths["png"] = png
    else:
        say("note: " + why)
    return paths
