"""The ``zan`` group: errors, warnings and log messages of every command, ``zan versions``.

:class:`ZanGroup` turns zan's own errors into one line and exit status 2, prints zan's
warnings once each, and sends the ``zan`` logger's messages to standard error at the
level asked with ``-v`` (info), ``-vv`` (debug) or ``-q`` (warnings and errors only,
no progress bars).
"""

from __future__ import annotations

import logging
import warnings

import click

from .._version import __version__
from ..errors import ZanError, ZanWarning, cli_text

__all__ = ["EchoHandler", "ZanGroup", "log_level", "main"]


class EchoHandler(logging.Handler):
    """Log records on standard error as ``info: <message>`` (click's current stream)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            where = f"{record.name}: " if record.levelno < logging.INFO else ""
            click.echo(f"{record.levelname.lower()}: {where}{record.getMessage()}", err=True)
        except Exception:  # pragma: no cover - logging must never break a command
            self.handleError(record)


def log_level(verbose: int, quiet: bool) -> int:
    """The ``zan`` logger's level for ``-v`` (repeated ``verbose`` times) and ``-q``.

    Examples
    --------
    >>> [logging.getLevelName(log_level(v, False)) for v in (0, 1, 2)]
    ['WARNING', 'INFO', 'DEBUG']
    >>> logging.getLevelName(log_level(0, True))
    'WARNING'
    """
    if quiet or verbose <= 0:
        return logging.WARNING
    return logging.INFO if verbose == 1 else logging.DEBUG


class ZanGroup(click.Group):
    """Click group that turns zan's own errors into a clear message and exit status 2,
    and prints zan's warnings (:class:`zan.errors.ZanWarning`) once each as
    ``warning: <message>`` on standard error."""

    def invoke(self, ctx: click.Context):
        seen: set[str] = set()
        default_show = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if not issubclass(category, ZanWarning):
                return default_show(message, category, filename, lineno, file, line)
            if str(message) not in seen:
                seen.add(str(message))
                click.secho(f"warning: {message}", err=True, fg="yellow")

        verbose, quiet = ctx.params.get("verbose", 0), ctx.params.get("quiet", False)
        if verbose and quiet:
            raise click.UsageError("-v and -q contradict each other: give one of them")
        logger = logging.getLogger("zan")
        handler, level = EchoHandler(), logger.level
        logger.addHandler(handler)
        logger.setLevel(log_level(verbose, quiet))
        with warnings.catch_warnings():
            warnings.simplefilter("always", ZanWarning)
            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except ZanError as exc:
                if (ctx.obj or {}).get("debug"):
                    raise
                click.secho(f"Error: {cli_text(str(exc))}", err=True, fg="red")
                click.echo("(run 'zan --debug ...' to see the traceback)", err=True)
                ctx.exit(2)
            finally:
                logger.removeHandler(handler)
                logger.setLevel(level)


@click.group(cls=ZanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zan")
@click.option("--debug", is_flag=True, help="Show the full traceback of errors.")
@click.option(
    "-v",
    "--verbose",
    count=True,
    help="Say what is read, aligned, allocated and written (-vv: debug details).",
)
@click.option("-q", "--quiet", is_flag=True, help="Warnings and errors only; no progress bars.")
@click.pass_context
def main(ctx: click.Context, debug: bool, verbose: int, quiet: bool) -> None:
    """zan: measure ENAF consumption and share the regional ZAN envelope."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    ctx.obj["verbose"] = verbose
    ctx.obj["quiet"] = quiet


@main.command("versions")
def versions_cmd():
    """Print the versions of zan and its dependencies."""
    from .._show_versions import show_versions

    show_versions()
