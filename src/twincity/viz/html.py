"""Self-contained HTML reports: figures embedded as base64 PNG, no external request.

``report.html`` of a run holds the KPI table (value, unit, good direction,
meaning), the notes, the equilibrium record, every figure that applies to
the run (:data:`twincity.viz.plots.KINDS`) and the provenance; the report of
a transfer or compare is its ``report.md`` rendered with its PNGs inlined.
Either opens in any browser from disk, without a server or network.

Example:
    >>> html = markdown_html("# T\\n\\n| a |\\n|---|\\n| 1 |", title="T")
    >>> "<table>" in html and "<h1" in html
    True
"""

from __future__ import annotations

import base64
import html as _html
import io
import json
import re
from pathlib import Path
from typing import Any

from twincity.kpi import CATALOGUE
from twincity.results import Results, format_value

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0;font-size:0.9em}
th,td{border:1px solid #ccc;padding:0.25em 0.6em;text-align:left;vertical-align:top}
th{background:#f3f3f3} td.num{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:1.5em 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:0.9em;color:#555} pre{background:#f7f7f7;padding:0.8em;overflow:auto}
.warn{color:#b2182b;font-weight:600}
"""


def png_data_uri(fig: Any, dpi: int = 100) -> str:
    """A figure as a ``data:image/png;base64,…`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def page(title: str, body: str) -> str:
    """A complete HTML document with the report style (no external resources)."""
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def kpi_table_html(results: Results) -> str:
    """The run's KPIs as an HTML table: name, value, unit, good direction, meaning."""
    rows = []
    for k in results.kpis:
        d = CATALOGUE.get(k.name)
        better = {"lower": "lower", "higher": "higher"}.get(d.better if d else "", "—")
        rows.append(f"<tr><td><code>{_html.escape(k.name)}</code></td>"
                    f"<td class=\"num\">{_html.escape(format_value(k.value))}</td>"
                    f"<td>{_html.escape(k.unit)}</td><td>{better}</td>"
                    f"<td>{_html.escape(d.description if d else '')}</td></tr>")
    return ("<table><thead><tr><th>KPI</th><th>value</th><th>unit</th><th>better</th>"
            "<th>meaning</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


def run_report_html(results: Results, figures: list[tuple[str, str, str]]) -> str:
    """The HTML of a run's report; ``figures`` are (kind, caption, data URI) triples."""
    from twincity.viz.common import run_label

    label = run_label(results)
    eq = results.equilibrium or {}
    parts = [f"<h1>{_html.escape(label)}</h1>"]
    if eq:
        status = "converged" if eq.get("converged") else "did NOT converge"
        cls = "" if eq.get("converged") else " class=\"warn\""
        parts.append(f"<p{cls}>Traffic equilibrium {status} after {eq.get('iterations', '?')} "
                     f"days: relative gap {eq.get('relative_gap', float('nan')):.4f} (target "
                     f"{eq.get('target_gap', '?')}), largest net mode imbalance "
                     f"{100 * eq.get('mode_imbalance', float('nan')):.2f}%, "
                     f"{100 * eq.get('mode_gap', 0):.2f}% of travellers preferring another "
                     "mode.</p>")
    parts += ["<h2>KPIs</h2>", kpi_table_html(results)]
    if results.notes:
        parts += ["<h2>Notes</h2>", "<ul>" + "".join(f"<li>{_html.escape(n)}</li>"
                                                     for n in results.notes) + "</ul>"]
    if figures:
        parts.append("<h2>Figures</h2>")
    for kind, caption, uri in figures:
        parts.append(f"<figure id=\"{kind}\"><img src=\"{uri}\" alt=\"{_html.escape(caption)}\">"
                     f"<figcaption>{_html.escape(caption)}</figcaption></figure>")
    parts += ["<h2>Provenance</h2>",
              f"<pre>{_html.escape(json.dumps(results.provenance, indent=2, default=str))}"
              "</pre>"]
    return page(label, "\n".join(parts))


_IMAGE = re.compile(r'<img([^>]*?) src="([^":/]+\.png)"')


def markdown_html(text: str, title: str, folder: Path | None = None) -> str:
    """Markdown (with tables) to a page; ``![..](x.png)`` images from ``folder`` inlined."""
    import markdown

    body = markdown.markdown(text, extensions=["tables"])
    if folder is not None:
        def inline(m: re.Match[str]) -> str:
            path = folder / m.group(2)
            if not path.is_file():
                return m.group(0)
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            return f'<img{m.group(1)} src="data:image/png;base64,{data}"'
        body = _IMAGE.sub(inline, body)
    return page(title, body)
