"""Build networks/topotherm_district.{nodes,edges}.csv from the topotherm one-producer district.

Run by hand from the project root (reads the shared reference data, never at run time):

    python networks/build_topotherm.py [SHARED_DATA_DIR]   # default ../shared/data

ConsumerNode -> consumer (peak_kW = peak_heat_W / 1000, profile residential); ProducerNode -> plant
gas_boiler sized 1.2 x the total peak, rounded up to a whole MW; InnerNode/RoadNode -> junction.
Every edge is a candidate pipe with the whole DN catalogue. x_m, y_m are topotherm's anonymised x_rel, y_rel.
"""

from __future__ import annotations

from _common import NETWORKS, plant_capacity_MW, read_topotherm, shared_dir


def main() -> None:
    nodes, edges, peak_W = read_topotherm(shared_dir(__doc__.splitlines()[0]))
    kind = nodes["node_type"].map({"ConsumerNode": "consumer", "ProducerNode": "plant"}).fillna("junction")
    out = nodes[["x_m", "y_m"]].assign(kind=kind)
    out["peak_kW"] = (peak_W / 1000.0).round(5)
    out.loc[kind == "consumer", "profile"] = "residential"
    out.loc[kind == "plant", "technology"] = "gas_boiler"
    out.loc[kind == "plant", "capacity_MW"] = plant_capacity_MW(out["peak_kW"].sum())
    out = out.reset_index()[["id", "kind", "x_m", "y_m", "peak_kW", "profile", "technology", "capacity_MW"]]
    out.to_csv(NETWORKS / "topotherm_district.nodes.csv", index=False)
    edges[["id", "from", "to", "length_m"]].assign(status="candidate").to_csv(
        NETWORKS / "topotherm_district.edges.csv", index=False
    )
    print(
        f"topotherm_district: {len(out)} nodes {kind.value_counts().to_dict()}, {len(edges)} candidate edges "
        f"({edges['length_m'].sum():,.0f} m); peak {out['peak_kW'].sum() / 1000:.2f} MW, "
        f"plant {out['capacity_MW'].max():.0f} MW"
    )


if __name__ == "__main__":
    main()
