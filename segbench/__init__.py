"""segbench: benchmark image-segmentation models.

Exact, fast evaluation (semantic, instance, panoptic) that matches the official tools,
dataset adapters, a model registry, paper-style tables and a regression leaderboard.
See DESIGN.md (shared) and docs/ for the layering and the metric conventions.
"""

__version__ = "0.1.0"
