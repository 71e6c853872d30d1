"""Benchmark: an existing network whose pipes bind in many places, full year, against the default case.

    python benchmarks/binding.py [--homes 1800] [--bind-share 0.2] [--zones] [--out DIR]

writes a synthetic existing district (`synthetic.py --bind-share`: ~1,000 buildings, a share of its pipes
laid too small) and runs, each as its own `dhopt run` process in this one run: the default case, the
district with its demand trees joined (`[horizon] demand_trees`, the default) and, with ``--zones``,
without them. Prints per run the wall time, the peak memory of the process (`os.wait4`'s ru_maxrss), the
`reduce`/`build` lines, the district's cost and unmet demand; the pipes that bind: those whose capacity is
below what their downstream demand and losses need at the worst hour (`dhopt.bounds.pipe_bounds`, which
for a side holding only demand is exactly that). Results go to ``DIR/binding.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import synthetic

DHOPT = [sys.executable, "-m", "dhopt"]


def timed_run(case: Path | None, out: Path) -> dict:
    """`dhopt run CASE --out OUT` in its own process: wall time [s], peak memory [MB], its phase lines."""
    command = DHOPT + ["run"] + ([str(case)] if case else []) + ["--out", str(out)]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    lines = [line for line in output.splitlines() if line.split(" ")[0] in ("reduce", "design", "build", "dispatch")]
    kpis = json.loads((out / "kpis.json").read_text()) if os.waitstatus_to_exitcode(status) == 0 else {}
    return {
        "case": str(case or "default"),
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": wall,
        "peak_MB": usage.ru_maxrss / 1024.0,
        "phases": lines,
        "objective_EUR": kpis.get("objective_EUR"),
        "unmet_demand_MWh": kpis.get("unmet_demand_MWh"),
    }


def binding_pipes(case: Path) -> tuple[int, int]:
    """Pipes whose installed capacity is below their flow bound (they bind at the worst hour), and all pipes."""
    from dhopt.bounds import pipe_bounds
    from dhopt.case import load_case
    from dhopt.inputs import installed_options, prepare_inputs
    from dhopt.network import load_network

    loaded = load_case(case)
    inputs = prepare_inputs(loaded, load_network(loaded.network_path))
    existing = inputs.pipes.index[inputs.pipes["status"] == "existing"]
    options = inputs.options
    capacity = options.loc[installed_options(options, inputs.pipes), "capacity_MW_per_K"].droplevel("dn")
    need = pipe_bounds(inputs)["need_MW_per_K"]
    binds = capacity[existing] < need[existing] - 1e-12
    return int(binds.sum()), len(inputs.pipes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--homes", type=int, default=1800, help="homes of the district (1,800: ~1,000 buildings)")
    parser.add_argument("--bind-share", type=float, default=0.2, help="share of pipes laid too small")
    parser.add_argument("--zones", action="store_true", help="also run the district without demand trees")
    parser.add_argument("--out", type=Path, default=Path("binding_benchmark"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    case = synthetic.write_district(args.out, args.homes, "existing", bind_share=args.bind_share)
    binds, pipes = binding_pipes(case)
    print(f"{case.name}: {binds} of {pipes} pipes bind at the worst hour ({binds / pipes:.1%})")
    cases = {"default": None, "trees": case}
    if args.zones:
        zones = args.out / f"{case.stem}_zones.toml"
        zones.write_text(case.read_text().replace("[horizon]\n", "[horizon]\ndemand_trees = false\n"))
        cases["zones"] = zones
    runs = {}
    for name, path in cases.items():
        runs[name] = run = timed_run(path, args.out / f"result_{name}")
        print(f"{name:<8} {run['wall_s']:7.1f} s  {run['peak_MB']:7.0f} MB  exit {run['exit']}")
        for line in run["phases"]:
            print(f"         {line}")
    for name in runs.keys() - {"default"}:
        print(f"{name}: {runs[name]['wall_s'] / runs['default']['wall_s']:.2f}x the default case's end-to-end time")
    record = {"binding_pipes": binds, "pipes": pipes, "runs": runs, "args": vars(args) | {"out": str(args.out)}}
    (args.out / "binding.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
