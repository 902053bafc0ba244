"""The first half of the tutorial gradcore's users start from, as written there, with
``import gradcore as torch``: leaf tensors with requires_grad, grad_fn, backward, .grad."""
import gradcore as torch

x = torch.randn(3, 4, requires_grad=True)
print(x)

b = torch.randn(3, 4, requires_grad=True)
t = x + b
y = t.sum()
print(y)

y.backward()
print(b.grad)

print((x.requires_grad, b.requires_grad, t.requires_grad))
