"""``python -m gradcore.bench``: runs, writes its JSON/table/PNG, and degrades with a line (not
a crash) when torch, matplotlib, tqdm or a GPU is missing.  Tiny sizes (``--quick --repeat 1
--only ...``) keep the whole file to a few seconds."""
import json
import os
import subprocess
import sys

import pytest

import gradcore
from gradcore.bench.__main__ import main
from gradcore.bench.runner import median_time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FEW = ["--quick", "--repeat", "1", "--only", r"step_3x4|relu_backward n=2\^10|sweep w=16"]


def _load(out):
    with open(os.path.join(out, "bench.json")) as f:
        return json.load(f)


def _check_schema(doc):
    for key in ("schema", "created", "command", "options", "machine", "backends", "results",
                "crossover", "scaling", "notes"):
        assert key in doc, key
    names = {b["name"] for b in doc["backends"]}
    assert "gradcore-cpu" in names
    assert doc["results"]
    for r in doc["results"]:
        assert r["backend"] in names
        assert r["median_s"] > 0 and all(t > 0 for t in r["times_s"])
        assert r["calls_per_repeat"] >= 1
        assert r["ratio_cpu"] is None or r["ratio_cpu"] > 0
    for r in doc["results"]:
        if r["backend"] == "gradcore-cpu":
            assert r["ratio_cpu"] == pytest.approx(1.0)
    groups = {r["group"] for r in doc["results"]}
    assert {"overhead", "kernel:relu_backward", "sweep"} <= groups


def test_quick_run_writes_json_table_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out = str(tmp_path / "res")
    assert main(FEW + ["--out", out]) == 0
    printed = capsys.readouterr().out
    assert "| workload | backend | median time |" in printed
    assert "step_3x4_fwd_bwd" in printed
    doc = _load(out)
    _check_schema(doc)
    mem = doc["memory"]
    peaks = {p["backend"]: p for p in mem["mlp_step_peak"]}
    g = peaks["gradcore-cpu"]
    assert g["method"] == "tracemalloc" and g["step_peak_bytes"] > 0
    assert g["total_peak_bytes"] >= g["step_peak_bytes"]
    loops = {f["backend"]: f for f in mem["flat_loop"]}
    assert loops["gradcore-cpu"]["steps"] > 0 and loops["gradcore-cpu"]["samples"]
    with open(os.path.join(out, "bench.png"), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    with open(os.path.join(out, "bench.md")) as f:
        assert "| workload | backend |" in f.read()


def test_missing_optional_packages_degrade(tmp_path, monkeypatch, capsys):
    for name in ("torch", "matplotlib", "tqdm"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import name` raise ImportError
    out = str(tmp_path / "res")
    assert main(FEW + ["--no-memory", "--out", out]) == 0
    printed = capsys.readouterr().out
    assert "PyTorch is not available" in printed
    assert "tqdm is not installed" in printed
    assert "matplotlib is not available" in printed
    doc = _load(out)
    _check_schema(doc)
    assert {b["lib"] for b in doc["backends"]} == {"gradcore"}
    assert all(r["ratio_torch"] is None for r in doc["results"])
    assert not os.path.exists(os.path.join(out, "bench.png"))
    assert any("PyTorch is not available" in n for n in doc["notes"])


@pytest.mark.skipif(gradcore.cuda.is_available(), reason="a GPU is present")
def test_device_cuda_without_gpu_exits_2_saying_why(tmp_path, monkeypatch, capsys):
    # --device cuda asks for a device that isn't there: a usage error, not a CPU-only run
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = str(tmp_path / "res")
    assert main(["--device", "cuda", "--quick", "--repeat", "1", "--only", "step_3x4",
                 "--no-memory", "--out", out]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradcore-bench: --device cuda")
    assert "no CUDA device" not in captured.out and not os.path.exists(out)


def test_device_cuda_without_cupy_says_what_to_install_in_a_subprocess(tmp_path):
    code = ("import sys; sys.modules['cupy'] = None; from gradcore.bench.__main__ import main; "
            "sys.exit(main(sys.argv[1:]))")
    out = str(tmp_path / "res")
    run = subprocess.run([sys.executable, "-c", code, "--device", "cuda", "--quick", "--repeat",
                          "1", "--only", "step_3x4", "--no-memory", "--out", out],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "without CuPy" in lines[0] and 'pip install -e ".[cuda12]"' in lines[0]
    assert 'pip install "gradcore[cuda12]"' in lines[0]
    assert not os.path.exists(out)


@pytest.mark.skipif(gradcore.cuda.is_available(), reason="a GPU is present")
@pytest.mark.parametrize("argv", [["-m", "gradcore.bench", "--device", "cuda", "--quick"],
                                  [os.path.join("bench", "gpu_check.py"), "--quick"]],
                         ids=["gradcore.bench --device cuda", "bench/gpu_check.py"])
def test_gpu_commands_without_gpu_exit_2_with_one_line(tmp_path, argv):
    run = subprocess.run([sys.executable] + argv + ["--out", str(tmp_path / "res")], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert any(w in lines[0] for w in ("CuPy", "NVIDIA driver", "CUDA GPUs", "CUDA library"))
    assert not os.path.exists(tmp_path / "res")


def test_device_cpu_runs_on_any_machine(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    out = str(tmp_path / "res")
    assert main(["--device", "cpu", "--quick", "--repeat", "1", "--only", "step_3x4",
                 "--no-memory", "--out", out]) == 0
    assert all(b["device"] == "cpu" for b in _load(out)["backends"])
    assert "gradcore-cuda" not in capsys.readouterr().out


def test_module_command_in_a_subprocess(tmp_path):
    out = str(tmp_path / "res")
    run = subprocess.run([sys.executable, "-m", "gradcore.bench", "--quick", "--repeat", "1",
                          "--only", "step_3x4", "--no-memory", "--out", out],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "| step_3x4_fwd_bwd | gradcore-cpu |" in run.stdout
    assert _load(out)["results"]
    if not gradcore.cuda.is_available():  # the default (all devices) times the CPU, says so
        assert "no CUDA device for gradcore" in run.stdout
        assert "gradcore-cuda skipped" in run.stdout
        assert "no CPU/GPU crossover" in run.stdout


def test_import_gradcore_imports_no_bench_or_optional_packages():
    code = ("import sys, gradcore, gradcore.nn, gradcore.optim; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('matplotlib', 'torch', 'tqdm', 'cupy') or m.startswith('gradcore.bench')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def test_median_time_syncs_around_every_clock_read():
    calls, syncs = [], []
    med, times, number = median_time(lambda: calls.append(1), lambda: syncs.append(1),
                                     repeat=3, warmup=2, target_s=1e-4, max_number=5)
    assert med > 0 and len(times) == 3 and 1 <= number <= 5
    assert len(calls) == 2 + 3 * number
    assert len(syncs) == 1 + 2 + 2 * 3


def test_median_times_interleaves_backends_and_survives_a_failing_one():
    # One workload on several backends is timed in alternating batches (A B A B ...), so a
    # slow minute of the machine lands on all of them; a backend that fails is reported and
    # the others are still timed.
    from gradcore.bench.runner import median_times
    order = []

    def fail():
        raise RuntimeError("out of memory")
    a, b = (lambda: order.append("a")), (lambda: order.append("b"))
    out = median_times([a, fail, b], [lambda: None] * 3, repeat=3, warmup=1, target_s=0,
                       max_number=1)
    assert isinstance(out[1], RuntimeError)
    assert [len(out[0][1]), len(out[2][1])] == [3, 3]
    assert order[2:] == ["a", "b"] * 3  # after one warm-up call each


# ---- the per-op modes (--ops, --layers, --mlp-grid): issue 15's measuring tool --------------

OPS_FEW = ["--filter", r"^(add|exp|sum)$|^Linear\(|^MSELoss", "--repeat", "1"]


def _load_ops(out):
    with open(os.path.join(out, "ops.json")) as f:
        return json.load(f)


def test_ops_mode_on_a_few_ops_writes_its_tables_and_files(tmp_path, capsys):
    pytest.importorskip("torch")
    out = str(tmp_path / "ops")
    assert main(["--ops", "--size", "both", "--threads", "1", "--out", out] + OPS_FEW) == 0
    printed = capsys.readouterr().out
    header = "| op | class | size | sample | elements | gradcore | torch | ratio | spread | goal " \
             "| met |"
    assert printed.count(header) == 2  # the ops table and the layers table
    doc = _load_ops(out)
    ops = {(r["name"], r["size"]): r for r in doc["ops"]}
    assert set(ops) == {(n, s) for n in ("add", "exp", "sum") for s in ("tiny", "medium")}
    assert ops["add", "tiny"]["class"] == "elementwise" == ops["exp", "medium"]["class"]
    assert ops["sum", "tiny"]["class"] == "reduction"
    for r in doc["ops"] + doc["layers"]:
        assert r["error"] is None, r
        assert r["gradcore_s"] > 0 and r["torch_s"] > 0 and r["backward"]
        assert r["ratio"] == pytest.approx(r["gradcore_s"] / r["torch_s"])
        assert r["meets_goal"] == (r["ratio"] <= r["goal"])
        # the tiny sizes hold the 0.5x goals, medium sizes and layers 1.0x
        want = 0.5 if r["size"] == "tiny" and r["class"] in ("elementwise", "reduction") else 1.0
        assert r["goal"] == want
        flag = "yes" if r["meets_goal"] else "NO"
        assert f"| <= {want:g}x | {flag} |" in printed
    assert ops["add", "tiny"]["elements"] == 6
    assert 1 << 16 <= ops["add", "medium"]["elements"] <= 1 << 18
    assert {r["name"] for r in doc["layers"]} == {"Linear(16,32) 8x16", "MSELoss 8x16"}
    m = doc["machine"]
    for key in ("cpu", "cores", "numpy", "torch", "threads"):
        assert m[key], key
    assert m["threads"]["torch"] == 1
    if "threadpoolctl is not installed" not in printed:
        assert m["threads"]["numpy openblas"] == 1
    assert doc["options"]["clock"] == "process_time"
    assert "Goals met:" in printed and "meet <= 0.5x" in printed
    with open(os.path.join(out, "ops.md")) as f:
        md = f.read()
    assert header in md and "Machine: " in md and "Threads used: torch 1" in md
    if os.path.exists(os.path.join(out, "ops.png")):
        with open(os.path.join(out, "ops.png"), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_ops_table_is_sorted_worst_first_and_failures_are_listed():
    from gradcore.bench import ops, ops_report
    rows = [ops.row("a", "elementwise", "tiny", "2x3", 6, 0.5, (1.0, 4.0, [0.2, 0.3])),
            ops.row("b", "other", "tiny", "2x3", 6, 1.0, (3.0, 1.0, [2.5, 3.5])),
            ops.row("c", "other", "tiny", "2x3", 6, 1.0, error="TypeError: no")]
    lines = ops_report.table(rows).splitlines()[2:]
    assert [ln.split(" | ")[0] for ln in lines] == ["| b", "| a", "| c"]
    assert "| 3.00x | 2.50-3.50 | <= 1x | NO |" in lines[0]
    assert "| 0.25x | 0.20-0.30 | <= 0.5x | yes |" in lines[1]
    assert lines[2].endswith("| error |")
    summary = "\n".join(ops_report.summary_lines(rows))
    assert "elementwise tiny: 1/1 meet <= 0.5x" in summary
    assert "other tiny: 0/1 meet <= 1x" in summary and "1 failed" in summary
    assert ops_report.errors(rows) == ["c (tiny): TypeError: no"]


def test_medium_size_tiles_the_sample_and_pytorch_judges_it(torch):
    import numpy as np
    from gradcore.bench import ops
    reg = ops.load_registry()
    S = reg.S
    s = S(np.ones((2, 3)), np.ones((3, 1)), np.array(2.0), np.array([[0, 2]]), args=(1,),
          dim=0)
    t = ops.scale_sample(s, 4)
    # size-1 dims and 0-d arrays stay (broadcasting, index ranges, masks keep their relations)
    assert [a.shape for a in t.arrays] == [(8, 12), (12, 1), (), (1, 8)]
    assert t.arrays[3].tolist() == [[0, 2] * 4] and t.args == (1,) and t.kwargs == {"dim": 0}
    # floating copies jittered towards 0 (no ties, full rank), signs and zeros kept
    x = np.array([[-1.0, 0.0, 2.0]])
    big = ops.scale_sample(S(x), 8).arrays[0]
    assert big.shape == (1, 24) and len(np.unique(big)) == 1 + 2 * 8
    assert np.all(np.abs(big) <= np.abs(np.tile(x, 8))) and (big[0, 1::3] == 0).all()
    assert np.all(np.abs(big) >= np.abs(np.tile(x, 8)) * (1 - ops.JITTER))
    assert np.array_equal(np.sign(big), np.sign(np.tile(x, 8)))
    assert ops.scale_sample(S(x), 1).arrays[0].tolist() == x.tolist()  # tiny: as registered
    by = reg.OP_BY_NAME
    f = ops.medium_factor(reg, torch, by["add"], by["add"].sample_inputs()[0])
    assert 1 << 16 <= ops._largest(reg, torch, by["add"], by["add"].sample_inputs()[0], f) \
        <= 1 << 18
    # reshape(3, 2) of a scaled input is refused by PyTorch: tiny only
    assert ops.medium_factor(reg, torch, by["reshape"], by["reshape"].sample_inputs()[0]) is None
    # diag of a vector: the output (a matrix) is what reaches the range, not the input
    d = by["diag"].sample_inputs()[0]
    f = ops.medium_factor(reg, torch, by["diag"], d)
    assert f is not None and (3 * f) ** 2 <= 1 << 18 and 3 * f < 1 << 16


def test_ops_classes_follow_the_family():
    from gradcore.bench import ops
    reg = ops.load_registry()
    by = reg.OP_BY_NAME
    assert ops.op_class(by["exp"]) == "elementwise"
    assert ops.op_class(by["log1p"]) == "elementwise"  # op_db_unary_math.py
    assert ops.op_class(by["amax"]) == "reduction"
    assert ops.op_class(by["matmul"]) == "other"


def test_layers_get_pytorchs_weights(torch):
    import numpy as np
    import gradcore
    from gradcore.bench import layers
    for name, cls, ctor, inputs, call, train in layers.LAYERS:
        if not name.startswith(("Linear", "Conv2d", "LSTM", "LayerNorm", "PReLU")):
            continue
        torch.manual_seed(0)
        tm = layers._build(torch, ctor, train)
        state = {k: v.detach().numpy().copy() for k, v in tm.state_dict().items()}
        gm = layers._build(gradcore, ctor, train, state)
        specs = inputs()
        got = layers._first(gm(*layers._tensors(gradcore, specs, cls)))
        want = layers._first(tm(*layers._tensors(torch, specs, cls)))
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=name)


def test_mlp_grid_rows_and_table(torch):
    import gradcore
    from gradcore.bench import layers, ops_report
    rows = layers.bench_mlp_grid(gradcore, torch, batches=(1, 16), widths=(64,), repeat=1,
                                 target_s=0.0)
    assert [(r["batch"], r["width"]) for r in rows] == [(1, 64), (16, 64)]
    assert all(r["error"] is None and r["ratio"] > 0 and r["goal"] == 1.0 for r in rows)
    table = ops_report.grid_table(rows).splitlines()
    assert table[0] == "| batch \\ width | 64 |"
    assert table[2].startswith("| 1 | ") and table[3].startswith("| 16 | ")


def test_ops_mode_without_the_registry_exits_2_saying_so(tmp_path, capsys):
    pytest.importorskip("torch")
    out = str(tmp_path / "ops")
    assert main(["--ops", "--registry", str(tmp_path), "--out", out] + OPS_FEW) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradcore-bench: the op registry")
    assert "--registry PATH" in lines[0] and not os.path.exists(out)


def test_ops_modes_without_torch_exit_2_saying_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "torch", None)
    out = str(tmp_path / "ops")
    for mode in ("--ops", "--layers", "--mlp-grid"):
        assert main([mode, "--out", out] + OPS_FEW) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and "PyTorch" in lines[0] and "pip install torch" in lines[0]
    assert not os.path.exists(out)


def test_op_bench_script_in_a_subprocess(tmp_path):
    pytest.importorskip("torch")
    out = str(tmp_path / "ops")
    run = subprocess.run([sys.executable, os.path.join("bench", "op_bench.py"), "--filter",
                          "^neg$", "--repeat", "1", "--out", out],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "| neg | elementwise | tiny |" in run.stdout
    assert [r["name"] for r in _load_ops(out)["ops"]] == ["neg"]


def test_log_time_axis_ticks_in_real_units():
    plt = pytest.importorskip("matplotlib.pyplot")
    from gradcore.bench.report import log_ratio_axis, log_time_axis
    fig, (a, b) = plt.subplots(1, 2)
    a.plot([1, 2], [1e-5, 1e-3])
    log_time_axis(a)
    b.plot([1, 2], [0.3, 3])
    log_ratio_axis(b)
    fig.canvas.draw()
    times = {t.get_text() for t in a.get_yticklabels()}
    ratios = {t.get_text() for t in b.get_yticklabels()}
    plt.close(fig)
    assert {"10 us", "100 us", "1 ms"} <= times
    assert {"0.5x", "1x", "2x"} <= ratios


def test_an_op_failing_in_one_library_is_a_row_not_the_end_of_the_walk(torch):
    import gradcore
    from gradcore.bench import ops
    reg = ops.load_registry()

    def op(lib, x):
        if lib is gradcore:
            raise ZeroDivisionError("no")
        return x.exp()
    boom = reg.OpInfo("boom", op, reg.unary)
    rows = ops.bench_ops(reg, gradcore, torch, [boom, reg.OP_BY_NAME["neg"]], ("tiny",),
                         repeat=1, target_s=0.0)
    assert [r["name"] for r in rows] == ["boom", "neg"]
    assert rows[0]["error"] == "gradcore: ZeroDivisionError: no" and rows[0]["ratio"] is None
    assert rows[1]["error"] is None and rows[1]["ratio"] > 0


def test_time_pair_gives_slow_rows_three_repeats(monkeypatch):
    from gradcore.bench import ops
    calls = []
    g, t, rounds = ops.time_pair(lambda: calls.append("g"), lambda: calls.append("t"), 5, 0.0,
                                 ops.time.perf_counter)
    assert len(rounds) == 5 and calls[:2] == ["g", "t"]  # a first call of each, then the rest
    monkeypatch.setattr(ops, "SLOW_CALL_S", -1.0)  # every call counts as slow
    assert len(ops.time_pair(lambda: None, lambda: None, 5, 0.0, ops.time.perf_counter)[2]) == 3
    with pytest.raises(ops.Failed, match="^torch: ValueError: bad$"):
        ops.time_pair(lambda: None, lambda: (_ for _ in ()).throw(ValueError("bad")), 5, 0.0,
                      ops.time.perf_counter)
