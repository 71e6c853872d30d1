"""GIS networks: reading layers (pyogrio), reprojection, field mapping, topology from geometry, write-back."""

from __future__ import annotations

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import shapely

from dhopt.case import NetworkOptions
from dhopt.errors import NetworkError
from dhopt.gis import pipe_type_dn, utm_crs
from dhopt.network import load_network

X0, Y0 = 500_000.0, 6_170_000.0  # EPSG:25832, near Vejle


def write_layer(path, layer, geometries, crs="EPSG:25832", **fields):
    """One layer of shapely geometries and attribute arrays into a GeoPackage (or any GDAL file)."""
    names = list(fields)
    values = [np.asarray(fields[n], dtype=object if isinstance(fields[n][0], str) else None) for n in names]
    kind = shapely.get_type_id(geometries[0])
    gtype = {0: "Point", 1: "LineString", 3: "Polygon", 5: "MultiLineString"}[int(kind)]
    pyogrio.raw.write(path, shapely.to_wkb(np.asarray(geometries)), values, names, layer=layer, crs=crs,
                      geometry_type=gtype, append=path.exists() and path.suffix == ".gpkg")  # fmt: skip
    return path


def line(*points):
    return shapely.linestrings([(X0 + x, Y0 + y) for x, y in points])


def grid_gpkg(tmp_path, near_miss_m=2.0):
    """Three east-west lines 200 m long at y = 0, 100, 200 and two north-south lines along x = 100 that end
    inside them (T-junctions), the middle ones 0.1 m short of y = 100 (a 0.2 m gap between them); an
    extra stub whose end is `near_miss_m` from the east end of the top line; a plant at the south-west
    corner, a building polygon 30 m north of the bottom line and a building point on the north-east
    corner (the top line's end)."""
    path = tmp_path / "grid.gpkg"
    pipes = [line((0, 0), (200, 0)), line((0, 100), (200, 100)), line((0, 200), (200, 200)),
             line((100, 0), (100, 99.9)), line((100, 100.1), (100, 200)),
             line((200 + near_miss_m, 200), (300, 200))]  # fmt: skip
    write_layer(path, "Leitungen", pipes, NAME=[f"L{i}" for i in range(6)],
                DIM=["KMR 65/180-2v", "KMR 65/180-2v", "KMR 80/180-2v", "DN 50", "50", "KMR 65/180-2v"])  # fmt: skip
    write_layer(path, "Erzeuger", [shapely.points(X0, Y0)], NAME=["plant"], technology=["gas_boiler"],
                capacity_MW=[20.0])  # fmt: skip
    building = shapely.box(X0 + 40, Y0 + 25, X0 + 60, Y0 + 35)  # centroid (50, 30)
    write_layer(path, "Gebaeude", [building], NAME=["B1"], peak_kW=[300.0])
    write_layer(path, "Kunden", [shapely.points(X0 + 200, Y0 + 200)], NAME=["B2"], peak_kW=[200.0])
    return path


def grid_options(**changes) -> NetworkOptions:
    keys = {
        "layers": {"pipes": "Leitungen", "plants": "Erzeuger", "consumers": "Gebaeude", "nodes": "Kunden"},
        "fields": {"id": "NAME", "dn": "DIM"},
        "defaults": {"status": "existing", "kind": "consumer"},
        "snap_tolerance_m": 0.5,
        "service_status": "existing",
        "service_dn": 25,
    }
    return NetworkOptions.model_validate({**keys, **changes})


def test_gis_grid_topology_from_geometry(tmp_path):
    network = load_network(grid_gpkg(tmp_path), grid_options())
    pipes, nodes = network.pipes, network.nodes
    split = {"L1.1", "L1.2", "L2.1", "L2.2"}  # east-west lines split at x = 100 (and the bottom one at x = 50)
    assert set(pipes.index) == split | {"L0.1", "L0.2", "L0.3", "L3", "L4", "L5", "S_B1"}
    assert pipes.loc["L0.1", "length_m"] == pytest.approx(50.0)  # split again at the service line's foot
    assert pipes["length_m"].sum() == pytest.approx(600 + 99.9 + 99.9 + 98 + 30)
    # the two north-south lines meet the middle line at one junction, 0.1 m from each end
    middle = pipes.loc["L3", "to_node"]
    assert middle == pipes.loc["L4", "from_node"] and middle in {pipes.loc["L1.1", "to_node"]}
    assert nodes.loc[middle, ["x_m", "y_m"]].tolist() == pytest.approx([X0 + 100, Y0 + 100])
    assert pipes.loc["S_B1", ["from_node", "to_node", "status", "dn"]].tolist()[1:] == ["B1", "existing", 25]
    assert nodes.loc[pipes.loc["S_B1", "from_node"], ["x_m", "y_m"]].tolist() == pytest.approx([X0 + 50, Y0])
    assert pipes.loc["L0.3", "dn"] == 65 and pipes.loc["L2.1", "dn"] == 80 and pipes.loc["L3", "dn"] == 50
    assert pipes.loc["L0.1", "from_node"] == "plant"  # the plant point sits on the line's end
    text = "\n".join(network.warnings)
    assert "T-junction at (500100.00, 6170000.00): pipe 'L3' ends inside pipe 'L0'" in text
    assert (
        "nearly touching ends at (500202.00, 6170200.00) (pipe 'L5') and (500200.00, 6170200.00) (pipe 'L2'), 2.00 m"
        in text
    )
    assert "building 'B1' at (500050.00, 6170030.00) has no pipe: existing service line 'S_B1' (30.0 m)" in text
    assert network.crs.working == "EPSG:25832" and "kept" in network.crs.note


def test_gis_duplicate_and_zero_length_lines_dropped(tmp_path):
    path = tmp_path / "dup.gpkg"
    pipes = [line((0, 0), (100, 0)), line((100, 0), (0, 0.1)), line((100, 0), (100, 0.2))]
    write_layer(path, "pipes", pipes, id=["A", "B", "Z"], dn=[100, 100, 100], status=["existing"] * 3)
    write_layer(path, "nodes", [shapely.points(X0, Y0), shapely.points(X0 + 100, Y0)], id=["P", "C"],
                kind=["plant", "consumer"], technology=["gas_boiler", ""], capacity_MW=[5.0, np.nan],
                peak_kW=[np.nan, 100.0])  # fmt: skip
    network = load_network(path)
    assert list(network.pipes.index) == ["A"]
    text = "\n".join(network.warnings)
    assert "pipe 'B' from (500100.00, 6170000.00) duplicates pipe 'A' (within 0.5 m): dropped, 'A' kept" in text
    assert (
        "pipe 'Z' at (500100.00, 6170000.00): zero-length line (0.20 m, within snap_tolerance_m 0.5), dropped" in text
    )


def test_gis_reprojects_lonlat_to_utm(tmp_path):
    """pyproj's documented example (Transformer, "Getting started"): EPSG:4326 (50, -80) -> EPSG:32617 is
    x 571666.45, y 5539109.82; here the same point as lon -80, lat 50, in the UTM zone of its centroid (17N)."""
    path = tmp_path / "lonlat.gpkg"
    a, b = shapely.points(-80.0, 50.0), shapely.points(-79.99, 50.0)
    write_layer(path, "pipes", [shapely.linestrings([(-80.0, 50.0), (-79.99, 50.0)])], crs="EPSG:4326",
                id=["P1"], status=["existing"], dn=[100])  # fmt: skip
    write_layer(path, "nodes", [a, b], crs="EPSG:4326", id=["S", "C"], kind=["plant", "consumer"],
                technology=["gas_boiler", ""], capacity_MW=[5.0, np.nan], peak_kW=[np.nan, 100.0])  # fmt: skip
    network = load_network(path)
    assert network.crs.working == "EPSG:32617" and network.crs.input == "EPSG:4326"
    assert "WGS 84 / UTM zone 17N" in network.crs.note
    assert network.nodes.loc["S", ["x_m", "y_m"]].tolist() == pytest.approx([571666.45, 5539109.82], abs=0.01)
    assert network.pipes.loc["P1", "length_m"] == pytest.approx(716.9, abs=1.0)  # 0.01 deg of longitude at 50 N


def test_gis_utm_zone_of_a_known_place():
    assert utm_crs(12.57, 55.68) == "EPSG:32633"  # Copenhagen: UTM 33N
    assert utm_crs(8.99, 54.19) == "EPSG:32632"  # Heide: UTM 32N


@pytest.mark.parametrize(("text", "dn"), [("KMR 65/180-2v", 65), ("isoplus DRE 100/225", 100), ("DN 250", 250)])
def test_gis_manufacturer_code_parsed(text, dn):
    assert pipe_type_dn(text) == dn


def test_gis_field_mapping_and_one_part_multilinestring(tmp_path):
    multi = shapely.multilinestrings([line((0, 0), (100, 0))])  # a QGIS export: one part
    folder = tmp_path / "folder"
    folder.mkdir()
    write_layer(folder / "pipes.shp", "pipes", [multi], ROHR_ID=["R1"], DIM=["KMR 100/225-2v"], ZUSTAND=["existing"])
    write_layer(folder / "nodes.shp", "nodes", [shapely.points(X0, Y0), shapely.points(X0 + 100, Y0)],
                ROHR_ID=["W", "H"], TYP=["plant", "consumer"], technology=["gas_boiler", ""],
                LEISTUNG=[5.0, np.nan], peak_kW=[np.nan, 80.0])  # fmt: skip
    fields = {"id": "ROHR_ID", "dn": "DIM", "status": "ZUSTAND", "kind": "TYP", "capacity_MW": "LEISTUNG"}
    network = load_network(folder, NetworkOptions(fields=fields))  # a folder of Shapefiles: one layer each
    assert network.pipes.loc["R1", ["from_node", "to_node", "dn", "status"]].tolist() == ["W", "H", 100, "existing"]
    assert network.nodes.loc["W", "capacity_MW"] == 5.0
    with pytest.raises(NetworkError, match=r"key 'network_options.fields.capacity_MW': expected an attribute of the "
                       r"layers, got 'CAPACITY' \(attributes: DIM, LEISTUNG, "):  # fmt: skip
        load_network(folder, NetworkOptions(fields={**fields, "capacity_MW": "CAPACITY"}))
    assert network.pipes.loc["R1", "length_m"] == pytest.approx(100.0)
    with pytest.raises(NetworkError, match=r"key 'network_options.fields.capcity_MW': expected a network field "
                       r"name; did you mean 'capacity_MW'\?"):  # fmt: skip
        load_network(folder, NetworkOptions(fields={**fields, "capcity_MW": "LEISTUNG"}))


def test_gis_bad_input_is_one_line_naming_file_layer_feature_field(tmp_path):
    path = grid_gpkg(tmp_path)
    gpkg = pyogrio.read_info(path, layer="Leitungen")
    assert gpkg["features"] == 6
    write_layer(tmp_path / "bad.gpkg", "Leitungen", [line((0, 0), (200, 0)), line((0, 0), (0, 90))],
                NAME=["L0", "L1"], DIM=["KMR 65/180-2v", "PE-Xa"])  # fmt: skip
    write_layer(tmp_path / "bad.gpkg", "Erzeuger", [shapely.points(X0, Y0)], NAME=["plant"],
                technology=["gas_boiler"], capacity_MW=[20.0])  # fmt: skip
    write_layer(tmp_path / "bad.gpkg", "Gebaeude", [shapely.points(X0 + 200, Y0)], NAME=["B1"], peak_kW=[300.0])
    write_layer(tmp_path / "bad.gpkg", "Kunden", [shapely.points(X0, Y0 + 90)], NAME=["B2"], peak_kW=[-5.0])
    with pytest.raises(NetworkError) as error:
        load_network(tmp_path / "bad.gpkg", grid_options())
    assert error.value.problems == [
        f"{tmp_path / 'bad.gpkg'}: layer 'Kunden': feature 0 (id 'B2'): field 'peak_kW': expected a non-negative "
        "number of kW, got -5.0",
        f"{tmp_path / 'bad.gpkg'}: layer 'Leitungen': feature 1 (id 'L1'): field 'dn': expected a catalogue DN in mm "
        "such as 150 or 'DN150' (or give inner_diameter_mm for another size), got 'PE-Xa' (not a DN)",
    ]


def test_gis_multipart_line_refused_with_its_id(tmp_path):
    path = tmp_path / "multi.gpkg"
    multi = shapely.multilinestrings([line((0, 0), (50, 0)), line((60, 0), (100, 0))])
    write_layer(path, "pipes", [multi], id=["M1"], dn=[100], status=["existing"])
    write_layer(path, "nodes", [shapely.points(X0, Y0)], id=["P"], kind=["plant"], technology=["gas_boiler"],
                capacity_MW=[5.0])  # fmt: skip
    with pytest.raises(NetworkError, match=r"layer 'pipes': feature 0 \(id 'M1'\): field 'geometry': expected a "
                       r"LineString or a one-part MultiLineString \(split it into pipes\), got a MultiLineString of 2"):  # fmt: skip
        load_network(path)


def test_gis_pipe_far_from_its_nodes_warned(tmp_path):
    from builders import write_network

    path = write_network(tmp_path, [("P", 0.0, 0.0, {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 5}),
                                    ("C", 100.0, 0.0, {"kind": "consumer", "peak_kW": 50})],
                         [("E1", "P", "C", {"status": "existing", "dn": 100})])  # fmt: skip
    text = path.read_text().replace("[100.0, 0.0]]", "[1100.0, 0.0]]")
    path.write_text(text)
    network = load_network(path)
    assert network.warnings == (
        "pipe 'E1': its geometry ends 1,000.0 m from its nodes 'P' (0.0, 0.0) and 'C' (100.0, 0.0) (beyond "
        "snap_tolerance_m 0.5); its length comes from the geometry unless length_m is given",
    )


def test_gis_round_trip_keeps_ids_and_geometry(tmp_path):
    """Read a GeoPackage (EPSG:25832, pipes without from/to), solve 24 hours, write the layers, read them
    back: every pipe and consumer id, every pipe's geometry (within 1 mm) and the CRS are the input's."""
    from builders import write_series

    from dhopt.planning.gis_export import export_gis
    from dhopt.run import run_case

    path = tmp_path / "net.gpkg"
    pipes = [line((0, 0), (400, 0)), line((400, 0), (400, 300)), line((400, 0), (800, 0))]
    write_layer(path, "pipes", pipes, id=["P1", "P2", "P3"], dn=["KMR 100/225-2v", "KMR 65/180-2v", "DN80"])
    write_layer(path, "plants", [shapely.points(X0, Y0)], id=["W"], technology=["gas_boiler"], capacity_MW=[10.0])
    houses = [shapely.box(X0 + 390, Y0 + 300, X0 + 410, Y0 + 320), shapely.box(X0 + 800, Y0 - 10, X0 + 820, Y0 + 10)]
    write_layer(path, "buildings", houses, id=["H1", "H2"], annual_heat_MWh=[2000.0, 1500.0])
    series = write_series(tmp_path, 24)
    case = tmp_path / "gis.toml"
    case.write_text(
        f'name = "gis"\nnetwork = "{path}"\ntimeseries = "{series}"\n[horizon]\nhours = 24\n'
        '[network_options]\nsnap_tolerance_m = 0.5\nservice_status = "existing"\nservice_dn = 80\n'
        '[network_options.layers]\npipes = "pipes"\nplants = "plants"\nconsumers = "buildings"\n'
        '[network_options.defaults]\nstatus = "existing"\n'
    )
    result = run_case(case, tmp_path / "out")
    assert result.kpis["heat_demand_MWh"] > 0
    written = export_gis(tmp_path / "out")
    assert [p.name for p in written] == ["design.gpkg", "pipes.geojson", "consumers.geojson", "manifest.json"]
    for name in ("design.gpkg", "pipes.geojson"):
        meta, _, geometry, values = pyogrio.raw.read(written[0].parent / name, layer="pipes")
        fields = dict(zip(meta["fields"], values, strict=True))
        assert meta["crs"] == "EPSG:25832"
        back = dict(zip(fields["id"], shapely.from_wkb(geometry), strict=True))
        assert set(back) >= {"P1", "P2", "P3"}
        for pipe, original in zip(["P1", "P2", "P3"], pipes, strict=True):
            assert shapely.equals_exact(back[pipe], original, 1e-3)
        assert set(fields) >= {"dn", "built", "peak_flow_MW", "hours_at_capacity_h", "peak_velocity_m_per_s"}
        assert np.nanmax(fields["peak_velocity_m_per_s"]) > 0
    meta, _, geometry, values = pyogrio.raw.read(written[0], layer="consumers")
    fields = dict(zip(meta["fields"], values, strict=True))
    assert sorted(fields["id"]) == ["H1", "H2"]
    assert fields["heat_delivered_MWh"] + fields["unmet_MWh"] == pytest.approx(fields["demand_MWh"])
    assert fields["heat_delivered_MWh"].sum() == pytest.approx(3500.0, rel=1e-3)  # 24 h scaled to the year
    assert np.all(fields["peak_supply_degC"] > 40)


def test_gis_reader_agrees_with_the_geojson_loader_on_heide():
    """The committed OpenStreetMap network (networks/heide.geojson) read through GDAL gives the same tables."""
    from builders import REPO

    plain = load_network(REPO / "networks" / "heide.geojson")
    through_gdal = load_network(REPO / "networks" / "heide.geojson", NetworkOptions())
    assert through_gdal.warnings == plain.warnings == ()
    assert through_gdal.pipes.index.equals(plain.pipes.index)
    assert np.allclose(through_gdal.pipes["length_m"], plain.pipes["length_m"])
    assert (through_gdal.pipes[["from_node", "to_node"]] == plain.pipes[["from_node", "to_node"]]).all().all()
