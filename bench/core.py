"""The core benchmark command: ``python bench/core.py`` prints gradcore vs PyTorch CPU times
(median of repeats, same process, one thread) and their ratio."""
import os
import sys
import timeit

sys.path.insert(0, os.path.dirname(__file__))
from workloads import WORKLOADS  # noqa: E402


def median_us(fn, number=2000, repeat=15):
    for _ in range(200):
        fn()
    times = sorted(timeit.repeat(fn, number=number, repeat=repeat))
    return times[len(times) // 2] / number * 1e6


def main():
    import gradcore
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch is not installed: gradcore times only")
    print(f"{'workload':<22}{'gradcore us':>13}{'torch us':>11}{'ratio':>8}")
    for name, make in WORKLOADS.items():
        g = median_us(make(gradcore))
        t = median_us(make(torch)) if torch else float("nan")
        print(f"{name:<22}{g:>13.2f}{t:>11.2f}{g / t:>8.2f}")


if __name__ == "__main__":
    main()
