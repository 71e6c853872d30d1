"""Exceptions raised by dhopt; the CLI turns any `DhoptError` into one line per problem."""

from __future__ import annotations


class DhoptError(Exception):
    """Base of every error dhopt raises on purpose.

    ``problems`` holds one self-contained line per problem (file, feature or row, field,
    what was expected); ``str(error)`` joins them with newlines.
    """

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class NetworkError(DhoptError, ValueError):
    """A network file is malformed or inconsistent."""


class CaseError(DhoptError, ValueError):
    """A case file or one of its time series is malformed or inconsistent."""


class SolverError(DhoptError, RuntimeError):
    """The solver failed, hit its limit without a solution, or the model is infeasible."""


class InfeasibleError(SolverError):
    """No dispatch satisfies the model's hard constraints; the message names the conflict."""
