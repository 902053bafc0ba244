"""Gradient clipping and the other parameter utilities of torch.nn.utils."""

__all__ = []
