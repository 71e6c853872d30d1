"""Tests of dhopt.network: loading, defaults, every documented problem, and robustness."""

from __future__ import annotations

import copy
import csv
import json
import math

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dhopt.errors import NetworkError
from dhopt.network import NODE_COLUMNS, PIPE_COLUMNS, load_network
from dhopt.physics import pipe_catalogue

# feature order: S1 0, B1 1, J1 2, C1 3, C2 4, P1 5, P2 6, P3 7, P4 8
NODES = [
    ("S1", (1000.0, 2000.0), {"kind": "source", "it_load_MW": 10, "cooling": "liquid"}),
    ("B1", (1000.0, 2300.0), {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 20}),
    ("J1", (1300.0, 2000.0), {"kind": "junction"}),
    ("C1", (1300.0, 2140.0), {"kind": "consumer", "homes": 100}),
    ("C2", (1600.0, 2000.0), {"kind": "consumer", "annual_heat_MWh": 500, "profile": "commercial"}),
]
PIPES = [
    ("P1", [[1000, 2000], [1300, 2000]], {"from": "S1", "to": "J1", "status": "existing", "dn": 150}),
    (
        "P2",
        [[1300, 2000], [1300, 2100], [1330, 2140]],
        {"from": "J1", "to": "C1", "status": "candidate", "dn_options": [150, 100]},
    ),
    ("P3", [[1300, 2000], [1600, 2000]], {"from": "J1", "to": "C2", "status": "candidate", "length_m": 310}),
    ("P4", [[1000, 2300], [1000, 2000]], {"from": "B1", "to": "S1", "status": "existing", "dn": "DN100"}),
]
P2_LENGTH_M = 100.0 + math.hypot(30.0, 40.0)  # 150 m


def collection() -> dict:
    """The valid test network as a GeoJSON FeatureCollection (a fresh copy)."""
    features = [
        {"type": "Feature", "properties": {"id": i, **p}, "geometry": {"type": "Point", "coordinates": list(xy)}}
        for i, xy, p in NODES
    ] + [
        {"type": "Feature", "properties": {"id": i, **p}, "geometry": {"type": "LineString", "coordinates": line}}
        for i, line, p in PIPES
    ]
    return copy.deepcopy({"type": "FeatureCollection", "features": features})


def write(tmp_path, data, name="net.geojson"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def props(data: dict, ident: str) -> dict:
    """The properties of the feature with ``ident`` (to mutate in place)."""
    return next(f["properties"] for f in data["features"] if f["properties"].get("id") == ident)


DELETE = object()


def load_with(tmp_path, **changes):
    """Load the test network after ``changes`` = {feature id: {field: value or DELETE}}."""
    data = collection()
    for ident, fields in changes.items():
        for key, value in fields.items():
            if value is DELETE:
                props(data, ident).pop(key)
            else:
                props(data, ident)[key] = value
    return load_network(write(tmp_path, data))


def write_csv_pair(tmp_path, stem="net"):
    """The test network as ``<stem>.nodes.csv`` + ``<stem>.edges.csv``; returns the nodes path."""
    node_fields = [
        "id",
        "kind",
        "x_m",
        "y_m",
        "it_load_MW",
        "cooling",
        "technology",
        "capacity_MW",
        "homes",
        "annual_heat_MWh",
        "profile",
    ]
    node_rows = [{"id": i, "x_m": xy[0], "y_m": xy[1], **p} for i, xy, p in NODES]
    lengths = {"P1": 300.0, "P2": P2_LENGTH_M, "P4": 300.0}
    edge_rows = [
        {
            "id": i,
            "length_m": p.get("length_m", lengths.get(i)),
            **p,
            "dn_options": ";".join(map(str, p.get("dn_options", []))),
        }
        for i, _, p in PIPES
    ]
    for path, fields, rows in (
        (tmp_path / f"{stem}.nodes.csv", node_fields, node_rows),
        (tmp_path / f"{stem}.edges.csv", ["id", "from", "to", "length_m", "status", "dn", "dn_options"], edge_rows),
    ):
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fields)
            writer.writeheader()
            writer.writerows(rows)
    return tmp_path / f"{stem}.nodes.csv"


# ------------------------------------------------------------------------------------ valid input
def test_network_geojson_loads_tables_and_graph(tmp_path):
    net = load_network(write(tmp_path, collection()))
    assert list(net.nodes.columns) == list(NODE_COLUMNS)
    assert list(net.pipes.columns) == list(PIPE_COLUMNS)
    assert net.nodes.index.name == "id" and net.pipes.index.name == "id"
    assert list(net.nodes.index) == ["S1", "B1", "J1", "C1", "C2"]
    assert net.nodes.loc["C1", ["x_m", "y_m"]].tolist() == [1300.0, 2140.0]
    assert isinstance(net.graph, nx.MultiGraph)
    assert set(net.graph.nodes) == set(net.nodes.index)
    assert sorted(k for _, _, k in net.graph.edges(keys=True)) == ["P1", "P2", "P3", "P4"]
    assert net.graph.nodes["S1"]["it_load_MW"] == 10.0
    assert net.graph.edges["J1", "C1", "P2"]["length_m"] == pytest.approx(150.0)


def test_network_geojson_applies_defaults(tmp_path):
    nodes = load_network(write(tmp_path, collection())).nodes
    source, plant, c1, c2 = nodes.loc["S1"], nodes.loc["B1"], nodes.loc["C1"], nodes.loc["C2"]
    assert (source.source_temperature_degC, source.recovered_share, source.profile) == (45.0, 0.80, "it_utilisation")
    assert (plant.must_run_MW, plant.marginal_cost_EUR_per_MWh, plant.co2_t_per_MWh) == (0.0, 37.0, 0.208)
    assert math.isnan(plant.electric_efficiency)
    assert (c1.profile, c1.homes, c2.profile, c2.annual_heat_MWh) == ("residential", 100.0, "commercial", 500.0)
    assert math.isnan(c1.annual_heat_MWh) and math.isnan(c1.peak_kW)
    assert nodes.loc[["S1", "J1", "C1"], "capacity_MW"].isna().all()
    assert pd.isna(nodes.loc["J1", "profile"]) and pd.isna(nodes.loc["C1", "cooling"])


def test_network_air_cooling_and_electric_boiler_defaults(tmp_path):
    net = load_with(tmp_path, S1={"cooling": "air"}, B1={"technology": "electric_boiler", "must_run_MW": "2"})
    assert net.nodes.loc["S1", ["source_temperature_degC", "recovered_share"]].tolist() == [27.0, 0.90]
    assert net.nodes.loc["B1", ["marginal_cost_EUR_per_MWh", "co2_t_per_MWh", "electric_efficiency"]].tolist() == [
        1.0,
        0.0,
        0.99,
    ]
    assert net.nodes.loc["B1", "must_run_MW"] == 2.0


def test_network_given_values_win_over_defaults(tmp_path):
    net = load_with(
        tmp_path,
        S1={"source_temperature_degC": 60, "recovered_share": 0.5, "profile": "campus_a"},
        B1={"marginal_cost_EUR_per_MWh": -3, "co2_t_per_MWh": 0.1},
    )
    assert net.nodes.loc["S1", ["source_temperature_degC", "recovered_share"]].tolist() == [60.0, 0.5]
    assert net.nodes.loc["S1", "profile"] == "campus_a"
    assert net.nodes.loc["B1", ["marginal_cost_EUR_per_MWh", "co2_t_per_MWh"]].tolist() == [-3.0, 0.1]


def test_network_pipe_lengths_and_dns(tmp_path):
    pipes = load_network(write(tmp_path, collection())).pipes
    assert pipes["length_m"].tolist() == pytest.approx([300.0, P2_LENGTH_M, 310.0, 300.0])
    assert pipes.loc["P1", "dn"] == 150.0 and pipes.loc["P4", "dn"] == 100.0
    assert pipes.loc[["P2", "P3"], "dn"].isna().all()
    assert pipes.loc["P1", "dn_options"] == (150,)
    assert pipes.loc["P2", "dn_options"] == (100, 150)
    assert pipes.loc["P3", "dn_options"] == tuple(pipe_catalogue().index)
    assert pipes.loc["P4", ["from_node", "to_node", "status"]].tolist() == ["B1", "S1", "existing"]


def test_network_csv_pair_equals_geojson(tmp_path):
    from_geojson = load_network(write(tmp_path, collection()))
    from_csv = load_network(write_csv_pair(tmp_path))
    pd.testing.assert_frame_equal(from_csv.nodes, from_geojson.nodes)
    pd.testing.assert_frame_equal(from_csv.pipes, from_geojson.pipes)
    assert nx.utils.edges_equal(from_csv.graph.edges(keys=True), from_geojson.graph.edges(keys=True))


def test_network_csv_directory_form_loads(tmp_path):
    nodes_path = write_csv_pair(tmp_path)
    nodes_path.rename(tmp_path / "nodes.csv")
    (tmp_path / "net.edges.csv").rename(tmp_path / "edges.csv")
    assert len(load_network(tmp_path).pipes) == 4


def test_network_ignores_extra_properties_and_accepts_integer_ids(tmp_path):
    data = collection()
    for feature in data["features"]:
        feature["properties"].update({"highway": None, "addr:street": "Main", "lanes": 2})
    props(data, "J1")["id"] = 7
    for ident in ("P1", "P2", "P3"):
        props(data, ident)["to" if ident == "P1" else "from"] = 7
    net = load_network(write(tmp_path, data))
    assert "7" in net.nodes.index and net.pipes.loc["P1", "to_node"] == "7"
    assert "highway" not in net.nodes.columns


def test_network_pipe_id_may_equal_node_id(tmp_path):
    net = load_with(tmp_path, P3={"id": "C2"})
    assert "C2" in net.pipes.index and "C2" in net.nodes.index


# ---------------------------------------------------------------------------------- unreadable files
@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", r"net\.geojson: expected JSON, got a syntax error at line 1"),
        ('{"type": "Feature", "features": []}', r"expected a GeoJSON FeatureCollection .* got 'Feature'"),
        ("[1, 2]", r"expected a GeoJSON FeatureCollection"),
    ],
)
def test_network_unreadable_geojson_raises_one_line(tmp_path, content, match):
    with pytest.raises(NetworkError, match=match) as error:
        load_network(write(tmp_path, content))
    assert len(error.value.problems) == 1


def test_network_missing_file_raises(tmp_path):
    with pytest.raises(NetworkError, match=r"nowhere\.geojson: file not found"):
        load_network(tmp_path / "nowhere.geojson")


def test_network_csv_without_edges_file_raises(tmp_path):
    nodes_path = write_csv_pair(tmp_path)
    (tmp_path / "net.edges.csv").unlink()
    with pytest.raises(NetworkError, match=r"net\.edges\.csv: file not found"):
        load_network(nodes_path)


def test_network_csv_not_utf8_raises(tmp_path):
    nodes_path = write_csv_pair(tmp_path)
    nodes_path.write_bytes(b"id,kind,x_m,y_m\n\xff\xfe,source,1,2\n")
    with pytest.raises(NetworkError, match=r"net\.nodes\.csv: expected UTF-8 text"):
        load_network(nodes_path)


def test_network_csv_semicolon_separated_raises_with_hint(tmp_path):
    nodes_path = write_csv_pair(tmp_path)
    nodes_path.write_text("id;kind;x_m;y_m\nS1;source;1000;2000\n")
    with pytest.raises(NetworkError, match=r"row 1 \(header\): expected the columns id, kind, x_m, y_m.*semicolon"):
        load_network(nodes_path)


def test_network_unknown_file_type_raises(tmp_path):
    with pytest.raises(NetworkError, match=r"expected a \.geojson file"):
        load_network(write(tmp_path, "x", name="net.txt"))


# ----------------------------------------------------------------------------- per-feature problems
@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"C1": {"id": DELETE}}, r"feature 3 \(no id\): field 'id': expected a unique node id, got nothing"),
        (
            {"C2": {"id": "C1"}},
            r"feature 4 \(id 'C1'\): field 'id': expected a unique node id, got 'C1' again "
            r"\(first at feature 3\)",
        ),
        ({"P3": {"id": "P2"}}, r"feature 7 \(id 'P2'\): field 'id': expected a unique pipe id"),
        (
            {"J1": {"kind": "pump"}},
            r"feature 2 \(id 'J1'\): field 'kind': expected one of 'source', 'plant', "
            r"'consumer', 'junction', got 'pump'",
        ),
        (
            {"S1": {"it_load_MW": DELETE}},
            r"feature 0 \(id 'S1'\): field 'it_load_MW': expected a positive number "
            r"of MW \(required for a source\), got nothing",
        ),
        ({"S1": {"cooling": DELETE}}, r"feature 0 \(id 'S1'\): field 'cooling': .*required for a source"),
        ({"B1": {"technology": DELETE}}, r"feature 1 \(id 'B1'\): field 'technology': .*required for a plant"),
        ({"B1": {"capacity_MW": DELETE}}, r"feature 1 \(id 'B1'\): field 'capacity_MW': .*required for a plant"),
        (
            {"C1": {"homes": DELETE}},
            r"feature 3 \(id 'C1'\): field 'homes': expected at least one of 'homes', "
            r"'annual_heat_MWh', 'peak_kW'",
        ),
        (
            {"S1": {"it_load_MW": "lots"}},
            r"feature 0 \(id 'S1'\): field 'it_load_MW': expected a positive number "
            r"of MW, got 'lots'",
        ),
        (
            {"S1": {"it_load_MW": True}},
            r"feature 0 \(id 'S1'\): field 'it_load_MW': expected a positive number of MW, got true",
        ),
        (
            {"S1": {"it_load_MW": math.nan}},
            r"feature 0 \(id 'S1'\): field 'it_load_MW': expected a positive number of MW, got nan",
        ),
        (
            {"B1": {"capacity_MW": math.inf}},
            r"feature 1 \(id 'B1'\): field 'capacity_MW': expected a positive number of MW, got inf",
        ),
        (
            {"S1": {"it_load_MW": 0}},
            r"feature 0 \(id 'S1'\): field 'it_load_MW': expected a positive number of MW, got 0",
        ),
        (
            {"B1": {"co2_t_per_MWh": -1}},
            r"feature 1 \(id 'B1'\): field 'co2_t_per_MWh': expected an emission factor between 0 and 10",
        ),
        (
            {"C2": {"annual_heat_MWh": -5}},
            r"feature 4 \(id 'C2'\): field 'annual_heat_MWh': expected a non-negative number of MWh, got -5",
        ),
        (
            {"S1": {"recovered_share": 1.5}},
            r"feature 0 \(id 'S1'\): field 'recovered_share': expected a share between 0 and 1, got 1.5",
        ),
        ({"B1": {"must_run_MW": 25}}, r"feature 1 \(id 'B1'\): field 'must_run_MW': expected at most capacity_MW"),
        (
            {"P3": {"length_m": -5}},
            r"feature 7 \(id 'P3'\): field 'length_m': expected a length between 0 and 1,000 km in "
            r"metres, got -5",
        ),
        (
            {"P3": {"length_m": 1e15}},
            r"feature 7 \(id 'P3'\): field 'length_m': expected a length .*got 1000000000000000",
        ),
        ({"S1": {"source_temperature_degC": -500}}, r"field 'source_temperature_degC': expected a source temp"),
        ({"P3": {"length_m": 0}}, r"feature 7 \(id 'P3'\): field 'length_m': .*got 0"),
        (
            {"P3": {"to": "C9"}},
            r"feature 7 \(id 'P3'\): field 'to': expected the id of a node, got 'C9' "
            r"\(no node has this id\)",
        ),
        ({"P3": {"from": DELETE}}, r"feature 7 \(id 'P3'\): field 'from': expected the id of a node \(required"),
        ({"P3": {"from": "C2"}}, r"feature 7 \(id 'P3'\): field 'to': expected a node other than the 'from' node"),
        ({"P1": {"dn": DELETE}}, r"feature 5 \(id 'P1'\): field 'dn': .*required for an existing pipe"),
        (
            {"P1": {"dn": 160}},
            r"feature 5 \(id 'P1'\): field 'dn': .*got 160 \(nearest in the catalogue: "
            r"DN150, DN200\)",
        ),
        (
            {"P1": {"dn": "DN2000"}},
            r"feature 5 \(id 'P1'\): field 'dn': .*got 2000 \(nearest in the catalogue: DN1000\)",
        ),
        ({"P1": {"dn": "wide"}}, r"feature 5 \(id 'P1'\): field 'dn': .*got 'wide' \(not a DN\)"),
        (
            {"P2": {"dn_options": [100, 160]}},
            r"feature 6 \(id 'P2'\): field 'dn_options': expected catalogue DNs "
            r"only, got 160 \(nearest",
        ),
        ({"P2": {"dn_options": []}}, r"feature 6 \(id 'P2'\): field 'dn_options': expected a list of catalogue DNs"),
        (
            {"P2": {"status": "planned"}},
            r"feature 6 \(id 'P2'\): field 'status': expected one of 'existing', "
            r"'candidate', got 'planned'",
        ),
        (
            {"S1": {"cooling": "water"}},
            r"feature 0 \(id 'S1'\): field 'cooling': expected one of 'liquid', 'air', got 'water'",
        ),
        (
            {"B1": {"technology": "coal_boiler"}},
            r"feature 1 \(id 'B1'\): field 'technology': expected one of 'waste_to_energy', ",
        ),
        ({"C2": {"profile": "hospital"}}, r"feature 4 \(id 'C2'\): field 'profile': expected one of 'residential'"),
    ],
)
def test_network_bad_field_raises(tmp_path, changes, match):
    with pytest.raises(NetworkError, match=match):
        load_with(tmp_path, **changes)


def test_network_pipe_to_missing_node_raises(tmp_path):
    with pytest.raises(NetworkError, match=r"net\.geojson: feature 5 \(id 'P1'\): field 'from'.*'X1' \(no node"):
        load_with(tmp_path, P1={"from": "X1"})


def test_network_wrong_geometry_type_raises(tmp_path):
    data = collection()
    data["features"][3]["geometry"] = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 1], [0, 0]]]}
    two_parts = [[[0, 0], [1, 1]], [[2, 2], [3, 3]]]  # one part would be accepted as its line
    data["features"][6]["geometry"] = {"type": "MultiLineString", "coordinates": two_parts}
    with pytest.raises(NetworkError) as error:
        load_network(write(tmp_path, data))
    assert error.value.problems == [
        f"{tmp_path / 'net.geojson'}: feature 3 (id 'C1'): field 'geometry': expected a Point with coordinates "
        "[x, y] in metres, got 'Polygon'",
        f"{tmp_path / 'net.geojson'}: feature 6 (id 'P2'): field 'geometry': expected a LineString with at least "
        "two positions [x, y] in metres, got a MultiLineString of 2 parts (split it into pipes)",
    ]


@pytest.mark.parametrize(
    ("index", "coordinates", "match"),
    [
        (0, [1000.0], r"feature 0 \(id 'S1'\): field 'geometry': expected a Point .*got coordinates \[1000.0\]"),
        (0, ["a", 2000], r"feature 0 \(id 'S1'\): field 'geometry': expected a Point"),
        (5, [[1000, 2000]], r"feature 5 \(id 'P1'\): field 'geometry': expected a LineString with at least two"),
        (5, [[1000, 2000], [1000, 2000]], r"feature 5 \(id 'P1'\): field 'length_m': .*geometry is 0 m long"),
    ],
)
def test_network_bad_geometry_coordinates_raise(tmp_path, index, coordinates, match):
    data = collection()
    data["features"][index]["geometry"]["coordinates"] = coordinates
    with pytest.raises(NetworkError, match=match) as error:
        load_network(write(tmp_path, data))
    assert len(error.value.problems) == 1


def test_network_feature_without_geometry_or_role_raises(tmp_path):
    data = collection()
    data["features"].append({"type": "Feature", "properties": {"id": "B9", "building": "yes"}, "geometry": None})
    with pytest.raises(
        NetworkError,
        match=r"feature 9 \(id 'B9'\): field 'geometry': expected a Point \(node\) or "
        r"LineString \(pipe\), got nothing",
    ):
        load_network(write(tmp_path, data))


def test_network_coordinates_in_degrees_raise(tmp_path):
    data = collection()  # moved to longitude/latitude near Copenhagen (12.5 E, 55.7 N): spans < 0.1 degree

    def lon_lat(xy):
        return [12.5 + xy[0] / 1e5, 55.7 + xy[1] / 1e5]

    for feature in data["features"]:
        coords = feature["geometry"]["coordinates"]
        feature["geometry"]["coordinates"] = (
            lon_lat(coords) if feature["geometry"]["type"] == "Point" else [lon_lat(xy) for xy in coords]
        )
    with pytest.raises(NetworkError, match=r"node coordinates: expected a projected CRS in metres"):
        load_network(write(tmp_path, data))


@pytest.mark.parametrize("name", ["EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:EPSG::4326"])
def test_network_geographic_crs_raises(tmp_path, name):
    data = collection() | {"crs": {"type": "name", "properties": {"name": name}}}
    with pytest.raises(NetworkError, match=r"field 'crs': expected a projected CRS in metres") as error:
        load_network(write(tmp_path, data))
    assert len(error.value.problems) == 1


def test_network_without_source_or_plant_raises(tmp_path):
    with pytest.raises(NetworkError, match=r"network: expected at least one node of kind 'source' or 'plant'"):
        load_with(tmp_path, S1={"kind": "junction"}, B1={"kind": "junction"})


def test_network_unreachable_consumer_raises(tmp_path):
    data = collection()
    data["features"] = [f for f in data["features"] if f["properties"]["id"] != "P3"]
    with pytest.raises(
        NetworkError,
        match=r"net\.geojson: network: expected every consumer to be reachable .* "
        r"got 1 unreachable: 'C2'$",
    ):
        load_network(write(tmp_path, data))


def test_network_many_unreachable_consumers_are_summarised(tmp_path):
    data = collection()
    for k in range(13):
        data["features"].append(
            {
                "type": "Feature",
                "properties": {"id": f"L{k:02d}", "kind": "consumer", "peak_kW": 5},
                "geometry": {"type": "Point", "coordinates": [5000.0 + k, 5000.0]},
            }
        )
    with pytest.raises(NetworkError, match=r"got 13 unreachable: 'L00', .*'L09' and 3 more$"):
        load_network(write(tmp_path, data))


def test_network_collects_every_problem_in_one_error(tmp_path):
    with pytest.raises(NetworkError) as error:
        load_with(tmp_path, S1={"recovered_share": 2}, C2={"profile": "hospital"}, P4={"dn": 160})
    problems = error.value.problems
    assert len(problems) == 3
    assert [p.split(": ")[1] for p in problems] == ["feature 0 (id 'S1')", "feature 4 (id 'C2')", "feature 8 (id 'P4')"]
    assert str(error.value) == "\n".join(problems)


def test_network_csv_problems_name_spreadsheet_rows(tmp_path):
    nodes_path = write_csv_pair(tmp_path)
    text = nodes_path.read_text().replace("C1,consumer,1300.0,2140.0,,,,,100", "C1,consumer,1300.0,2140.0,,,,,-100")
    nodes_path.write_text(text.replace("\nJ1,", "\n\nJ1,"))  # a blank line counts as a row, as in a spreadsheet
    edges_path = tmp_path / "net.edges.csv"
    edges_path.write_text(edges_path.read_text().replace("P1,S1,J1,300.0,existing,150,", "P1,S1,J1,300.0,existing,,"))
    with pytest.raises(NetworkError) as error:
        load_network(nodes_path)
    assert error.value.problems == [
        f"{nodes_path}: row 6 (id 'C1'): field 'homes': expected a number of homes between 0 and 1,000,000, got -100",
        f"{edges_path}: row 2 (id 'P1'): field 'dn': expected a catalogue DN in mm such as 150 or 'DN150', "
        "or an inner_diameter_mm (one is required for an existing pipe), got nothing",
    ]


def test_network_csv_dn_options_and_dn_strings(tmp_path):
    nodes_path = write_csv_pair(tmp_path)
    edges_path = tmp_path / "net.edges.csv"
    edges_path.write_text(edges_path.read_text().replace("150;100", "DN200; 50;200"))
    pipes = load_network(nodes_path).pipes
    assert pipes.loc["P2", "dn_options"] == (50, 200) and pipes.loc["P4", "dn"] == 100.0


def test_network_csv_row_with_too_many_cells_raises(tmp_path):
    nodes_path = write_csv_pair(tmp_path)
    edges_path = tmp_path / "net.edges.csv"
    edges_path.write_text(edges_path.read_text().replace("150;100", "150,100"))
    with pytest.raises(NetworkError, match=r"net\.edges\.csv: row 3 \(id 'P2'\): expected 7 cells as in the header"):
        load_network(nodes_path)


# ---------------------------------------------------------------------------------------- robustness
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["", " ", "DN150", "150", "nan", "-inf", "1e400", "source", "existing", "S1", "J1"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=6,
)
FIELDS = [
    "id",
    "kind",
    "it_load_MW",
    "cooling",
    "source_temperature_degC",
    "recovered_share",
    "profile",
    "technology",
    "capacity_MW",
    "must_run_MW",
    "marginal_cost_EUR_per_MWh",
    "co2_t_per_MWh",
    "homes",
    "annual_heat_MWh",
    "peak_kW",
    "min_supply_degC",
    "from",
    "to",
    "length_m",
    "status",
    "dn",
    "dn_options",
    "upgrade_dn_options",
    "x_m",
]
MUTATIONS = st.lists(
    st.tuples(st.integers(0, len(NODES) + len(PIPES) - 1), st.sampled_from(FIELDS), st.just(DELETE) | JSON_VALUES),
    min_size=1,
    max_size=4,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=MUTATIONS, geometry=st.none() | JSON_VALUES)
def test_network_random_property_mutations_raise_only_network_error(tmp_path_factory, mutations, geometry):
    data = collection()
    for index, key, value in mutations:
        properties = data["features"][index]["properties"]
        if value is DELETE:
            properties.pop(key, None)
        else:
            properties[key] = value
    if geometry is not None:
        data["features"][mutations[0][0]]["geometry"] = geometry
    path = tmp_path_factory.mktemp("fuzz") / "net.geojson"
    path.write_text(json.dumps(data))
    try:
        net = load_network(path)
    except NetworkError as error:
        assert error.problems and all(isinstance(line, str) and line for line in error.problems)
    else:
        assert set(net.graph.nodes) == set(net.nodes.index)
        assert (net.pipes["length_m"] > 0).all()


def test_network_of_two_thousand_nodes_loads(tmp_path):
    side = 45  # 45 x 45 grid = 2,025 nodes, 3,960 pipes
    features = []
    for r in range(side):
        for c in range(side):
            kind = (
                {"kind": "plant", "technology": "gas_boiler", "capacity_MW": 50}
                if r == c == 0
                else {"kind": "consumer", "peak_kW": 10}
            )
            features.append(
                {
                    "type": "Feature",
                    "properties": {"id": f"N{r}_{c}", **kind},
                    "geometry": {"type": "Point", "coordinates": [1000.0 + 50 * c, 1000.0 + 50 * r]},
                }
            )
    for r in range(side):
        for c in range(side):
            for dr, dc in ((0, 1), (1, 0)):
                if r + dr < side and c + dc < side:
                    line = [[1000.0 + 50 * c, 1000.0 + 50 * r], [1000.0 + 50 * (c + dc), 1000.0 + 50 * (r + dr)]]
                    features.append(
                        {
                            "type": "Feature",
                            "properties": {
                                "id": f"E{r}_{c}_{dr}",
                                "from": f"N{r}_{c}",
                                "to": f"N{r + dr}_{c + dc}",
                                "status": "candidate",
                            },
                            "geometry": {"type": "LineString", "coordinates": line},
                        }
                    )
    path = write(tmp_path, {"type": "FeatureCollection", "features": features})
    net = load_network(path)
    assert len(net.nodes) == side * side and np.allclose(net.pipes["length_m"], 50.0)


def test_network_kW_given_for_MW_is_flagged(tmp_path):
    data = collection()
    data["features"][0]["properties"]["it_load_MW"] = 22_500  # the campus's 22.5 MW written in kW
    with pytest.raises(
        NetworkError,
        match=r"feature 0 \(id 'S1'\): field 'it_load_MW': expected at most 5,000 MW \(a larger value looks like kW\), got 22500",
    ):
        load_network(write(tmp_path, data))
