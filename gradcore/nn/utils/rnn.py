"""Packed and padded sequences for the recurrent layers (torch.nn.utils.rnn)."""

__all__ = []
