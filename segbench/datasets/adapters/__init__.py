"""Built-in dataset adapters; importing this package registers them."""

from segbench.datasets.adapters import shapes  # noqa: F401
from segbench.datasets.adapters import nuclei  # noqa: F401,E402 - issue 6
