"""The nested containers the function transforms walk (tuples, lists, dicts, namedtuples):
flatten to leaves and a spec, and rebuild from them; in_dims / out_dims are matched to
inputs / outputs as a prefix of their structure, as PyTorch's pytrees are."""
LEAF = None


def flatten(tree):
    """flatten(tree) -> (leaves, spec): the leaves in order, and what unflatten needs."""
    if isinstance(tree, (tuple, list)):
        leaves, specs = [], []
        for child in tree:
            sub, spec = flatten(child)
            leaves += sub
            specs.append(spec)
        return leaves, (type(tree), None, specs)
    if isinstance(tree, dict):
        leaves, specs = [], []
        keys = list(tree.keys())
        for k in keys:
            sub, spec = flatten(tree[k])
            leaves += sub
            specs.append(spec)
        return leaves, (type(tree), keys, specs)
    return [tree], LEAF


def unflatten(leaves, spec):
    """unflatten(leaves, spec) -> tree: the structure ``spec`` describes, with ``leaves``."""
    it = iter(leaves)
    return _build(it, spec)


def _build(it, spec):
    if spec is LEAF:
        return next(it)
    kind, keys, specs = spec
    children = [_build(it, s) for s in specs]
    if keys is not None:
        return kind(zip(keys, children))
    if issubclass(kind, tuple) and hasattr(kind, "_fields"):
        return kind(*children)
    return kind(children)


def describe(spec):
    """A short text of a structure, for error messages ('*' a leaf)."""
    if spec is LEAF:
        return "*"
    kind, keys, specs = spec
    inner = ", ".join(describe(s) if keys is None else f"{k!r}: {describe(s)}"
                      for k, s in zip(keys or [None] * len(specs), specs))
    return f"{kind.__name__}({inner})"


def broadcast_prefix(prefix, tree):
    """The leaves of ``prefix`` repeated over the leaves of ``tree`` below them (an int
    in_dims applies to every leaf of its input); None when ``prefix`` is not a prefix of
    ``tree``'s structure."""
    if not isinstance(prefix, (tuple, list, dict)):
        return [prefix] * len(flatten(tree)[0])
    if type(prefix) is not type(tree):
        return None
    if isinstance(prefix, dict):
        if set(prefix) != set(tree):
            return None
        pairs = [(prefix[k], tree[k]) for k in tree]
    else:
        if len(prefix) != len(tree):
            return None
        pairs = list(zip(prefix, tree))
    out = []
    for p, t in pairs:
        sub = broadcast_prefix(p, t)
        if sub is None:
            return None
        out += sub
    return out
