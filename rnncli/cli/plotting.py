"""`--plot FILE`, `--plot-quantities` and `--chart` for commands that show values against a step."""
from __future__ import annotations

import click


def plot_options(function):
    """Adds --plot, --plot-quantities and --chart to a command."""
    function = click.option("--chart", is_flag=True,
                            help="Draw the plot in the terminal (Unicode) instead of the working.")(function)
    function = click.option("--plot-quantities", "plot_quantities", metavar="Q1,Q2",
                            help="Plot only these quantities (default: every equation's).")(function)
    function = click.option("--plot", "plot_file", metavar="FILE", type=click.Path(dir_okay=False),
                            help="Plot the values against the step into FILE.png, .svg or .pdf "
                                 "(needs pip install 'rnncli[plot]').")(function)
    return function


def quantities_option(text: str | None, trace) -> list | None:
    """Returns the names of --plot-quantities, checked against the trace."""
    from rnncli.errors import UsageError, did_you_mean

    if not text:
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    known = list(trace.cell.quantities) + list(trace.cell.inputs)
    for name in names:
        if name not in known:
            raise UsageError(f"--plot-quantities: no quantity `{name}`{did_you_mean(name, known)}; "
                             f"the quantities are {', '.join(known)}", file=trace.problem.file)
    return names


def show_plots(trace, plot_file, plot_quantities, chart) -> bool:
    """Writes --plot and prints --chart; returns True when the chart replaced the working."""
    if not (plot_file or chart):
        if plot_quantities:
            from rnncli.errors import UsageError

            raise UsageError("--plot-quantities needs --plot FILE or --chart")
        return False
    from rnncli.solve.series import trace_chart   # here: a plain trace does not load it

    return show_chart(trace_chart(trace, quantities_option(plot_quantities, trace)), plot_file,
                      chart)


def chart_options(function):
    """Adds --plot FILE and --chart to a command whose result is one chart (gradients, jacobian)."""
    function = click.option("--chart", is_flag=True,
                            help="Draw the plot in the terminal (Unicode) instead of the working.")(function)
    return click.option("--plot", "plot_file", metavar="FILE", type=click.Path(dir_okay=False),
                        help="Plot into FILE.png, .svg or .pdf (needs pip install "
                             "'rnncli[plot]').")(function)


def show_chart(drawn, plot_file, chart) -> bool:
    """Writes --plot and prints --chart of one chart; returns True when the chart replaced the working."""
    if plot_file:
        from rnncli.render.plot import plot_format, save_plot

        plot_format(plot_file)        # a wrong extension is refused before matplotlib loads
        size = save_plot(drawn, plot_file)
        click.echo(f"wrote {plot_file} ({size} bytes)", err=True)
    if chart:
        import sys

        from rnncli.render.chart_text import chart_width, render_chart_text, use_color

        click.echo(render_chart_text(drawn, chart_width(), use_color(sys.stdout)), nl=False)
        return True
    return False
