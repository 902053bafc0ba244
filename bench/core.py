"""The core benchmark command: ``python bench/core.py`` prints gradcore vs PyTorch CPU times
(median of repeats, same process, one thread) and their ratio."""
import os
import sys
import timeit

sys.path.insert(0, os.path.dirname(__file__))
from workloads import TRAINING, WORKLOADS  # noqa: E402


def median_us(fn, budget_s=0.3, repeat=15):
    """Median per-call time over ``repeat`` runs of a loop sized to ~budget_s/repeat each."""
    for _ in range(20):
        fn()
    once = timeit.timeit(fn, number=5) / 5
    number = max(1, int(budget_s / repeat / max(once, 1e-9)))
    times = sorted(timeit.repeat(fn, number=number, repeat=repeat))
    return times[len(times) // 2] / number * 1e6


def main():
    import gradcore
    try:
        import torch
        import torch.nn  # noqa: F401
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        torch = None
        print("torch is not installed: gradcore times only")
    import gradcore.nn  # noqa: F401
    import gradcore.optim  # noqa: F401
    print(f"{'workload':<26}{'gradcore us':>13}{'torch us':>11}{'ratio':>8}")
    for name, make in {**WORKLOADS, **TRAINING}.items():
        g = median_us(make(gradcore))
        t = median_us(make(torch)) if torch else float("nan")
        print(f"{name:<26}{g:>13.2f}{t:>11.2f}{g / t:>8.2f}")


if __name__ == "__main__":
    main()
