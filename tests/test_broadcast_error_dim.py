"""The broadcasting error names PyTorch's mismatch: sizes are compared from the last dim (its
infer_size), so with several mismatched dims the rightmost one is reported."""
import pytest

import gradcore


@pytest.mark.parametrize("a,b", [((3, 2), (2, 5)), ((4, 3, 2), (5, 3, 7)), ((2, 1, 3), (4, 5, 6)),
                                 ((2, 3), (4, 5, 4)), ((5, 1), (3, 4))])
def test_binary_op_broadcast_error_names_the_last_mismatched_dim(torch, a, b):
    messages = []
    for lib in (torch, gradcore):
        with pytest.raises(RuntimeError) as e:
            lib.ones(a) + lib.ones(b)
        messages.append(str(e.value))
    assert messages[1] == messages[0]
