"""Pictures of autograd graphs: ``to_dot`` (DOT source, no dependency), ``make_dot`` (a
``graphviz.Digraph``, torchviz's function and arguments) and ``render`` (an SVG/PNG ... file
through Graphviz).  ``gradcore.autograd.graph`` exports them.

One walk from the output(s) through ``grad_fn.next_functions`` collects the picture, as
torchviz draws PyTorch's: a grey box per node named by its class (``AddmmBackward0`` ...), an
edge from each input's node to the node using it, a light blue box per leaf that requires grad
(its name in ``params`` and its shape) feeding its ``AccumulateGrad``, the outputs in green
(a view's base in dark green, dotted), and with ``show_saved`` an orange box per tensor a node
saved for backward (its shape), joined to it without an arrow.  gradcore's nodes keep their
saved tensors unnamed: they are labelled ``saved[i]``.  Saved tensors already freed by a
backward (without ``retain_graph``) are not drawn.
"""
import os
import shutil

from ..tensor import Tensor

_NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                  height="0.2", fontname="monospace")


def _size_str(shape):
    return "(" + ", ".join("%d" % v for v in shape) + ")"


def _fn_label(fn, show_attrs, max_attr_chars):
    """The node's class name; with show_attrs, its non-tensor attributes below it (torchviz's
    layout: name, a rule, one ``key: value`` line each, values cut at max_attr_chars)."""
    name = type(fn).__name__
    if not show_attrs:
        return name
    attrs = {}
    for key in sorted(vars(fn)):
        if key.startswith("_") or key == "next_functions" or key == "variable":
            continue
        attrs[key] = str(vars(fn)[key])
    if not attrs:
        return name
    max_attr_chars = max(max_attr_chars, 3)
    w1 = max(len(k) for k in attrs)
    w2 = min(max(len(v) for v in attrs.values()), max_attr_chars)
    sep = "-" * max(w1 + w2 + 2, len(name))

    def cut(s):
        return s[:w2 - 3] + "..." if len(s) > w2 else s

    return name + "\n" + sep + "\n" + "\n".join(
        f"{k:<{w1}}: {cut(v):>{w2}}" for k, v in attrs.items())


def _saved_entries(fn):
    """(key, shape) of each tensor ``fn`` saved for backward, without unpacking checks (a
    modified or freed one is still drawn as it was saved; freed ones are gone: none)."""
    out = []
    for s in fn._saved or ():
        if s is None:
            continue
        if type(s) is tuple:  # an input: (tensor, version)
            out.append((id(s[0]), s[0]._arr.shape))
        else:  # an output (function._SavedOutput), or saved through saved_tensors_hooks
            out.append((id(s), s.arr.shape))  # (graph._Packed: its unpack hook runs, as torch's)
    return out


class _Picture:
    """Nodes and edges in the order the walk meets them, graphviz.Digraph's calls recorded."""

    def __init__(self):
        self.nodes, self.edges = {}, []

    def node(self, name, label, **attrs):
        self.nodes[name] = (label, attrs)  # a later statement for a node replaces it (as DOT)

    def edge(self, tail, head, **attrs):
        self.edges.append((tail, head, attrs))


def _walk(var, params, show_attrs, show_saved, max_attr_chars):
    if params is not None:
        if not all(isinstance(p, Tensor) for p in params.values()):
            raise TypeError("make_dot: params must map names to tensors")
        param_map = {id(v): k for k, v in params.items()}
    else:
        param_map = {}
    pic, seen = _Picture(), set()

    def var_label(t, name=None, shape=None):
        if not name:
            name = param_map.get(id(t), "")
        return "%s\n %s" % (name, _size_str(t.shape if shape is None else shape))

    def add_nodes(fn):
        if id(fn) in seen:
            return
        seen.add(id(fn))
        if show_saved:
            for i, (key, shape) in enumerate(_saved_entries(fn)):
                seen.add(key)
                pic.edge(str(id(fn)), str(key), dir="none")
                pic.node(str(key), var_label(None, f"saved[{i}]", shape), fillcolor="orange")
        if fn._is_accumulate:
            v = fn.variable
            seen.add(id(v))
            pic.node(str(id(v)), var_label(v), fillcolor="lightblue")
            pic.edge(str(id(v)), str(id(fn)))
        pic.node(str(id(fn)), _fn_label(fn, show_attrs, max_attr_chars))
        for u, _ in fn.next_functions:
            if u is not None:
                pic.edge(str(id(u)), str(id(fn)))
                add_nodes(u)

    def add_base_tensor(t, color="darkolivegreen1"):
        if id(t) in seen:
            return
        seen.add(id(t))
        pic.node(str(id(t)), var_label(t), fillcolor=color)
        if t.grad_fn is not None:
            add_nodes(t.grad_fn)
            pic.edge(str(id(t.grad_fn)), str(id(t)))
        if t._view is not None and t._view.base is not None:
            add_base_tensor(t._view.base, color="darkolivegreen3")
            pic.edge(str(id(t._view.base)), str(id(t)), style="dotted")

    for t in (var if isinstance(var, (tuple, list)) else (var,)):
        add_base_tensor(t)
    return pic


def _graph_size(pic):
    """torchviz's resize_graph: 0.15 inch per statement, at least 12."""
    size = max(12, (len(pic.nodes) + len(pic.edges)) * 0.15)
    return f"{size},{size}"


def _quote(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(d):
    return " ".join(f"{k}={_quote(v)}" for k, v in d.items())


def to_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """to_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50) -> str

    The autograd graph that made ``var`` (a tensor or a tuple of them) as Graphviz DOT source,
    with make_dot's content and arguments and no dependency: write it to a ``.dot`` file
    (``dot -Tsvg graph.dot -o graph.svg``) or hand it to any Graphviz viewer.

        loss = model(x).sum()
        open("graph.dot", "w").write(to_dot(loss, params=dict(model.named_parameters())))
    """
    pic = _walk(var, params, show_attrs, show_saved, max_attr_chars)
    lines = ["digraph {", f"\tgraph [size={_quote(_graph_size(pic))}]",
             f"\tnode [{_attrs(_NODE_ATTR)}]"]
    for name, (label, attrs) in pic.nodes.items():
        lines.append(f"\t{name} [label={_quote(label)}" + (f" {_attrs(attrs)}]" if attrs
                                                            else "]"))
    for tail, head, attrs in pic.edges:
        lines.append(f"\t{tail} -> {head}" + (f" [{_attrs(attrs)}]" if attrs else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50)

    Returns a ``graphviz.Digraph``: torchviz's ``make_dot`` for gradcore: the autograd graph that made ``var`` (a tensor or a
    tuple of them) as a ``graphviz.Digraph`` (needs the ``graphviz`` package: ``pip install
    gradcore[viz]``; ``to_dot`` gives the same graph as text without it).  Grey boxes are
    nodes (``grad_fn`` names), light blue the leaves that require grad -- named from
    ``params`` (e.g. ``dict(model.named_parameters())``) with their shapes --, green the
    outputs; ``show_saved`` adds the tensors each node saved for backward (orange, with
    their shapes), ``show_attrs`` each node's other saved values (cut at
    ``max_attr_chars``).  ``.render(...)`` / ``render(var, ...)`` need Graphviz's ``dot``."""
    try:
        import graphviz
    except ImportError as e:
        raise ImportError("make_dot needs the graphviz package: pip install graphviz (or "
                          "gradcore[viz]); to_dot() gives the DOT source without it") from e
    pic = _walk(var, params, show_attrs, show_saved, max_attr_chars)
    dot = graphviz.Digraph(node_attr=_NODE_ATTR, graph_attr=dict(size=_graph_size(pic)))
    for name, (label, attrs) in pic.nodes.items():
        dot.node(name, label, **attrs)
    for tail, head, attrs in pic.edges:
        dot.edge(tail, head, **attrs)
    return dot


def render(var, filename, format="svg", params=None, show_attrs=False, show_saved=False,
           max_attr_chars=50):
    """render(var, filename, format='svg', params=None, show_attrs=False, show_saved=False,
    max_attr_chars=50) -> str

    Draw the graph of ``var`` (make_dot's picture) into ``filename`` + '.' + ``format``
    ('svg', 'png', 'pdf' ...) and return that path.  Needs the graphviz package and
    Graphviz's ``dot`` program on PATH; without ``dot`` it raises RuntimeError saying so
    (write ``to_dot(var)`` to a file instead)."""
    dot = make_dot(var, params, show_attrs, show_saved, max_attr_chars)
    if shutil.which("dot") is None:
        raise RuntimeError("render needs Graphviz's `dot` program, which is not on PATH: "
                           "install Graphviz (apt install graphviz, brew install graphviz, "
                           "conda install graphviz), or write to_dot(...) to a .dot file")
    return dot.render(os.fspath(filename), format=format, cleanup=True)
