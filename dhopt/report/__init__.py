"""Reports people would rather look at: an HTML page with figures for one result or a whole sweep.

`write_report` turns a result directory (``dhopt run --out``) into one self-contained HTML file
with its PNG figures beside it; `write_batch_report` does the same for a sweep's KPI table.
"""

from dhopt.report.batch_report import write_batch_report
from dhopt.report.case_report import write_report

__all__ = ["write_batch_report", "write_report"]
