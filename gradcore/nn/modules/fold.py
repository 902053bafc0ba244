"""Unfold/Fold, PixelShuffle/PixelUnshuffle, Upsample and the padding layers."""

__all__ = []
