"""``segbench`` entry point. Subcommand modules are imported here; heavy libraries (numpy,
numba, pandas, torch) are imported inside the commands, so ``segbench --help`` starts fast."""

from __future__ import annotations

import sys
from typing import Optional

import typer
from typer.core import TyperGroup

from segbench import __version__
from segbench.cli import common


def _click_exceptions():
    """(Abort, ClickException, NoArgsIsHelpError, UsageError) of the click typer runs on: its
    vendored copy (typer >= 0.24) or the click package (older typer)."""
    import typer.core

    click = getattr(typer.core, "_click", None) or getattr(typer.core, "click")
    exc = click.exceptions
    abort = getattr(typer.core, "Abort", None) or exc.Abort
    no_args = getattr(exc, "NoArgsIsHelpError", None) or type("_NeverRaised", (Exception,), {})
    return abort, exc.ClickException, no_args, exc.UsageError


class OneLineUsageErrors(TyperGroup):
    """The root command: a usage error (missing or unknown option, bad value, unknown command)
    prints one line, ``error: <what> (see '<command> --help')``, and exits 2, like segbench's own
    input errors, instead of typer's usage text and boxed panel. Help output is unchanged."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        Abort, ClickException, NoArgsIsHelpError, UsageError = _click_exceptions()
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except NoArgsIsHelpError as exc:  # the help is already printed
            sys.exit(exc.exit_code)
        except UsageError as exc:
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
            common.print_error(" ".join(exc.format_message().split()) + hint)
            sys.exit(exc.exit_code)
        except ClickException as exc:
            common.print_error(" ".join(exc.format_message().split()))
            sys.exit(exc.exit_code)
        except Abort:
            common.print_error("aborted; nothing was written")
            sys.exit(1)
        # Non-standalone click returns an explicit exit code (typer.Exit) or the command's value.
        sys.exit(result if isinstance(result, int) and not isinstance(result, bool) else 0)


app = typer.Typer(
    cls=OneLineUsageErrors,
    name="segbench",
    help="Benchmark image-segmentation models: exact, fast evaluation; paper-style tables; leaderboards.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"segbench {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                           help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
) -> None:
    common.STATE["debug"] = debug


def _register() -> None:
    from segbench.cli import eval_cmd, synth_cmd

    app.add_typer(eval_cmd.app, name="eval")
    synth_cmd.register(app)
    from segbench.cli import compare_cmd, leaderboard_cmd, plot_cmd  # noqa: E402  (issue 7: reports)

    compare_cmd.register(app)
    plot_cmd.register(app)
    app.add_typer(leaderboard_cmd.app, name="leaderboard")

    from segbench.cli import datasets_cmd

    app.add_typer(datasets_cmd.app, name="datasets")

    from segbench.cli import models_cmd, run_cmd  # noqa: E402 - issue 6: model registry and training

    run_cmd.register(app)
    models_cmd.register(app)


_register()


def main() -> None:
    from segbench.cli.process_tuning import tune_cli_process

    tune_cli_process()  # Numba start-up and allocator settings for this command-line process
    try:
        app()
    finally:
        # The process is about to exit: move every object to the permanent GC generation so that
        # interpreter shutdown skips collecting them (numba's ~1M objects: 0.25 s per run).
        import gc

        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
