"""Typical days for the design stage, chosen by tsam (hierarchical clustering, medoid days).

The days are real days of the horizon (medoids), each weighted by how many days it stands for,
plus the day of peak demand as its own period (weight 1), so capacities are sized for the peak. The
days are clustered on demand, campus heat, electricity price, supply temperature and, for campuses with
their own electricity, PV yield and IT load.
The order of the days over the year is kept, so storage can carry heat from day to day
(`dhopt.model.storage`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dhopt.inputs import Inputs

HOURS_PER_DAY = 24


def can_aggregate(inputs: Inputs, n_days: int) -> bool:
    """Typical days need whole days and clearly more days than typical days."""
    hours = len(inputs.weight_h)
    return hours % HOURS_PER_DAY == 0 and hours // HOURS_PER_DAY > 2 * n_days


def typical_days(inputs: Inputs, n_days: int) -> Inputs:
    """Inputs restricted to `n_days` typical days plus the peak day, weighted by occurrence."""
    import tsam  # imported here: it costs about a second, and only two-stage runs need it

    hours = len(inputs.weight_h)
    features = pd.DataFrame(
        {
            "demand_MW": inputs.demand_MW.sum(axis=1).to_numpy(),
            "source_heat_MW": inputs.source_heat_MW.sum(axis=1).to_numpy(),
            "electricity_EUR_per_MWh": inputs.electricity_EUR_per_MWh.to_numpy(),
            "supply_degC": inputs.supply_degC.to_numpy(),
        },
        index=pd.date_range("2001-01-01", periods=hours, freq="h"),
    )
    if not inputs.power.empty:  # the campuses' own electricity: PV yield (irradiance) and IT load
        features["pv_yield_MW_per_MWp"] = inputs.pv_yield_MW_per_MWp.mean(axis=1).to_numpy()
        features["it_load_MW"] = inputs.it_load_MW.sum(axis=1).to_numpy()
    features = features.loc[:, features.std() > 0]
    result = tsam.aggregate(
        features,
        n_days,
        period_duration=HOURS_PER_DAY,
        extremes=tsam.ExtremeConfig(method="append", max_value=["demand_MW"]),
        preserve_column_means=False,
    )
    days = np.asarray(result.clustering.cluster_centers, dtype=int)
    counts = np.array([result.cluster_counts[c] for c in range(len(days))], dtype=float)
    positions = (days[:, None] * HOURS_PER_DAY + np.arange(HOURS_PER_DAY)).ravel()
    scale = float(inputs.weight_h.mean())  # a shorter horizon already stands for a whole year
    sequence = np.asarray(result.cluster_assignments, dtype=int)
    return inputs.at_steps(positions, np.repeat(counts, HOURS_PER_DAY) * scale, HOURS_PER_DAY, sequence)
