"""What the HTML report and comparison share: the Jinja2 templates and embedded figures.

A page is one self-contained file: its style is inline, it has no script, and each figure is an
SVG drawn by :mod:`geodes.plot` and embedded as a ``data:`` URI in an ``<img>`` (so that figures
cannot clash over SVG ids, and a browser can say whether each one rendered). Figures are drawn on
``matplotlib.figure.Figure`` objects (no pyplot, no global state: safe in threads and notebooks)
and written without a date, so the same results give the same bytes.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["Figure", "environment", "figure", "number"]

_TEMPLATES = Path(__file__).resolve().parent / "templates"


class Figure:
    """An embedded figure: its caption, its alternative text and its SVG as a data URI."""

    def __init__(self, caption: str, uri: str) -> None:
        """Keep a rendered figure."""
        self.caption = caption
        self.uri = uri


def figure(
    caption: str,
    draw: Callable[[Any], Any],
    size: tuple[float, float] = (10.0, 3.4),
) -> Figure:
    """Draw ``draw(ax)`` on a new figure of ``size`` inches and embed it as SVG."""
    import matplotlib
    from matplotlib.figure import Figure as MplFigure

    with matplotlib.rc_context({"svg.hashsalt": "geodes", "svg.fonttype": "path"}):
        fig = MplFigure(figsize=size, layout="constrained")
        draw(fig.subplots())
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return Figure(caption, f"data:image/svg+xml;base64,{data}")


def number(value: Any, digits: int = 4) -> str:
    """Format a table cell.

    Integers get thousands separators; other numbers ``digits`` significant figures (scientific
    notation only below 0.001), at least the units digit; None and NaN become a dash.
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        if value == 0:
            return "0"
        magnitude = math.floor(math.log10(abs(value)))
        if magnitude < -3:
            return f"{value:.{digits - 1}e}"
        decimals = max(0, digits - 1 - magnitude)
        text = f"{value:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def environment() -> Any:
    """Return the Jinja2 environment of the templates (HTML autoescaped, undefined fails)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["number"] = number
    return env
