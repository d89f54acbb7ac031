"""`moltbot chat`: ask a model something and stream the reply to stdout."""

import typer
from typer._click.types import Tuple as ClickTuple

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
        help="The most the whole command takes, and any single wait (default: 120 per wait, 600 in all).",
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
    option: list[str] | None = typer.Option(
        None,
        "-o",
        "--option",
        metavar="NAME VALUE",
        click_type=ClickTuple([str, str]),
        help="Any request field (top_p, stop, seed, ...); VALUE is JSON5, else a string.",
    ),
    reasoning_effort: str | None = typer.Option(
        None,
        "--reasoning-effort",
        metavar="xhigh|high|medium|low|minimal|none",
        help="How hard the model thinks (the request's reasoning.effort).",
        autocompletion=completion.reasoning_efforts,
    ),
    reasoning_max_tokens: int | None = typer.Option(
        None,
        "--reasoning-max-tokens",
        metavar="N",
        min=1,
        help="A token budget for reasoning instead of an effort.",
    ),
    hide_reasoning: bool = typer.Option(
        False, "--hide-reasoning", help="Do not stream the model's reasoning to stderr."
    ),
    schema: str | None = typer.Option(
        None,
        "--schema",
        metavar="FILE|JSON|FIELDS",
        help="Reply in JSON fitting this schema ('name, age int, tags list' works too).",
    ),
    attach: list[str] | None = typer.Option(
        None,
        "-a",
        "--attach",
        metavar="PATH|URL|-",
        help="Attach an image, PDF or text file (repeatable; - reads one from stdin).",
    ),
    pdf_engine: str | None = typer.Option(
        None,
        "--pdf-engine",
        metavar="pdf-text|mistral-ocr|native",
        help="How attached PDFs are read.",
        autocompletion=completion.pdf_engines,
    ),
    web: bool = typer.Option(
        False, "--web", help="Search the web for this call; sources on stderr."
    ),
    strict: bool = typer.Option(
        False, "--strict", help="Refuse fields the model does not list, instead of warning."
    ),
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
      moltbot chat --reasoning-effort high "why is the sky blue?"
      moltbot chat --schema 'name, age int' "invent a person"
      moltbot chat -a photo.png "what is in this picture?"
      moltbot chat --web "what happened in the news today?"
      moltbot chat -o top_p 0.9 -o stop '["END"]' "count to ten"
    """
    values = dict(locals())  # first, so it holds the parameters alone, by name
    from moltbot_cli.commands.chat_args import make_command
    from moltbot_cli.commands.chat_work import run_chat

    app = app_context(values.pop("ctx"))
    run_chat(app, app.output(json=json), make_command(values))
