"""Numba kernels and, beside each, a plain-numpy reference (``reference.py``). No I/O, no torch."""
