"""The outputs of the per-op modes (``--ops``, ``--layers``, ``--mlp-grid``): ratio tables
sorted worst first with the goal per row, the summary of goals met, DIR/ops.md, DIR/ops.json
and DIR/ops.png (matplotlib, imported only when the plot is made)."""
import os

from .report import fmt_time, log_ratio_axis, log_time_axis, write_json

TABLE_TITLES = {"ops": "Ops (OpInfo registry), forward + backward",
                "layers": "nn layers at a tiny size, forward + backward",
                "mlp_grid": "MLP 784-W-W-10 SGD step (CrossEntropyLoss), batch x width"}


def _ratio(r):
    return "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"


def _spread(r):
    s = r.get("spread")
    return "-" if not s else f"{s[0]:.2f}-{s[1]:.2f}"


def _met(r):
    if r.get("error"):
        return "error"
    return "yes" if r["meets_goal"] else "NO"


def worst_first(rows):
    """Timed rows by ratio, the largest first; failed rows (no ratio) after them."""
    return sorted(rows, key=lambda r: (r["ratio"] is None, -(r["ratio"] or 0), r["name"]))


def table(rows, limit=None):
    """The markdown ratio table, worst first: name, class, size, sample, elements, both
    times, ratio, its spread over the repeats (min-max of the per-round ratios), goal, met."""
    lines = ["| op | class | size | sample | elements | gradcore | torch | ratio | spread "
             "| goal | met |", "|---|---|---|---|---:|---:|---:|---:|---|---:|---|"]
    for r in worst_first(rows)[:limit]:
        sample = str(r["sample"]).replace("|", "/")
        if len(sample) > 40:
            sample = sample[:37] + "..."
        lines.append(f"| {r['name']} | {r['class']} | {r['size']} | {sample} | {r['elements']} "
                     f"| {fmt_time(r['gradcore_s'])} | {fmt_time(r['torch_s'])} | {_ratio(r)} "
                     f"| {_spread(r)} | <= {r['goal']:g}x | {_met(r)} |")
    return "\n".join(lines)


def errors(rows):
    """One line per failed row: name, size, the error."""
    return [f"{r['name']} ({r['size']}): {r['error']}" for r in rows if r.get("error")]


def summary(rows):
    """{(class, size): {"rows", "timed", "met", "goal", "median_ratio"}} and one line each."""
    out = {}
    for r in rows:
        k = f"{r['class']} {r['size']}"
        s = out.setdefault(k, {"rows": 0, "timed": 0, "met": 0, "goal": r["goal"],
                               "ratios": []})
        s["rows"] += 1
        if r["ratio"] is not None:
            s["timed"] += 1
            s["met"] += bool(r["meets_goal"])
            s["ratios"].append(r["ratio"])
    for s in out.values():
        rs = sorted(s.pop("ratios"))
        s["median_ratio"] = rs[len(rs) // 2] if rs else None
    return out


def summary_lines(rows):
    lines = []
    for k, s in summary(rows).items():
        med = "-" if s["median_ratio"] is None else f"{s['median_ratio']:.2f}x"
        failed = s["rows"] - s["timed"]
        lines.append(f"- {k}: {s['met']}/{s['timed']} meet <= {s['goal']:g}x (median ratio "
                     f"{med}){f', {failed} failed' if failed else ''}")
    total = [r for r in rows if r["ratio"] is not None]
    lines.append(f"- all: {sum(bool(r['meets_goal']) for r in total)}/{len(total)} meet "
                 "their goal")
    return lines


def grid_table(rows):
    """The MLP grid as a batch x width matrix of ratios (spread in brackets)."""
    widths = sorted({r["width"] for r in rows})
    batches = sorted({r["batch"] for r in rows})
    cell = {(r["batch"], r["width"]): r for r in rows}
    lines = ["| batch \\ width | " + " | ".join(str(w) for w in widths) + " |",
             "|---|" + "---:|" * len(widths)]
    for b in batches:
        parts = []
        for w in widths:
            r = cell.get((b, w))
            if r is None or r["ratio"] is None:
                parts.append("error" if r is not None else "-")
            else:
                parts.append(f"{r['ratio']:.2f}x ({_spread(r)}, {fmt_time(r['gradcore_s'])} / "
                             f"{fmt_time(r['torch_s'])})")
        lines.append(f"| {b} | " + " | ".join(parts) + " |")
    return "\n".join(lines)


def text(doc, limit=None):
    """Everything the command prints and ops.md holds below its header."""
    out = []
    for key in ("ops", "layers", "mlp_grid"):
        rows = doc.get(key)
        if rows is None:
            continue
        out.append(f"## {TABLE_TITLES[key]}\n")
        if not rows:
            out.append("(nothing matched the filter)\n")
            continue
        if key == "mlp_grid":
            out.append("gradcore / PyTorch time per step (spread over the repeats; "
                       "gradcore / torch time); goal <= 1.0x everywhere\n")
            out.append(grid_table(rows))
            out.append("")
        else:
            if key == "ops":
                out.append("tiny: the op's first registry sample; medium: a sample tiled up to "
                           "64K-256K elements (gradcore/bench/ops.py); elements: of the "
                           "largest tensor, input or output\n")
            out.append(table(rows, limit))
            out.append("")
        out.append("Goals met:\n")
        out.extend(summary_lines(rows))
        errs = errors(rows)
        if errs:
            out.append("\nFailed (no ratio):\n")
            out.extend(f"- {e}" for e in errs)
        out.append("")
    return "\n".join(out)


def header(doc):
    m = doc["machine"]
    t = m.get("threads", {})
    used = ", ".join(f"{k} {v}" for k, v in t.items()) or "each library's default"
    lines = [f"# gradcore per-op benchmark ({doc['created'][:16]} UTC)", "",
             f"`{doc['command']}`", "",
             f"Machine: {m.get('cpu')}, {m.get('cores')} cores; python {m.get('python')}, "
             f"numpy {m.get('numpy')}, torch {m.get('torch')}; load average "
             f"{m.get('loadavg_1min_at_start')} at the start, {m.get('loadavg_1min_at_end')} at "
             "the end.", "",
             f"Threads used: {used}.", "",
             f"Timing: {doc['options']['method']}", ""]
    lines += [f"- {n}" for n in doc.get("notes", [])]
    return "\n".join(lines) + "\n"


def write_all(doc, out_dir, say=print):
    """DIR/ops.md, DIR/ops.json, DIR/ops.png (when matplotlib is there); their paths."""
    os.makedirs(out_dir, exist_ok=True)
    md = os.path.join(out_dir, "ops.md")
    with open(md, "w") as f:
        f.write(header(doc) + "\n" + text(doc))
    paths = {"json": write_json(doc, os.path.join(out_dir, "ops.json")), "table": md}
    png, why = plot(doc, os.path.join(out_dir, "ops.png"))
    if png:
        paths["png"] = png
    else:
        say("note: " + why)
    return paths


def plot(doc, path):
    """Panels of gradcore/PyTorch ratios: each op size sorted (goal lines), the layers with
    their spread, the MLP grid; and the times of both libraries on a log axis."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.patches
        import matplotlib.pyplot as plt
    except Exception as e:
        return None, f"matplotlib is not available ({type(e).__name__}): no PNG " \
                     "(pip install matplotlib, or pip install -e '.[bench]')"
    panels = []
    ops = [r for r in doc.get("ops") or [] if r["ratio"] is not None]
    for size in ("tiny", "medium"):
        rows = [r for r in ops if r["size"] == size]
        if rows:
            panels.append(("ops", size, rows))
    for key in ("layers", "mlp_grid"):
        rows = [r for r in doc.get(key) or [] if r["ratio"] is not None]
        if rows:
            panels.append((key, None, rows))
    if not panels:
        return None, "nothing was timed: no PNG"
    labelled = [len(rows) <= 80 for _, _, rows in panels]  # named bars need room below
    heights = [1.6 if lab else 1.0 for lab in labelled]
    fig, axes = plt.subplots(len(panels), 1, figsize=(14, 3.6 * sum(heights)), squeeze=False,
                             gridspec_kw={"height_ratios": heights}, layout="constrained")
    colors = {"elementwise": "tab:blue", "reduction": "tab:green", "other": "tab:gray",
              "layer": "tab:purple", "activation": "tab:blue", "loss": "tab:orange",
              "mlp": "tab:red"}
    for ax, (key, size, rows) in zip(axes[:, 0], panels):
        rows = sorted(rows, key=lambda r: r["ratio"])
        xs = range(len(rows))
        ratios = [r["ratio"] for r in rows]
        spreads = [r["spread"] or [r["ratio"], r["ratio"]] for r in rows]
        lo = [r["ratio"] - s[0] for r, s in zip(rows, spreads)]
        hi = [s[1] - r["ratio"] for r, s in zip(rows, spreads)]
        ax.bar(xs, ratios, color=[colors.get(r["class"], "tab:gray") for r in rows],
               yerr=[lo, hi], error_kw={"elinewidth": 0.6, "ecolor": "k"})
        ax.axhline(1.0, color="k", lw=1)
        for g in sorted({r["goal"] for r in rows} - {1.0}):
            ax.axhline(g, color="tab:red", lw=0.8, ls="--")
        log_ratio_axis(ax)
        # at least 0.3x-3x: the 1.0 line and the goals in view, bars comparable across panels
        ax.set_ylim(min(0.3, min(s[0] for s in spreads) / 1.2),
                    max(3.0, max(s[1] for s in spreads) * 1.2))
        met = sum(bool(r["meets_goal"]) for r in rows)
        ax.set_title(f"{TABLE_TITLES[key]}{f' ({size})' if size else ''}: gradcore / PyTorch "
                     f"time, spread min-max over repeats; {met}/{len(rows)} meet their goal "
                     "(dashed)", fontsize=9)
        ax.set_ylabel("ratio (log)")
        if len(rows) <= 80:
            ax.set_xticks(list(xs))
            ax.set_xticklabels([r["name"] if key != "mlp_grid" else r["sample"] for r in rows],
                               rotation=75, fontsize=6, ha="right")
        else:
            ax.set_xticks([])
            ax.set_xlabel(f"{len(rows)} ops, sorted by ratio (the table names them)")
        ax.set_xlim(-1, len(rows))
        handles = [matplotlib.patches.Patch(color=colors[c], label=c)
                   for c in dict.fromkeys(r["class"] for r in rows)]
        ax.legend(handles=handles, fontsize=7, loc="upper left")
        ax2 = ax.twinx()
        ax2.plot(xs, [r["torch_s"] for r in rows], ".", ms=2, color="tab:orange",
                 label="torch time")
        ax2.plot(xs, [r["gradcore_s"] for r in rows], ".", ms=2, color="k",
                 label="gradcore time")
        log_time_axis(ax2)
        ax2.set_ylabel("time per fwd+bwd (log)", fontsize=8)
        ax2.legend(fontsize=7, loc="lower right")
    m = doc.get("machine", {})
    fig.suptitle(f"gradcore per-op benchmark  {m.get('cpu', '')} ({m.get('cores')} cores)  "
                 f"threads: {', '.join(f'{k} {v}' for k, v in m.get('threads', {}).items())}  "
                 f"{doc.get('created', '')[:16]}", fontsize=10)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path, None
