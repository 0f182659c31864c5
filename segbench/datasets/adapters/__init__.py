"""Built-in dataset adapters; importing this package registers them."""

from segbench.datasets.adapters import shapes  # noqa: F401
