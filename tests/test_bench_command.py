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
