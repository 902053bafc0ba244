"""Packaging: the wheel ships kernels/ inside gradcore and finds it once installed; the README's
two commands are the ones CI runs."""
import os
import re
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme_commands():
    text = open(os.path.join(ROOT, "README.md")).read()
    return re.findall(r"```bash\n(.+?)\n```", text)


def test_readme_has_two_commands_and_ci_runs_them():
    setup, tests = _readme_commands()[:2]
    assert "examples/" in setup and "pytest" in tests
    ci = open(os.path.join(ROOT, ".ci", "run")).read().splitlines()
    assert setup in ci and tests in ci


def test_suite_collects_without_torch_or_cupy(tmp_path):
    """Every test module imports on a machine without torch or CuPy (the README promises the
    parity tests skip there): collection with both imports blocked finds no error."""
    code = ("import sys; sys.modules['torch'] = sys.modules['cupy'] = None; import pytest; "
            "sys.exit(pytest.main(['--collect-only', '-q', '-p', 'no:cacheprovider', "
            "sys.argv[1]]))")
    run = subprocess.run([sys.executable, "-c", code, os.path.join(ROOT, "tests")],
                         capture_output=True, text=True, cwd=str(tmp_path))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "error" not in run.stdout.splitlines()[-1], run.stdout[-3000:]


def test_kernels_dir_found_in_checkout():
    from gradcore.backend.cupy_backend import kernels_dir
    assert os.path.isfile(os.path.join(kernels_dir(), "README.md"))


@pytest.mark.slow
def test_wheel_ships_kernels_and_finds_them_installed(tmp_path):
    dist, target = tmp_path / "dist", tmp_path / "site"
    # Built offline with this environment's setuptools: the test extra declares the one with
    # bdist_wheel built in (>= 70.1; a new venv's own has none and no wheel package either).
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                            "--no-build-isolation", "-w", str(dist), ROOT],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr[-2000:]
    wheel, = dist.glob("gradcore-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "gradcore/kernels/README.md" in names
    for pkg in ("autograd", "backend", "cuda", "ops", "nn", "nn/modules", "optim", "utils"):
        assert f"gradcore/{pkg}/__init__.py" in names
    inst = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert inst.returncode == 0, inst.stderr[-2000:]
    code = ("import gradcore, os; from gradcore.backend.cupy_backend import kernels_dir; "
            "d = kernels_dir(); assert d.startswith(os.path.dirname(gradcore.__file__)), d; "
            "x = gradcore.ones(2, requires_grad=True); (x * 3).sum().backward(); "
            "print(x.grad.tolist())")
    env = dict(os.environ, PYTHONPATH=str(target))
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=str(tmp_path))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[3.0, 3.0]"
