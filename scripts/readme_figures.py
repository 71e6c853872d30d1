"""The default case's figures that README.md quotes, from one solve: `python scripts/readme_figures.py`.

Prints the arithmetic paragraph of README "What the default case prints" (campus heat, heat pumps,
electricity, plants, losses, rejected share) from `dhopt.solve_case` on the embedded case, so the
README's numbers can be checked against the program (and refreshed when the model changes).
"""

from __future__ import annotations

import dhopt
from dhopt.data import DEFAULT_CASE


def main() -> None:
    solution = dhopt.solve_case(DEFAULT_CASE)
    k, ds = solution.kpis, solution.dataset
    hours = float(ds["weight_h"].sum())
    plants = (ds["plant_heat_MW"] * ds["weight_h"]).sum("time").to_series().groupby(ds["plant_technology"].values).sum()
    lines = [
        f"case {DEFAULT_CASE.name}: {len(ds['time'])} h standing for {hours:,.0f} h/yr",
        f"campus heat recoverable {k['campus_heat_available_MWh'] / 1e3:,.1f} GWh/yr = {k['campus_heat_available_MWh'] / hours:.1f} MW mean",
        f"heat pumps deliver {k['hp_heat_MWh'] / 1e3:,.1f} GWh/yr ({k['hp_heat_MWh'] / hours:.1f} MW mean) at mean COP {k['hp_mean_cop']:.2f}",
        f"campus heat drawn {k['campus_heat_reused_MWh'] / 1e3:,.1f} GWh/yr ({k['campus_heat_reused_MWh'] / hours:.1f} MW mean), "
        f"electricity {k['hp_electricity_MWh'] / 1e3:,.1f} GWh/yr",
        f"homes heated by waste heat {k['homes_heated_by_campus']:,.0f}",
        f"demand {k['heat_demand_MWh'] / 1e3:,.1f} GWh/yr, losses {k['network_losses_MWh'] / 1e3:,.1f} GWh/yr, "
        f"existing plants {k['plant_heat_MWh'] / 1e3:,.1f} GWh/yr ("
        + ", ".join(f"{t} {mwh / 1e3:,.1f}" for t, mwh in plants.items())
        + ")",
        f"campus heat rejected {k['rejected_heat_MWh'] / k['campus_heat_available_MWh']:.0%}",
        f"annual cost {k['annual_cost_EUR']:,.0f} EUR/yr, heat pumps {k['hp_capacity_MW']:.1f} MW, storage {k['storage_capacity_MWh']:,.0f} MWh",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
