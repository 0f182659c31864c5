"""Regression leaderboards: one JSON file of entries per benchmark, checks with tolerances.

See :mod:`segbench.leaderboard.board` (files and entries), :mod:`segbench.leaderboard.check`
(regression check, tables) and :mod:`segbench.leaderboard.render` (``leaderboards/README.md``).
"""
