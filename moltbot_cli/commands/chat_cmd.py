"""`moltbot chat`: ask a model something and stream the reply to stdout."""

import typer

from moltbot_cli import completion
from moltbot_cli.commands.context import app_context


def chat(
    ctx: typer.Context,
    prompt: list[str] | None = typer.Argument(
        None, metavar="PROMPT", help="What to ask. Piped stdin is added after it as context."
    ),
    model: str | None = typer.Option(
        None,
        "-m",
        "--model",
        metavar="REF|ALIAS",
        help="Model to ask (default: the configured primary).",
        autocompletion=completion.model_refs,
    ),
    system: str | None = typer.Option(
        None, "-s", "--system", metavar="TEXT", help="System prompt for this call."
    ),
    temperature: float | None = typer.Option(
        None,
        "--temperature",
        metavar="0-2",
        min=0.0,
        max=2.0,
        help="Sampling temperature (over the params).",
    ),
    max_tokens: int | None = typer.Option(
        None, "--max-tokens", metavar="N", min=1, help="Longest reply in tokens (over the params)."
    ),
    only: str | None = typer.Option(
        None, "--only", metavar="a,b", help="Use only these providers for this call."
    ),
    order: str | None = typer.Option(
        None, "--order", metavar="a,b", help="Try these providers first, in this order."
    ),
    no_stream: bool = typer.Option(
        False, "--no-stream", help="Wait for the whole reply instead of streaming it."
    ),
    json: bool = typer.Option(
        False, "--json", help='Print one JSON object: {"id", "model", "provider", "content", ...}.'
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the request (key masked) instead of sending it."
    ),
    timeout: float | None = typer.Option(
        None,
        "--timeout",
        metavar="SECONDS",
        min=0.1,
        help="Give up when OpenRouter stays silent this long (default 120; connecting: 10).",
    ),
    retries: int = typer.Option(
        3,
        "--retries",
        metavar="N",
        min=0,
        max=20,
        help="Extra tries on 429/408/502/503/504 and dropped connections.",
    ),
    usage: bool = typer.Option(
        False, "--usage", help="Print the model served, provider, tokens and cost on stderr."
    ),
    no_fallbacks: bool = typer.Option(
        False, "--no-fallbacks", help="Ask only this model, never the configured fallbacks."
    ),
    no_stdin: bool = typer.Option(
        False,
        "-n",
        "--no-stdin",
        help="Never read stdin (as ssh -n): for loops that read lines and call moltbot.",
    ),
    continue_last: bool = typer.Option(
        False,
        "-c",
        "--continue",
        help="Continue the last conversation: its earlier turns are sent along.",
    ),
    cid: str | None = typer.Option(
        None,
        "--cid",
        metavar="ID",
        help="Continue this conversation (an id from `moltbot logs list`).",
    ),
    no_log: bool = typer.Option(False, "--no-log", help="Do not record this call in the call log."),
) -> None:
    """Ask a model and stream its reply to stdout; with no prompt at a terminal, chat.

    Examples:

    \b
      moltbot chat "hello"
      moltbot chat -c "and in French?"
      moltbot chat
      echo "some text" | moltbot chat summarize
      moltbot chat -m "Claude Sonnet" --only anthropic --usage "hi"
      moltbot chat --json hi | jq .usage
    """
    from moltbot_cli.commands.chat_work import ChatCommand, run_chat

    app = app_context(ctx)
    run_chat(
        app,
        app.output(json=json),
        ChatCommand(
            words=list(prompt or []),
            model=model,
            system=system,
            temperature=temperature,
            max_tokens=max_tokens,
            only=only,
            order=order,
            stream=not no_stream,
            dry_run=dry_run,
            timeout=timeout,
            retries=retries,
            usage=usage,
            fallbacks=not no_fallbacks,
            read_stdin=not no_stdin,
            continue_last=continue_last,
            cid=cid,
            log=not no_log,
        ),
    )
