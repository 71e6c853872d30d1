"""Time the ways of handing dhopt's model to HiGHS on the default case's full-year dispatch LP.

    python benchmarks/handoff.py [CASE]

Paths: dhopt's own (Pyomo's standard-form compiler + highspy passModel), Pyomo's persistent `highs`
interface (contrib.solver), `appsi_highs`, and
Pyomo's LP writer to a file + highspy readModel (a file round trip, for comparison), plus HiGHS
alone on the written LP (the floor). Each row: wall time from the built model to a loaded solution.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import highspy
import pyomo.environ as pyo
from pyomo.contrib.solver.solvers.highs import Highs

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dhopt.aggregate import typical_days  # noqa: E402
from dhopt.case import load_case  # noqa: E402
from dhopt.inputs import prepare_inputs  # noqa: E402
from dhopt.model import build_model, design_of, fix_design  # noqa: E402
from dhopt.network import load_network  # noqa: E402
from dhopt.reduce import reduce_network  # noqa: E402
from dhopt.run import DEFAULT_CASE  # noqa: E402
from dhopt.solve import solve  # noqa: E402


def dispatch_model(case_path):
    case = load_case(case_path)
    inputs, _ = reduce_network(prepare_inputs(case, load_network(case.network_path)))
    design_model = build_model(typical_days(inputs, case.spec.horizon.typical_days))
    solve(design_model)
    model = build_model(inputs)
    fix_design(model, design_of(design_model))
    return model


def timed(label, run, rows):
    start = time.perf_counter()
    objective = run()
    rows.append((label, time.perf_counter() - start, objective))


def main() -> None:
    case_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_CASE
    rows = []
    start = time.perf_counter()
    model = dispatch_model(case_path)
    print(f"built dispatch model in {time.perf_counter() - start:.1f} s: {model.nvariables()} variables")

    def contrib():
        return Highs().solve(model, threads=1, solver_options={"output_flag": False}).incumbent_objective

    def appsi():
        solver = pyo.SolverFactory("appsi_highs")
        solver.config.stream_solver = False
        solver.highs_options = {"threads": 1}
        solver.solve(model)
        return pyo.value(model.cost)

    with tempfile.TemporaryDirectory() as folder:
        lp_path = str(Path(folder) / "dispatch.lp")

        def lp_file():
            model.write(lp_path, io_options={"symbolic_solver_labels": False})
            return highs_alone()

        def highs_alone():
            h = highspy.Highs()
            h.setOptionValue("output_flag", False)
            h.setOptionValue("threads", 1)
            h.readModel(lp_path)
            h.run()
            return h.getInfo().objective_function_value

        timed("dhopt.solve: standard-form compiler + highspy.passModel", lambda: solve(model).objective_EUR, rows)
        timed("pyomo contrib highs (persistent, in memory)", contrib, rows)
        timed("pyomo appsi_highs (in memory)", appsi, rows)
        timed("pyomo LP writer + highspy.readModel", lp_file, rows)
        timed("HiGHS alone on the written LP (floor)", highs_alone, rows)
    floor = rows[-1][1]
    print("| path | wall s | x HiGHS alone | objective EUR |\n|---|---|---|---|")
    for label, seconds, objective in rows:
        print(f"| {label} | {seconds:.1f} | {seconds / floor:.2f} | {objective:,.0f} |")


if __name__ == "__main__":
    main()
