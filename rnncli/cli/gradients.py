"""Commands on derivatives: gradients (back-propagation through time) and jacobian."""
from __future__ import annotations

import click

from rnncli.cli.changes import change_options, load_changed, teacher_forcing_option
from rnncli.cli.plotting import chart_options, show_chart
from rnncli.cli.app import FORMATS, cli, emit, format_option, precision_option


class StepsChoice(click.ParamType):
    """`all`, `last`, or a step number."""

    name = "all|last|T"

    def convert(self, value, param, ctx):
        if value in ("all", "last"):
            return value
        try:
            return int(value)
        except ValueError:
            self.fail(f"{value!r} is not `all`, `last` or a step number", param, ctx)


def _with_loss(problem, loss_text):
    """Returns the problem with the loss given on the command line (the problem's `at`, `mean` kept)."""
    import dataclasses

    from rnncli.files.problem import parse_loss

    if loss_text is None:
        return problem
    old = problem.loss
    loss = parse_loss(loss_text, file="--loss")
    if old is not None:
        loss = dataclasses.replace(loss, at=old.at, mean=old.mean)
    return dataclasses.replace(problem, loss=loss)


@cli.command()
@click.argument("problem", type=str)
@click.option("--loss", "loss_text", metavar="EXPR",
              help="The loss at one step (replaces the problem's), e.g. \"0.5 * (y - target) ** 2\".")
@click.option("--at", "at", type=StepsChoice(), help="Count the loss at every step (all), the last, "
              "or step T only (default: the problem's `loss.at`, else all).")
@click.option("--mean", "mean", is_flag=True, default=None,
              help="L is the mean of the counted steps' losses, not their sum.")
@click.option("--truncate", type=click.IntRange(min=1), metavar="K",
              help="Truncated BPTT: each step's loss flows back at most K steps.")
@click.option("--clip-norm", type=click.FloatRange(min=0, min_open=True), metavar="X",
              help="Clip like torch.nn.utils.clip_grad_norm_(params, X).")
@click.option("--clip-value", type=click.FloatRange(min=0, min_open=True), metavar="X",
              help="Clip like torch.nn.utils.clip_grad_value_(params, X).")
@click.option("--lr", type=float, metavar="ETA",
              help="Add one step of gradient descent: p - ETA * grad (after clipping).")
@format_option(FORMATS)
@precision_option
@change_options
@teacher_forcing_option
@chart_options
def gradients(problem, loss_text, at, mean, truncate, clip_norm, clip_value, lr, sets, forcings,
              plot_file, chart, output_format, precision):
    """Back-propagation through time, with every chain-rule term shown.

    From the last step back to the first: dL/dq(t) for every quantity, as the
    sum over everything that reads q(t), in symbols, with the numbers, and its
    value; then every parameter's gradient as the sum of its per-step terms,
    and the total norm.

    \b
    Examples:
      rnncli gradients problems/lstm-gomez-backprop.yaml
      rnncli gradients problems/lstm-gomez-backprop.yaml --lr 0.1 --format markdown
      rnncli gradients problems/lstm-goodfellow-gradients.yaml --clip-norm 0.01
      rnncli gradients problems/rnn-vanishing-gradients.yaml --at last --format json
    """
    from rnncli.errors import ProblemError
    from rnncli.solve.gradients import GradientOptions, run_gradients

    if clip_norm is not None and clip_value is not None:
        raise ProblemError("give --clip-norm or --clip-value, not both")
    loaded = _with_loss(load_changed(problem, sets, forcings), loss_text)
    options = GradientOptions(at=at, mean=mean, truncate=truncate, clip_norm=clip_norm,
                              clip_value=clip_value, lr=lr)
    result = run_gradients(loaded, options)
    if plot_file or chart:
        from rnncli.solve.series import gradient_chart

        if show_chart(gradient_chart(result), plot_file, chart):
            return
    if output_format == "json":
        from rnncli.render.gradients import gradients_document
        from rnncli.render.json_document import dumps

        emit(dumps(gradients_document(result)))
    elif output_format == "markdown":
        from rnncli.render.gradients import render_markdown

        emit(render_markdown(result, precision))
    elif output_format == "latex":
        from rnncli.render.gradients import render_latex

        emit(render_latex(result, precision))
    else:
        from rnncli.render.gradients import render_gradients_text
        from rnncli.render.text import make_console

        render_gradients_text(result, precision, make_console())


@cli.command()
@click.argument("problem", type=str)
@click.option("--of", "of", required=True, metavar="Q", help="The state (a quantity read at t-1).")
@click.option("--to", "to", type=int, metavar="T", help="The last step T (default: the last step).")
@format_option(FORMATS)
@precision_option
@change_options
@teacher_forcing_option
@chart_options
def jacobian(problem, of, to, sets, forcings, plot_file, chart, output_format, precision):
    """How a state carries gradients back in time: dq(t)/dq(t-1) and dq(T)/dq(k).

    The one-step derivative by the chain rule in symbols, its direct term and
    its total with numbers; then dq(T)/dq(k) for every k back to the initial
    state, with its norm (the spectral norm of a matrix) and the first k where
    it falls below 1e-3 (vanishing) or rises above 1e3 (exploding).

    \b
    Examples:
      rnncli jacobian problems/lstm-dcdc.yaml --of c
      rnncli jacobian problems/lstm-dcdc-forget-closed.yaml --of c --format json
      rnncli jacobian problems/rnn-vanishing-gradients.yaml --of h --to 40
    """
    from rnncli.solve.jacobian import run_jacobian

    result = run_jacobian(load_changed(problem, sets, forcings), of, to)
    if plot_file or chart:
        from rnncli.solve.series import jacobian_chart

        if show_chart(jacobian_chart(result), plot_file, chart):
            return
    if output_format == "json":
        from rnncli.render.jacobian import jacobian_json

        emit(jacobian_json(result))
    elif output_format == "markdown":
        from rnncli.render.jacobian import render_markdown

        emit(render_markdown(result, precision))
    elif output_format == "latex":
        from rnncli.render.jacobian import render_latex

        emit(render_latex(result, precision))
    else:
        from rnncli.render.jacobian import render_jacobian_text
        from rnncli.render.text import make_console

        render_jacobian_text(result, precision, make_console())
