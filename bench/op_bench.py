"""The per-op micro-benchmark of issue 15, as a script: gradcore against PyTorch, op by op
(the OpInfo registry in tests/op_db.py), every nn layer, and the MLP batch x width grid.

    python bench/op_bench.py [--size tiny|medium|both] [--filter REGEX] [--threads N]
                             [--mlp-grid] [--out DIR]

It is ``python -m gradcore.bench --ops ...`` (gradcore/bench/ops.py, layers.py); every
option of that command passes through.  The registry is found in this checkout's tests/."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gradcore.bench.__main__ import main  # noqa: E402

if __name__ == "__main__":
    argv = sys.argv[1:]
    if not any(a in argv for a in ("--ops", "--layers", "--mlp-grid")):
        argv = ["--ops"] + argv
    sys.exit(main(argv))
