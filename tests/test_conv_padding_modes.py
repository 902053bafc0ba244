"""nn.Conv1d/2d/3d with padding_mode 'reflect' / 'replicate' / 'circular' against PyTorch:
the padding goes through F.pad as PyTorch's module does, so the graph holds PyTorch's pad
nodes (ReflectionPad2DBackward0 ...), and the outputs and gradients match."""
import numpy as np
import pytest

import gradcore


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("cls,shape", [("Conv1d", (2, 3, 7)), ("Conv2d", (1, 3, 6, 5)),
                                       ("Conv3d", (1, 2, 4, 5, 4))])
def test_padding_mode_matches_torch(torch, cls, shape, mode):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    torch.manual_seed(0)
    tm = getattr(torch.nn, cls)(shape[1], 4, 3, padding=2, padding_mode=mode)
    gm = getattr(gradcore.nn, cls)(shape[1], 4, 3, padding=2, padding_mode=mode)
    gm.load_state_dict({k: gradcore.tensor(v.detach().numpy())
                        for k, v in tm.state_dict().items()})
    xt, xg = torch.tensor(x, requires_grad=True), gradcore.tensor(x, requires_grad=True)
    yt, yg = tm(xt), gm(xg)
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    # the pad's node under the convolution's: the input's branch of ConvolutionBackward0
    pad_t = yt.grad_fn.next_functions[0][0].name()
    pad_g = yg.grad_fn.next_functions[0][0].name()
    assert pad_g.replace("torch::autograd::", "") == pad_t.replace("torch::autograd::", "")
    g = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    yt.backward(torch.tensor(g))
    yg.backward(gradcore.tensor(g))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gm.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-4,
                               atol=1e-4)
