"""Similarity and distance modules, EmbeddingBag, Bilinear and the other layers of the functional extras."""

__all__ = []
