"""A small vector drawing (lines, curves, circles, text) -> SVG text or PDF bytes.

Solution sheets draw their plots and graphs with this instead of matplotlib or
Graphviz: the output is the same on every machine (golden files compare it),
needs no optional dependency, and costs microseconds. Coordinates are points
with y growing downwards (as in SVG); the PDF writer flips them. Grey levels
are 0 (black) to 1 (white): a sheet prints in black and white.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class Line:
    points: tuple                 # ((x, y), ...): a polyline
    width: float = 1.0
    dash: tuple = ()              # dash pattern in points; () is solid
    gray: float = 0.0
    closed: bool = False
    fill: float | None = None     # grey level of the filling of a closed line


@dataclass(frozen=True)
class Curve:
    """A quadratic Bézier curve from `start` to `end`, pulled towards `control`."""

    start: tuple
    control: tuple
    end: tuple
    width: float = 1.0
    dash: tuple = ()
    gray: float = 0.0


@dataclass(frozen=True)
class Circle:
    center: tuple
    radius: float
    width: float = 1.0
    dash: tuple = ()
    fill: float | None = None


@dataclass(frozen=True)
class Text:
    position: tuple
    text: str
    size: float = 10.0
    anchor: str = "start"         # start, middle or end
    bold: bool = False


@dataclass(frozen=True)
class Drawing:
    width: float
    height: float
    items: tuple = field(default_factory=tuple)
    title: str = ""               # the SVG's accessible name


def _n(value: float) -> str:
    """Returns a coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _gray(level: float) -> str:
    channel = round(255 * max(0.0, min(1.0, level)))
    return f"#{channel:02x}{channel:02x}{channel:02x}"


def _stroke(width: float, dash: tuple, gray: float) -> str:
    out = f' stroke="{_gray(gray)}" stroke-width="{_n(width)}"'
    if dash:
        out += f' stroke-dasharray="{" ".join(_n(d) for d in dash)}"'
    return out


def to_svg(drawing: Drawing) -> str:
    """Returns the drawing as one <svg> element (inline in HTML, or a .svg file's content)."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(drawing.width)}" '
           f'height="{_n(drawing.height)}" viewBox="0 0 {_n(drawing.width)} {_n(drawing.height)}"'
           f' role="img" font-family="Helvetica, Arial, sans-serif">']
    if drawing.title:
        out.append(f"<title>{escape(drawing.title)}</title>")
    for item in drawing.items:
        if isinstance(item, Line):
            points = " ".join(f"{_n(x)},{_n(y)}" for x, y in item.points)
            tag = "polygon" if item.closed else "polyline"
            fill = _gray(item.fill) if item.fill is not None else "none"
            out.append(f'<{tag} points="{points}" fill="{fill}"'
                       f'{_stroke(item.width, item.dash, item.gray)}/>')
        elif isinstance(item, Curve):
            (x0, y0), (cx, cy), (x1, y1) = item.start, item.control, item.end
            out.append(f'<path d="M{_n(x0)},{_n(y0)} Q{_n(cx)},{_n(cy)} {_n(x1)},{_n(y1)}" '
                       f'fill="none"{_stroke(item.width, item.dash, item.gray)}/>')
        elif isinstance(item, Circle):
            fill = _gray(item.fill) if item.fill is not None else "none"
            out.append(f'<circle cx="{_n(item.center[0])}" cy="{_n(item.center[1])}" '
                       f'r="{_n(item.radius)}" fill="{fill}"{_stroke(item.width, item.dash, 0)}/>')
        elif isinstance(item, Text):
            weight = ' font-weight="bold"' if item.bold else ""
            out.append(f'<text x="{_n(item.position[0])}" y="{_n(item.position[1])}" '
                       f'font-size="{_n(item.size)}" text-anchor={quoteattr(item.anchor)}'
                       f'{weight}>{escape(item.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def text_width(text: str, size: float) -> float:
    """Returns an estimate of the width of Helvetica text (for anchoring text in PDF)."""
    narrow = sum(1 for c in text if c in "ijlt.,:;()[]|!' ")
    wide = sum(1 for c in text if c in "mwMW")
    return size * (0.55 * (len(text) - narrow - wide) + 0.28 * narrow + 0.85 * wide)


def _pdf_text(text: str) -> str:
    """Returns text as a PDF string in WinAnsi; what WinAnsi lacks becomes `?`."""
    data = text.encode("cp1252", "replace").decode("latin-1")
    return "(" + data.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def to_pdf(drawing: Drawing) -> bytes:
    """Returns the drawing as a one-page PDF (for LaTeX's \\includegraphics); deterministic."""
    height = drawing.height
    y = lambda v: _n(height - v)  # noqa: E731  (PDF's y grows upwards)
    ops = ["1 J 1 j"]
    for item in drawing.items:
        if isinstance(item, (Line, Curve, Circle)):
            gray = getattr(item, "gray", 0.0)
            ops.append(f"{_n(item.width)} w {_n(gray)} G [{' '.join(_n(d) for d in item.dash)}] 0 d")
        if isinstance(item, Line):
            (x0, y0), rest = item.points[0], item.points[1:]
            path = f"{_n(x0)} {y(y0)} m " + " ".join(f"{_n(x)} {y(v)} l" for x, v in rest)
            if item.closed and item.fill is not None:
                ops.append(f"{_n(item.fill)} g {path} h B")
            else:
                ops.append(path + (" h S" if item.closed else " S"))
        elif isinstance(item, Curve):
            (x0, y0), (cx, cy), (x1, y1) = item.start, item.control, item.end
            c1 = (x0 + 2 / 3 * (cx - x0), y0 + 2 / 3 * (cy - y0))
            c2 = (x1 + 2 / 3 * (cx - x1), y1 + 2 / 3 * (cy - y1))
            ops.append(f"{_n(x0)} {y(y0)} m {_n(c1[0])} {y(c1[1])} {_n(c2[0])} {y(c2[1])} "
                       f"{_n(x1)} {y(y1)} c S")
        elif isinstance(item, Circle):
            ops.append(_pdf_circle(item, y))
        elif isinstance(item, Text):
            x = item.position[0]
            width = text_width(item.text, item.size)
            x -= {"middle": width / 2, "end": width}.get(item.anchor, 0)
            font = "/F2" if item.bold else "/F1"
            ops.append(f"0 g BT {font} {_n(item.size)} Tf {_n(x)} {y(item.position[1])} Td "
                       f"{_pdf_text(item.text)} Tj ET")
    content = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_n(drawing.width)} {_n(height)}] "
         "/Resources << /Font << /F1 5 0 R /F2 6 0 R >> >> /Contents 4 0 R >>").encode(),
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return bytes(out)


def _pdf_circle(item: Circle, y) -> str:
    # Four cubic Béziers with the usual 0.5523 control distance.
    (cx, cy), r = item.center, item.radius
    k = 0.5523 * r
    py = lambda v: y(v)  # noqa: E731
    path = (f"{_n(cx + r)} {py(cy)} m "
            f"{_n(cx + r)} {py(cy - k)} {_n(cx + k)} {py(cy - r)} {_n(cx)} {py(cy - r)} c "
            f"{_n(cx - k)} {py(cy - r)} {_n(cx - r)} {py(cy - k)} {_n(cx - r)} {py(cy)} c "
            f"{_n(cx - r)} {py(cy + k)} {_n(cx - k)} {py(cy + r)} {_n(cx)} {py(cy + r)} c "
            f"{_n(cx + k)} {py(cy + r)} {_n(cx + r)} {py(cy + k)} {_n(cx + r)} {py(cy)} c h")
    if item.fill is not None:
        return f"{_n(item.fill)} g {path} B"
    return path + " S"
