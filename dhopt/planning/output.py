"""Write a planning table (CSV) and its figure (PNG) atomically: each file is complete or absent."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from dhopt.files import write_atomically  # noqa: E402


def write_table(path: Path, table: pd.DataFrame) -> Path:
    """`table` as CSV at `path` (no index), written through a temporary file and renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda p: table.to_csv(p, index=False))
    return path


def write_figure(path: Path, figure: plt.Figure) -> Path:
    """`figure` as PNG at `path` (150 dpi), written through a temporary file and renamed; closes it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_atomically(path, lambda p: figure.savefig(p, format="png", dpi=150, bbox_inches="tight"))
    finally:
        plt.close(figure)
    return path
