"""Chart -> a .png, .svg or .pdf file with matplotlib (the optional extra `rnncli[plot]`).

matplotlib is imported here, when a plot is asked for, never at start-up. The
function takes a plain `Chart` (series of steps and values), so any result
that can be written as lines against a step can be plotted the same way.
"""
from __future__ import annotations

import io
import os

from rnncli.errors import UsageError
from rnncli.solve.series import Chart

PLOT_FORMATS = ("png", "svg", "pdf")
INSTALL_HINT = "plots need matplotlib: pip install 'rnncli[plot]'"
_LINESTYLES = ("-", "--", ":", "-.", (0, (3, 2)), (0, (10, 3)))
_MARKERS = ("o", "s", "^", "D", "v", "x")


def plot_format(path: str) -> str:
    """Returns png, svg or pdf from a file name; raises UsageError for anything else."""
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    if extension not in PLOT_FORMATS:
        raise UsageError(f"--plot {path}: the file must end in "
                         + ", ".join("." + f for f in PLOT_FORMATS))
    return extension


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["svg.hashsalt"] = "rnncli"     # stable ids: the same plot, the same file
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    return plt, MaxNLocator


def render_plot(chart: Chart, output_format: str) -> bytes:
    """Returns the chart drawn by matplotlib as PNG, SVG or PDF bytes."""
    from rnncli.render.chart_drawing import style

    plt, MaxNLocator = _pyplot()
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    try:
        for index, series in enumerate(chart.series):
            dash, _ = style(index)
            axes.plot(series.steps, series.values, label=series.label, color="black",
                      linestyle=_LINESTYLES[index % len(_LINESTYLES)],
                      marker=_MARKERS[(index // len(_LINESTYLES) + index) % len(_MARKERS)],
                      markerfacecolor="white", linewidth=1.4, gid=f"rnncli-line-{index + 1}")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if chart.log:
            axes.set_yscale("log")
        axes.set_title(chart.title, gid="rnncli-title")
        axes.set_xlabel(chart.xlabel)
        axes.set_ylabel(chart.ylabel)
        axes.grid(True, linestyle=":", linewidth=0.5, color="0.7")
        if chart.series:
            axes.legend(loc="best", fontsize="small")
        figure.tight_layout()
        buffer = io.BytesIO()
        metadata = {"Date": None} if output_format in ("svg", "pdf") else {}
        if output_format == "pdf":
            metadata["CreationDate"] = None
            metadata.pop("Date")
        figure.savefig(buffer, format=output_format, metadata=metadata, dpi=120)
        return buffer.getvalue()
    finally:
        plt.close(figure)


def save_plot(chart: Chart, path: str) -> int:
    """Returns the bytes written to `path` (.png, .svg or .pdf) after plotting the chart."""
    from rnncli.render.graph import write_atomically

    data = render_plot(chart, plot_format(path))
    write_atomically(path, data)
    return len(data)
