"""What a profile holds: one FunctionEvent per timed call, their averages per name
(FunctionEventAvg, what ``key_averages()`` lists) and ``EventList.table()``, laid out as
PyTorch's profiler table (times in microseconds inside, formatted us / ms / s)."""


def _format_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _share(us, total):
    return "NaN" if total == 0 else f"{us * 100.0 / total:.2f}%"


class FunctionEvent:
    """One timed call: ``name``, ``cpu_time_total`` and ``self_cpu_time_total`` (us; self
    excludes the timed calls made inside it), ``input_shapes`` (with record_shapes)."""

    def __init__(self, name, total_us, self_us, input_shapes, is_user_annotation=False):
        self.key = self.name = name
        self.cpu_time_total, self.self_cpu_time_total = total_us, self_us
        self.input_shapes = input_shapes
        self.is_user_annotation = is_user_annotation
        self.count = 1

    @property
    def cpu_time(self):
        """cpu_time -> float: microseconds per call."""
        return self.cpu_time_total / self.count


class FunctionEventAvg(FunctionEvent):
    """The events of one name (and, grouped by shape, one input-shape list) added up."""

    def __init__(self, key, input_shapes):
        super().__init__(key, 0.0, 0.0, input_shapes)
        self.count = 0

    def add(self, event):
        """Add ``event``'s times and one call."""
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        self.count += event.count
        self.is_user_annotation = event.is_user_annotation
        return self


class EventList(list):
    """A list of events with PyTorch's summaries: ``table(...)``, ``key_averages()``,
    ``self_cpu_time_total``."""

    @property
    def self_cpu_time_total(self):
        """self_cpu_time_total -> float: the events' self times summed (us)."""
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shape=False):
        """key_averages(group_by_input_shape=False) -> EventList of FunctionEventAvg, one per
        name (and input shapes), in order of first appearance."""
        groups = {}
        for e in self:
            shapes = e.input_shapes if group_by_input_shape else None
            key = (e.key, str(shapes))
            if key not in groups:
                groups[key] = FunctionEventAvg(e.key, shapes)
            groups[key].add(e)
        return EventList(groups.values())

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55,
              max_shapes_column_width=80, header=None, top_level_events_only=False,
              time_unit=None, **kwargs):
        """table(sort_by=None, row_limit=100, max_name_column_width=55, ...) -> str

        PyTorch's profiler table: Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU
        time avg, # of Calls (and Input Shapes when recorded), sorted by ``sort_by`` (an
        attribute: 'cpu_time_total', 'self_cpu_time_total', 'count' ...; the CUDA keys sort
        by CPU time, gradcore times no device work), then 'Self CPU time total'."""
        events = list(self)
        if not events:
            return ""
        if sort_by is not None:
            attr = {"cuda_time_total": "cpu_time_total", "device_time_total": "cpu_time_total",
                    "self_cuda_time_total": "self_cpu_time_total",
                    "self_device_time_total": "self_cpu_time_total"}.get(sort_by, sort_by)
            events.sort(key=lambda e: getattr(e, attr), reverse=True)
        shapes = any(e.input_shapes for e in events)
        name_w = min(max(len(e.key) for e in events) + 4, max_name_column_width)
        shape_w = min(max(len(str(e.input_shapes)) for e in events) + 4,
                      max_shapes_column_width)
        widths = [name_w] + [12] * 6 + ([shape_w] if shapes else [])
        heads = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                 "# of Calls"] + (["Input Shapes"] if shapes else [])
        fmt = "".join("{:>" + str(w) + "}  " for w in widths)
        sep = "".join("-" * w + "  " for w in widths)
        total = sum(e.self_cpu_time_total for e in events)

        def fit(text, width):
            return text[:width - 3] + "..." if len(text) >= width - 3 else text

        def show(us):
            if time_unit in ("s", "ms", "us"):
                return f"{us / {'s': 1e6, 'ms': 1e3, 'us': 1.0}[time_unit]:.3f}{time_unit}"
            return _format_time(us)
        lines = []
        if header is not None:
            lines += ["=" * (sum(widths) + 2 * len(widths) - 2), header]
        lines += [sep, fmt.format(*heads), sep]
        for e in events[:row_limit] if row_limit and row_limit > 0 else events:
            row = [fit(e.key, name_w), _share(e.self_cpu_time_total, total),
                   show(e.self_cpu_time_total), _share(e.cpu_time_total, total),
                   show(e.cpu_time_total), show(e.cpu_time), e.count]
            if shapes:
                row.append(fit(str(e.input_shapes), shape_w))
            lines.append(fmt.format(*row))
        lines += [sep, f"Self CPU time total: {_format_time(total)}"]
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.table()
