"""Data shipped inside the package: the isoplus pipe catalogue and the embedded default case.

The default case (``default/``: the Ballerup case, its network and its hourly series; sources and
attribution in ``default/README.md``) is installed with the package, so ``dhopt run`` works from any
folder after a plain ``pip install``.
"""

from importlib import resources
from pathlib import Path

DEFAULT_DIR = Path(resources.files(__name__) / "default")  # a real folder for a package installed as files
DEFAULT_CASE = DEFAULT_DIR / "ballerup.toml"
DEFAULT_NETWORK = DEFAULT_DIR / "ballerup.geojson"
DEFAULT_TIMESERIES = DEFAULT_DIR / "dk_2019_hourly.csv"
