"""The program's entry point and its one exit path.

`main()` is the only place where failures become exit codes and stderr lines; no
traceback reaches a user unless they asked for `--verbose`. A plain chat is parsed by
commands/chat_args.py and run without Typer; everything else goes through the Typer
root in root.py.
"""

import errno
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from moltbot_cli.console import guard_standard_streams, name_config_in_suggestions, with_config
from moltbot_cli.errors import ExitCode, MoltbotError, UsageError, report, safe_text

COMPLETE_VAR = "_MOLTBOT_COMPLETE"  # set when the shell asks for completions (as in root.py)


def __getattr__(name: str) -> Any:
    """`app`, `app_for`, `build_app`: the Typer root's, for whoever looks for them here."""
    if name in ("app", "app_for", "build_app"):
        from moltbot_cli import root

        return getattr(root, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _wants_verbose(args: Sequence[str]) -> bool:
    return any(arg in ("-v", "--verbose") for arg in args)


def hoist_global_options(args: list[str]) -> list[str]:
    """Global options where Click looks for them: `moltbot chat -v hi` is `moltbot -v chat hi`.

    Only the root takes them and no command reuses their names, so moving them to the
    front changes nothing else. After `--` every word is left as it is.
    """
    hoisted: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg in ("-v", "--verbose") or arg.startswith("--config="):
            hoisted.append(arg)
        elif arg == "--config" and index + 1 < len(args):
            hoisted.extend(args[index : index + 2])
            index += 1
        else:
            rest.append(arg)
        index += 1
    return hoisted + rest


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    completing = bool(os.environ.get(COMPLETE_VAR))
    if not completing:
        args = hoist_global_options(args)
    guard_standard_streams()
    # Every command a hint or note suggests acts on the config this run was given.
    name_config_in_suggestions(_config_flag(args))
    try:
        if not completing and args[-1:] == ["--config"] and "--" not in args:
            # `moltbot chat hi --config`: the global option lost its value. Left to Click
            # it would read as an option the command lacks ("put it before the command").
            raise UsageError("Option '--config' requires an argument.")
        chat = None
        if "chat" in args and not completing:
            from moltbot_cli.commands import chat_args

            chat = chat_args.parse(args)
        if chat is not None:
            chat.run()
            result = None
        else:
            from moltbot_cli import root

            result = root.run(args)
        sys.stdout.flush()  # a reader that left shows up here, while it can still be handled
    except MoltbotError as error:
        if _wants_verbose(args):
            traceback.print_exc()
        _end_quietly_if_reader_left(sys.stdout.flush)
        if error.hint:
            error.hint = with_config(error.hint)
        sys.exit(report(error))
    except (KeyboardInterrupt, EOFError):
        print(file=sys.stderr)
        sys.exit(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # The reader went away (`moltbot ... | head`): not a failure worth a message.
        _stdout_to_devnull()
        sys.exit(ExitCode.OK)
    except Exception as error:
        code = _click_exit_code(error)
        if code is not None:
            sys.exit(code)
        if isinstance(error, OSError) and _stdout_refuses_output(error):
            # A full disk or a broken device under stdout: the output's trouble, not a bug.
            _stdout_to_devnull()  # what is still buffered would fail again at exit
            sys.exit(
                report(
                    MoltbotError(
                        f"cannot write the output: {error.strerror or error}",
                        hint="Make room where stdout goes (a file, a disk), or send it elsewhere.",
                    )
                )
            )
        if _wants_verbose(args):
            traceback.print_exc()
        # Whatever the exception quotes (a server's bytes, a path) is shown as any
        # message is: one line, the key masked, control characters escaped.
        said = " ".join(str(error).split())[:300]
        print(
            safe_text(f"Error: unexpected failure: {type(error).__name__}: {said}"), file=sys.stderr
        )
        print("This is a bug in moltbot; run again with --verbose for details.", file=sys.stderr)
        sys.exit(ExitCode.FAILURE)
    sys.exit(result if isinstance(result, int) else ExitCode.OK)


def _click_exit_code(error: Exception) -> int | None:
    """Click's usage errors and aborts, which only a run through Typer can raise."""
    if "moltbot_cli.root" not in sys.modules:
        return None
    from moltbot_cli import root

    return root.exit_code_for(error, _end_quietly_if_reader_left)


def _config_flag(args: list[str]) -> str | None:
    """The value of a --config given on the command line (the last one wins, as in Click)."""
    found = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--config" and index + 1 < len(args):
            found = args[index + 1]
        elif arg.startswith("--config="):
            found = arg.partition("=")[2]
    return found


# What writing to a file can fail with when the file itself is fine: no room, no device.
_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO}


def _stdout_refuses_output(error: OSError) -> bool:
    """Whether `error` came from writing stdout: a nameless no-room/device error, or one
    that a flush of stdout meets again (what failed to go out is still buffered)."""
    if error.filename is None and error.errno in _OUTPUT_ERRNOS:
        return True
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        return False  # the reader left; whatever failed first is the news
    except OSError:
        return True
    return False


def _end_quietly_if_reader_left(write: Callable[[], object]) -> None:
    try:
        write()
    except BrokenPipeError:
        _stdout_to_devnull()
        sys.exit(ExitCode.OK)


def _stdout_to_devnull() -> None:
    """What is still buffered for the reader that left goes nowhere, not into an error
    at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
