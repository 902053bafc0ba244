"""Attention and transformers: MultiheadAttention, TransformerEncoder/DecoderLayer, TransformerEncoder/Decoder, Transformer."""

__all__ = []
