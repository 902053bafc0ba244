"""Pictures of autograd graphs (autograd/dot.py through gradcore.autograd.graph): the DOT text
checked structurally against the graph and against PyTorch's graph of the same program
(node names, edges, saved-tensor shapes), make_dot's graphviz.Digraph (skipped without the
graphviz package), torchviz's picture of the same model (skipped without torchviz), and
render (skipped without Graphviz's ``dot``)."""
import collections
import re
import shutil

import pytest

import gradcore
from gradcore.autograd.graph import make_dot, render, to_dot

_NODE = re.compile(r'^\t(\d+) \[label="((?:[^"\\]|\\.)*)"(.*)\]$')
_EDGE = re.compile(r"^\t(\d+) -> (\d+)(?: \[(.*)\])?$")


def _parse(text):
    """{id: (label, attrs text)} and [(tail, head, attrs text)] of to_dot's output."""
    nodes, edges = {}, []
    for line in text.splitlines():
        m = _NODE.match(line)
        if m:
            nodes[m.group(1)] = (m.group(2).replace("\\n", "\n"), m.group(3))
            continue
        m = _EDGE.match(line)
        if m:
            edges.append((m.group(1), m.group(2), m.group(3) or ""))
    assert text.startswith("digraph {\n") and text.endswith("}\n")
    return nodes, edges


def _functions(nodes):
    """The grad_fn boxes (no fill colour of their own)."""
    return {k: v[0].split("\n")[0] for k, v in nodes.items() if "fillcolor" not in v[1]}


def _fn_edges(nodes, edges):
    fns = _functions(nodes)
    return collections.Counter((fns[t], fns[h]) for t, h, a in edges if t in fns and h in fns)


def _torch_graph(var):
    """PyTorch's graph walked as torchviz walks it: {node: name}, Counter of (input, user)
    name pairs (one per non-None next_functions entry), {name: [saved shapes]} per node."""
    seen, pairs, saved = {}, collections.Counter(), collections.defaultdict(list)
    stack = [var.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen[fn] = type(fn).__name__
        shapes = []
        for a in dir(fn):
            if a.startswith("_saved_"):
                v = getattr(fn, a)
                for t in (v if isinstance(v, tuple) else (v,)):
                    if hasattr(t, "grad_fn") and hasattr(t, "shape"):
                        shapes.append(tuple(t.shape))
        saved[type(fn).__name__].append(sorted(shapes))
        for u, _ in fn.next_functions:
            if u is not None:
                pairs[(type(u).__name__, type(fn).__name__)] += 1
                stack.append(u)
    return seen, pairs, saved


def _program(lib):
    lib.manual_seed(0)
    x = lib.randn(2, 4, requires_grad=True)
    w = lib.randn(3, 4, requires_grad=True)
    b = lib.randn(3, requires_grad=True)
    h = lib.tanh(x @ w.t() + b)
    y = (h * h).exp().mean() + lib.sigmoid(h).sum()
    return y, {"x": x, "w": w, "b": b}


def test_nodes_and_edges_are_the_graphs_and_torchs(torch):
    y, params = _program(gradcore)
    nodes, edges = _parse(to_dot(y, params=params))
    ty, _ = _program(torch)
    tnodes, tpairs, _ = _torch_graph(ty)
    fns = _functions(nodes)
    assert sorted(fns.values()) == sorted(tnodes.values())
    assert _fn_edges(nodes, edges) == tpairs
    # every box: the functions, one per leaf, the output; every edge: the graph's, the
    # leaves into their AccumulateGrad, the output's grad_fn into it
    leaves = [k for k, v in nodes.items() if "lightblue" in v[1]]
    assert len(nodes) == len(fns) + len(leaves) + 1 and len(leaves) == 3
    assert len(edges) == sum(tpairs.values()) + len(leaves) + 1
    labels = sorted(nodes[k][0] for k in leaves)
    assert labels == ["b\n (3)", "w\n (3, 4)", "x\n (2, 4)"]
    out = [k for k, v in nodes.items() if "darkolivegreen1" in v[1]]
    assert len(out) == 1 and (str(id(y.grad_fn)), out[0], "") in edges
    for leaf in leaves:  # each leaf feeds its AccumulateGrad
        (t, h, _), = [e for e in edges if e[0] == leaf]
        assert fns[h] == "AccumulateGrad"


def test_saved_tensor_shapes_are_torchs(torch):
    y, _ = _program(gradcore)
    nodes, edges = _parse(to_dot(y, show_saved=True))
    ty, _ = _program(torch)
    _, _, tsaved = _torch_graph(ty)
    fns = _functions(nodes)
    got = collections.defaultdict(list)
    for fid, name in fns.items():
        shapes = []
        for t, h, a in edges:
            if t == fid and 'dir="none"' in a:
                label = nodes[h][0]
                shapes.append(tuple(int(s) for s in re.findall(r"\d+", label.split("\n")[1])))
        got[name].append(sorted(shapes))
    for name in got:
        assert sorted(got[name]) == sorted(tsaved[name]), name
    assert any("orange" in v[1] for v in nodes.values())
    y.backward()  # freed: nothing saved left to draw, and no error
    nodes, _ = _parse(to_dot(y, show_saved=True))
    assert not any("orange" in v[1] for v in nodes.values())


def test_mlp_names_params_and_folds_linears_transpose(torch):
    def run(lib):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))
        return m, lib.nn.functional.log_softmax(m(lib.randn(5, 4)), 1).sum()
    m, y = run(gradcore)
    nodes, edges = _parse(to_dot(y, params=dict(m.named_parameters())))
    tm, ty = run(torch)
    tnodes, tpairs, _ = _torch_graph(ty)
    # gradcore's Linear is one AddmmBackward0 node taking the weight itself; PyTorch's takes a
    # TBackward0 of it (docs/design.md, Training stack): the same graph with that node folded
    folded = collections.Counter()
    for (a, b), n in tpairs.items():
        folded[("AccumulateGrad" if a == "TBackward0" else a, b)] += 0 if b == "TBackward0" else n
    assert _fn_edges(nodes, edges) == +folded
    assert sorted(_functions(nodes).values()) == sorted(
        n for n in tnodes.values() if n != "TBackward0")
    blue = sorted(v[0] for v in nodes.values() if "lightblue" in v[1])
    want = sorted(f"{k}\n ({', '.join(map(str, p.shape))})" for k, p in tm.named_parameters())
    assert blue == want


def test_several_outputs_and_a_view_base():
    x = gradcore.randn(3, 4, requires_grad=True)
    a, b = x.exp(), x.sin()
    nodes, edges = _parse(to_dot((a, b)))
    assert sum("darkolivegreen1" in v[1] for v in nodes.values()) == 2
    v = (x * 2).view(12)
    nodes, edges = _parse(to_dot(v))
    base = [k for k, n in nodes.items() if "darkolivegreen3" in n[1]]
    assert len(base) == 1 and nodes[base[0]][0] == "\n (3, 4)"
    assert (base[0], str(id(v)), 'style="dotted"') in edges
    assert sorted(_functions(nodes).values()) == ["AccumulateGrad", "MulBackward0",
                                                  "ViewBackward0"]


def test_show_attrs_lists_the_nodes_values():
    x = gradcore.randn(3, 4, requires_grad=True)
    y = x.sum(1, keepdim=True)
    nodes, _ = _parse(to_dot(y, show_attrs=True, max_attr_chars=4))
    label, = [v[0] for v in nodes.values() if v[0].startswith("SumBackward")]
    lines = label.split("\n")
    assert set(lines[1]) == {"-"} and any(ln.startswith("keepdim") for ln in lines[2:])
    assert all(len(ln.split(": ", 1)[1]) <= 4 for ln in lines[2:])


def test_saved_through_hooks_are_drawn_from_the_unpack_hook():
    from gradcore.autograd.graph import saved_tensors_hooks
    x = gradcore.randn(3, 2, requires_grad=True)
    unpacked = []

    def unpack(p):
        unpacked.append(p)
        return p
    with saved_tensors_hooks(lambda t: t.clone(), unpack):
        y = (x * x.t().t()).exp().sum()
    nodes, edges = _parse(to_dot(y, show_saved=True))
    saved = [v[0] for v in nodes.values() if "orange" in v[1]]
    assert len(saved) == 3 and all(s.endswith("\n (3, 2)") for s in saved)
    assert len(unpacked) == 3


def test_params_must_be_tensors():
    x = gradcore.ones(2, requires_grad=True)
    with pytest.raises(TypeError):
        to_dot(x * 2, params={"x": [1.0]})


def test_make_dot_is_a_graphviz_digraph_of_the_same_graph():
    graphviz = pytest.importorskip("graphviz")
    y, params = _program(gradcore)
    dot = make_dot(y, params=params, show_saved=True)
    assert isinstance(dot, graphviz.Digraph)
    nodes, edges = _parse(to_dot(y, params=params, show_saved=True))
    body_edges = [ln for ln in dot.body if " -> " in ln]
    assert len(body_edges) == len(edges) and len(dot.body) - len(body_edges) == len(nodes)
    assert all(f"\t{t} -> {h}" in dot.source for t, h, _ in edges)
    assert "AddBackward0" in dot.source and "w\n (3, 4)" in dot.source


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torchviz imports distutils
def test_same_picture_as_torchviz(torch):
    torchviz = pytest.importorskip("torchviz")
    pytest.importorskip("graphviz")

    def canonical(dot):
        """Counters of (label, fill) boxes and of edges between them, ids aside; a saved
        tensor's name left out (torchviz names it by PyTorch's attribute: self, result ...;
        gradcore's nodes keep their saved tensors unnamed)."""
        ids = {}
        for ln in dot.body:
            m = re.match(r'\t(\d+) \[label=("?)(.*?)\2(?: fillcolor=(\S+))?\]$', ln, re.S)
            if m and " -> " not in ln:
                label, fill = m.group(3), m.group(4)
                if fill == "orange":
                    label = label[label.index("\n"):]
                ids[m.group(1)] = (label, fill)
        edges = collections.Counter()
        for ln in dot.body:
            m = re.match(r"\t(\d+) -> (\d+)(.*)$", ln)
            if m:
                edges[(ids[m.group(1)], ids[m.group(2)], m.group(3))] += 1
        return collections.Counter(ids.values()), edges

    y, params = _program(gradcore)
    ty, tparams = _program(torch)
    for kw in ({}, {"show_saved": True}):
        got = canonical(make_dot(y, params=params, **kw))
        want = canonical(torchviz.make_dot(ty, params=tparams, **kw))
        assert got == want and len(got[0]) >= 12, kw


def test_render_needs_dot_and_says_so(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    y, params = _program(gradcore)
    if shutil.which("dot") is None:
        with pytest.raises(RuntimeError, match="`dot` program"):
            render(y, tmp_path / "g", format="svg", params=params)
        return
    path = render(y, tmp_path / "g", format="svg", params=params)
    text = open(path).read()
    assert path.endswith(".svg") and "<svg" in text and "TanhBackward0" in text
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match="`dot` program"):
        render(y, tmp_path / "h", params=params)
