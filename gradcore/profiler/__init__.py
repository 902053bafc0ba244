"""gradcore.profiler: torch.profiler, minimal and honest -- ``profile`` times gradcore's ops
on the CPU clock (each call of a gradcore function, Tensor method or operator, or
nn.functional function that user code makes; see _record.py for what is and is not a row),
``record_function`` adds named spans, ``schedule`` / ``step()`` choose the steps recorded,
and ``key_averages().table(sort_by=..., row_limit=...)`` prints PyTorch's table (_events.py).
CUDA work is timed as the CPU time of the call that launched it (no device timeline); a
``ProfilerActivity.CUDA`` request is accepted and records no device events.
"""
import contextlib
import enum
import warnings

from . import _record
from ._events import EventList, FunctionEvent, FunctionEventAvg  # noqa: F401

__all__ = ["profile", "record_function", "ProfilerActivity", "ProfilerAction", "schedule",
           "supported_activities", "EventList"]


class ProfilerActivity(enum.Enum):
    """What a profile records: CPU (gradcore's ops), CUDA (accepted; no device events)."""
    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What a schedule says a step does: NONE, WARMUP, RECORD, RECORD_AND_SAVE."""
    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities():
    """supported_activities() -> set: {ProfilerActivity.CPU} (gradcore times no device)."""
    return {ProfilerActivity.CPU}


def schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0):
    """schedule(*, wait, warmup, active, repeat=0, skip_first=0, skip_first_wait=0)

    PyTorch's step schedule: after ``skip_first`` steps, cycles of ``wait`` idle steps,
    ``warmup`` steps and ``active`` recorded ones (the last RECORD_AND_SAVE, when
    on_trace_ready runs), ``repeat`` times (0: until the profile ends)."""
    if wait < 0 or warmup < 0 or active <= 0 or repeat < 0 or skip_first < 0:
        raise AssertionError(
            f"Invalid profiler schedule arguments. Got wait={wait} (need >= 0), warmup={warmup}"
            f" (need >= 0), active={active} (need > 0), repeat={repeat} (need >= 0), "
            f"skip_first={skip_first} (need >= 0).")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results",
                      stacklevel=2)

    def schedule_fn(step):
        if step < 0:
            raise AssertionError(f"Step must be non-negative. Got {step}.")
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait != 0:
            step += wait
        cycle = wait + warmup + active
        if repeat > 0 and step / cycle >= repeat:
            return ProfilerAction.NONE
        pos = step % cycle
        if pos < wait:
            return ProfilerAction.NONE
        if pos < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if pos < cycle - 1 else ProfilerAction.RECORD_AND_SAVE
    return schedule_fn


_RECORDING = (ProfilerAction.RECORD, ProfilerAction.RECORD_AND_SAVE)


class profile:
    """profile(*, activities=None, schedule=None, on_trace_ready=None, record_shapes=False,
    profile_memory=False, with_stack=False, with_flops=False, with_modules=False, ...)

    A context manager timing gradcore's ops while open (or, with ``schedule``, during the
    steps it records; call ``step()`` once per iteration).  ``key_averages()`` gives the
    per-name totals and ``.table(sort_by='cpu_time_total', row_limit=10)`` prints them;
    record_shapes adds each call's input shapes (``key_averages(group_by_input_shape=True)``).
    profile_memory, with_stack, with_flops and with_modules are accepted and record nothing.

        with gradcore.profiler.profile(record_shapes=True) as prof:
            model(x)
        print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    """

    def __init__(self, *, activities=None, schedule=None, on_trace_ready=None,
                 record_shapes=False, profile_memory=False, with_stack=False,
                 with_flops=False, with_modules=False, experimental_config=None,
                 execution_trace_observer=None, acc_events=False, use_cuda=None,
                 custom_trace_id_callback=None):
        self.activities = set(activities) if activities else supported_activities()
        self.schedule = schedule
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.acc_events = acc_events
        self.step_num = 0
        self._events = EventList()
        self._recorder = None
        self._action = ProfilerAction.NONE

    # ---- recording on and off -------------------------------------------------------------
    def _begin(self):
        if self._recorder is None:
            self._recorder = _record.Recorder(self.record_shapes)
            _record.patch()
            _record._state["recorder"] = self._recorder

    def _end(self):
        if self._recorder is not None:
            _record._state["recorder"] = None
            _record.unpatch()
            self._events.extend(self._recorder.events)
            self._recorder = None

    def _enter_action(self, action):
        if action in _RECORDING and self._action not in _RECORDING:
            if not self.acc_events:
                self._events = EventList()
            self._begin()
        elif action not in _RECORDING and self._action in _RECORDING:
            self._end()
        self._action = action

    def start(self):
        """Start profiling (what entering the ``with`` block does)."""
        self.step_num = 0
        self._enter_action(self.schedule(0) if self.schedule else ProfilerAction.RECORD)

    def stop(self):
        """Stop profiling; a recording in progress is kept (and, with a schedule, saved)."""
        was = self._action
        self._enter_action(ProfilerAction.NONE)
        if was in _RECORDING and self.on_trace_ready is not None:
            self.on_trace_ready(self)

    def step(self):
        """Mark the end of one iteration: the schedule decides what the next one does."""
        if self.schedule is None:
            return
        was = self._action
        self.step_num += 1
        nxt = self.schedule(self.step_num)
        if was is ProfilerAction.RECORD_AND_SAVE:
            self._enter_action(ProfilerAction.NONE)
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)
        self._enter_action(nxt)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- results -------------------------------------------------------------------------
    def events(self):
        """events() -> EventList: every timed call of the last recording."""
        return EventList(self._events)

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0,
                     group_by_overload_name=False):
        """key_averages(group_by_input_shape=False, ...) -> EventList of per-name totals."""
        return self._events.key_averages(group_by_input_shape)

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (chrome://tracing, Perfetto): one complete
        event per call, laid end to end (gradcore keeps durations, not start times)."""
        import json
        t, trace = 0.0, []
        for e in self._events:
            trace.append({"name": e.name, "ph": "X", "ts": t, "dur": e.cpu_time_total,
                          "pid": 0, "tid": 0, "cat": "cpu_op"})
            t += e.cpu_time_total
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)


class record_function(contextlib.ContextDecorator):
    """record_function(name, args=None): a named span in the profile (a row of its own, its
    time the time inside, the ops in it its children); a no-op when nothing records.  Also a
    decorator."""

    def __init__(self, name, args=None):
        self.name, self.args = name, args
        self._t0 = self._rec = None

    def __enter__(self):
        self._rec = _record._state["recorder"]
        if self._rec is not None:
            self._t0 = self._rec.open()
        return self

    def __exit__(self, *exc):
        if self._rec is not None:
            self._rec.close(self.name, self._t0, [] if self._rec.record_shapes else None,
                            annotation=True)
            self._rec = None
        return False
