"""Paper-style tables and their renderers.

A :class:`Table` is a titled grid whose columns have a kind: ``label`` (text), ``percent``
(a fraction shown as a percentage with one decimal, like the papers), ``int``, ``float``,
``signed_percent`` (a difference of fractions, shown in percentage points with its sign) or
``interval`` (a ``(low, high)`` pair of fractions, shown as ``[low, high]`` in percent).
Missing values (None/NaN) show as ``-``. Cells in ``bold`` are emphasised (the best value of a
column in comparisons). Renderers are registered by name in :data:`RENDERERS`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from segbench.registry import Registry

RENDERERS: Registry[Callable[[list["Table"]], str]] = Registry("output format")


@dataclass
class Table:
    title: str
    columns: list[str]
    kinds: list[str]
    rows: list[list[Any]]
    bold: set[tuple[int, int]] = field(default_factory=set)
    caption: str | None = None

    def cell(self, r: int, c: int, percent_sign: bool = False) -> str:
        return format_value(self.rows[r][c], self.kinds[c], percent_sign)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def format_value(value: Any, kind: str, percent_sign: bool = False) -> str:
    if is_missing(value):
        return "-"
    if kind == "percent":
        return f"{100.0 * float(value):.1f}" + ("%" if percent_sign else "")
    if kind == "int":
        return str(int(value))
    if kind == "float":
        return f"{float(value):.4g}"
    if kind == "signed_percent":
        return f"{100.0 * float(value):+.1f}"
    if kind == "interval":
        low, high = value
        return f"[{100.0 * float(low):.1f}, {100.0 * float(high):.1f}]"
    return str(value)


def mark_best(table: Table, columns: list[int] | None = None, lower_is_better: set[int] = frozenset()) -> Table:
    """Bold the best value of each numeric column (ties all bold), as papers do."""
    cols = columns if columns is not None else [i for i, k in enumerate(table.kinds) if k in ("percent", "float")]
    for c in cols:
        values = [(r, row[c]) for r, row in enumerate(table.rows) if not is_missing(row[c])]
        if len(values) < 2:
            continue
        pick = min if c in lower_is_better else max
        best = pick(v for _, v in values)
        table.bold.update((r, c) for r, v in values if v == best)
    return table


# ---------------------------------------------------------------- renderers


@RENDERERS.register("markdown")
def render_markdown(tables: list[Table]) -> str:
    out = []
    for t in tables:
        if t.title:
            out.append(f"**{t.title}**\n")
        out.append("| " + " | ".join(t.columns) + " |")
        out.append("| " + " | ".join("---" if k == "label" else "---:" for k in t.kinds) + " |")
        for r, row in enumerate(t.rows):
            cells = []
            for c in range(len(row)):
                text = t.cell(r, c).replace("|", "\\|")
                cells.append(f"**{text}**" if (r, c) in t.bold else text)
            out.append("| " + " | ".join(cells) + " |")
        if t.caption:
            out.append(f"\n{t.caption}")
        out.append("")
    return "\n".join(out)


_LATEX_SPECIALS = {
    "\u0394": r"$\Delta$", "\u00b1": r"$\pm$", "[": "{[}", "]": "{]}",
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    return "".join(_LATEX_SPECIALS.get(ch, ch) for ch in str(text))


def latex_header(text: str) -> str:
    """Escape a column header; a superscript such as ``PQ^Th`` becomes ``PQ$^\\mathrm{Th}$``."""
    import re

    return " ".join(
        latex_escape(m.group(1)) + r"$^\mathrm{" + latex_escape(m.group(2)) + "}$"
        if (m := re.fullmatch(r"([A-Za-z]+)\^([A-Za-z]+)", word)) else latex_escape(word)
        for word in str(text).split(" ")
    )


@RENDERERS.register("latex")
def render_latex(tables: list[Table]) -> str:
    """booktabs tables (``\\usepackage{booktabs}``), one ``table`` float each.

    The output compiles as is inside any LaTeX document that loads booktabs (pdfLaTeX, XeLaTeX,
    LuaLaTeX): text is escaped, ``Δ`` becomes ``$\\Delta$``.
    """
    out = []
    for t in tables:
        spec = "".join("l" if k == "label" else "r" for k in t.kinds)
        out.append(r"\begin{table}[t]")
        out.append(r"\centering")
        if t.caption or t.title:
            out.append(r"\caption{" + latex_escape(t.caption or t.title) + "}")
        out.append(r"\begin{tabular}{" + spec + "}")
        out.append(r"\toprule")
        out.append(" & ".join(latex_header(c) for c in t.columns) + r" \\")
        out.append(r"\midrule")
        for r, row in enumerate(t.rows):
            cells = []
            for c in range(len(row)):
                text = latex_escape(t.cell(r, c))
                cells.append(r"\textbf{" + text + "}" if (r, c) in t.bold else text)
            out.append(" & ".join(cells) + r" \\")
        out.append(r"\bottomrule")
        out.append(r"\end{tabular}")
        out.append(r"\end{table}")
        out.append("")
    return "\n".join(out)


@RENDERERS.register("csv")
def render_csv(tables: list[Table]) -> str:
    """CSV with raw values (fractions, not percentages); tables separated by a blank line."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for i, t in enumerate(tables):
        if i:
            buf.write("\n")
        header = []
        for name, kind in zip(t.columns, t.kinds):
            header += [f"{name} low", f"{name} high"] if kind == "interval" else [name]
        writer.writerow(header)
        for row in t.rows:
            cells = []
            for v, kind in zip(row, t.kinds):
                if kind == "interval":
                    cells += ["", ""] if is_missing(v) else list(v)
                else:
                    cells.append("" if is_missing(v) else v)
            writer.writerow(cells)
    return buf.getvalue()


@RENDERERS.register("json")
def render_tables_json(tables: list[Table]) -> str:
    """The tables as JSON: raw values (fractions; intervals as ``[low, high]``; missing = null)."""
    from segbench.record import clean

    payload = [
        {
            "title": t.title,
            "caption": t.caption,
            "columns": t.columns,
            "kinds": t.kinds,
            "rows": [[None if is_missing(v) else (list(v) if isinstance(v, tuple) else v) for v in row] for row in t.rows],
            "bold": sorted([r, c] for r, c in t.bold),
        }
        for t in tables
    ]
    return json.dumps(clean(payload), indent=2, allow_nan=False) + "\n"


@RENDERERS.register("html")
def render_html(tables: list[Table]) -> str:
    import html

    out = []
    for t in tables:
        out.append("<table>")
        if t.caption or t.title:
            out.append(f"<caption>{html.escape(t.caption or t.title)}</caption>")
        out.append("<thead><tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in t.columns) + "</tr></thead>")
        out.append("<tbody>")
        for r, row in enumerate(t.rows):
            cells = []
            for c in range(len(row)):
                text = html.escape(t.cell(r, c))
                cells.append(f"<td><b>{text}</b></td>" if (r, c) in t.bold else f"<td>{text}</td>")
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</tbody></table>")
    return "\n".join(out) + "\n"


def rich_tables(tables: list[Table]):
    """rich.table.Table objects for terminal output.

    Every text (title, headers, cells) is a ``rich.text.Text``, never a markup string: model,
    dataset and class names such as ``net[v2]`` or ``a:cat:b`` print as they are instead of
    being read as rich markup (or failing on an unmatched ``[/x]``) or emoji codes.
    """
    from rich.table import Table as RichTable
    from rich.text import Text

    result = []
    for t in tables:
        rt = RichTable(title=Text(t.title) if t.title else None,
                       caption=Text(t.caption) if t.caption else None)
        for name, kind in zip(t.columns, t.kinds):
            rt.add_column(Text(str(name)), justify="left" if kind == "label" else "right")
        for r, row in enumerate(t.rows):
            cells = []
            for c in range(len(row)):
                style = []
                if t.kinds[c] == "signed_percent" and not is_missing(row[c]) and row[c] != 0:
                    style.append("green" if row[c] > 0 else "red")
                if (r, c) in t.bold:
                    style.append("bold")
                cells.append(Text(t.cell(r, c), style=" ".join(style)))
            rt.add_row(*cells)
        result.append(rt)
    return result


@RENDERERS.register("table")
def render_table_text(tables: list[Table]) -> str:
    """Plain-text rendering of the rich tables (what the terminal shows, without colour)."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=200, color_system=None, force_terminal=False)
    for rt in rich_tables(tables):
        console.print(rt)
    return console.file.getvalue()


def render(tables: list[Table], fmt: str) -> str:
    return RENDERERS.get(fmt)(tables)


def render_json(record: dict) -> str:
    return json.dumps(record, indent=2, allow_nan=False) + "\n"
