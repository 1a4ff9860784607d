"""Exact, typed, in-place gradient clipping for NumPy."""
