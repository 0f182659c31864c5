"""Exception hierarchy. Every message is one line naming the file, the value and what was expected.

The CLI turns any :class:`SegbenchError` into a red one-line message and exit code 2.
"""

from __future__ import annotations


class SegbenchError(Exception):
    """Base class of all errors segbench reports to users (exit code 2 in the CLI)."""

    exit_code = 2

    def __init__(self, message: str):
        # Keep messages to a single line: the CLI prints them as is.
        super().__init__(" ".join(str(message).split()))


class InputError(SegbenchError):
    """Bad user input: a file, a value or an option that does not fit what was expected."""


class LabelRangeError(InputError):
    """A label map holds a value outside the valid class range."""


class ShapeMismatchError(InputError):
    """Ground truth and prediction differ in size."""


class MissingPredictionError(InputError):
    """Ground-truth items have no matching prediction."""


class FormatError(InputError):
    """A file cannot be read or is not in the expected format."""


class UnknownNameError(SegbenchError):
    """A registry lookup (dataset, model, format, ...) failed."""


class RegressionError(SegbenchError):
    """A leaderboard check found regressions (the CLI exits 1)."""

    exit_code = 1
