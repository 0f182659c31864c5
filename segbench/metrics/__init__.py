"""Metric definitions: mergeable sufficient statistics and ``compute()``; ratios only in compute."""
