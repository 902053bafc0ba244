"""``python -m gradcore.bench`` (or ``gradcore-bench``): gradcore on the CPU and on CUDA against
PyTorch on the same devices, in one command.  See ``__main__.py`` for the options.

Not imported by ``import gradcore``; its optional packages (torch, tqdm, matplotlib, cupy)
are imported only when the command runs, and each one missing costs a note, not a crash.
"""
