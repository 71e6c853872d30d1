"""Self-contained HTML pieces: page, tables, figures (PNG embedded as base64). No external CSS, JS or fonts."""

from __future__ import annotations

import base64
import struct
from html import escape

Cell = str | tuple[str, float | str]  # shown text, or (shown text, value to sort by)

CSS = """
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --accent: #1b9e77; --band: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: white;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 32px 28px 48px; }
header { border-bottom: 3px solid var(--accent); margin-bottom: 20px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 10px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.subtitle { color: var(--muted); margin: 0 0 14px; }
.summary { font-size: 17px; max-width: 62em; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 14px; margin: 20px 0; }
.card { background: var(--band); border-left: 4px solid var(--accent); padding: 12px 16px; }
.card .value { font-size: 26px; font-weight: 700; }
.card .unit { font-size: 15px; font-weight: 600; color: var(--muted); }
.card .label { color: var(--muted); font-size: 13px; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(460px, 1fr)); gap: 0 32px; align-items: start; }
table { border-collapse: collapse; width: 100%; font-size: 14px; margin: 6px 0 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.section th { background: var(--band); font-size: 13px; text-transform: uppercase; letter-spacing: .04em; }
table.sortable th { cursor: pointer; user-select: none; }
table.sortable th[aria-sort=ascending]::after { content: " \\25B2"; }
table.sortable th[aria-sort=descending]::after { content: " \\25BC"; }
.scroll { overflow-x: auto; }
figure { margin: 24px 0; break-inside: avoid; }
figure img { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 14px; margin-top: 6px; max-width: 62em; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 0 24px; }
.note { color: var(--muted); font-style: italic; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media print { main { padding: 0; } h2 { break-after: avoid; } }
"""

SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0], rows = Array.from(body.rows);
      function key(row) {
        var cell = row.cells[column], raw = cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent;
        var number = parseFloat(raw);
        return isNaN(number) ? raw.toLowerCase() : number;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0)
          : (typeof x === "number" ? -1 : 1);
        return up ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height of a PNG from its IHDR header [px]."""
    return struct.unpack(">II", png[16:24])


def figure(png: bytes, number: int, caption: str, alt: str) -> str:
    """The PNG embedded as a data URI, with a numbered caption."""
    width, height = png_size(png)
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" width="{width}" height="{height}" alt="{escape(alt)}">'
        f"<figcaption><b>Figure {number}.</b> {escape(caption)}</figcaption></figure>"
    )


def _cell(cell: Cell, numeric: bool, tag: str = "td") -> str:
    text, sort = (cell, None) if isinstance(cell, str) else cell
    attributes = ' class="num"' if numeric else ""
    if sort is not None:
        attributes += f' data-sort="{escape(str(sort))}"'
    return f"<{tag}{attributes}>{escape(text)}</{tag}>"


def _rows(rows: list[list[Cell]], numeric: set[int]) -> str:
    return "".join("<tr>" + "".join(_cell(c, i in numeric) for i, c in enumerate(row)) + "</tr>" for row in rows)


def _table(header: list[str], body: str, numeric: set[int], sortable: bool) -> str:
    head = "".join(_cell(h, i in numeric, "th") for i, h in enumerate(header))
    kind = ' class="sortable"' if sortable else ""
    return f'<div class="scroll"><table{kind}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def table(header: list[str], rows: list[list[Cell]], numeric: set[int] = frozenset(), sortable: bool = False) -> str:
    """A table; columns in ``numeric`` are right-aligned; ``sortable`` sorts on a header click (`SORT_SCRIPT`)."""
    return _table(header, _rows(rows, numeric), numeric, sortable)


def sectioned_table(header: list[str], sections: list[tuple[str, list[list[Cell]]]], numeric: set[int]) -> str:
    """A table whose rows come in titled groups, each under a heading row across the table."""
    body = "".join(
        f'<tr class="section"><th colspan="{len(header)}">{escape(title)}</th></tr>' + _rows(rows, numeric)
        for title, rows in sections
    )
    return _table(header, body, numeric, sortable=False)


def cards(items: list[tuple[str, str, str]]) -> str:
    """Large headline numbers: (value, unit, label)."""
    inner = "".join(
        f'<div class="card"><div class="value">{escape(value)} <span class="unit">{escape(unit)}</span></div>'
        f'<div class="label">{escape(label)}</div></div>'
        for value, unit, label in items
    )
    return f'<div class="cards">{inner}</div>'


def page(title: str, body: str, script: str = "") -> str:
    """A whole HTML document: inline style, optional inline script, nothing loaded from elsewhere."""
    tail = f"<script>{script}</script>" if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main>{tail}</body></html>\n"
    )
