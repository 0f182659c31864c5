"""Built-in dataset adapters; importing this package registers them."""

from segbench.datasets.adapters import shapes  # noqa: F401
from segbench.datasets.adapters import ade20k, cityscapes, coco, mapillary, nyudv2, pascal_context, sift_flow, voc  # noqa: F401,E401

from segbench.datasets.adapters import nuclei  # noqa: F401,E402 - issue 6
