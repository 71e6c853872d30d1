"""dhopt: plan how a data-center campus feeds its waste heat into a district-heating network.

The public solve path: ``dhopt.solve_case(case, options) -> Solution`` (`dhopt.run.solve_case`), with
``dhopt.SolveOptions``; imported on first use, so ``import dhopt`` stays light.
"""

__version__ = "0.1.0"
__all__ = ["Solution", "SolveOptions", "SolveStatus", "solve_case"]


def __getattr__(name: str):
    """`solve_case`, `Solution`, `SolveOptions` and `SolveStatus`, imported when first asked for."""
    if name in ("solve_case", "Solution"):
        from dhopt import run

        return getattr(run, name)
    if name in ("SolveOptions", "SolveStatus"):
        from dhopt import solve

        return getattr(solve, name)
    raise AttributeError(f"module 'dhopt' has no attribute {name!r}")
