"""The work behind `moltbot models scan`: find the free models that really work.

Free models (`:free` ids, or zero prices) come and go and often fail, so the catalogue's
word is checked live: each candidate, newest and largest first, is asked for a tiny
reply, then (where the catalogue claims it) a tiny tool call and a look at a 1×1 image.
Probes run a few at a time through the one shared client, so its timeouts, retries and
`Retry-After` handling apply; free models allow about 20 calls a minute, and a model
still rate limited after those waits is reported as untested, never as a failure of
the scan. The winners can become the default model and the fallbacks.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Literal, Protocol

from moltbot_cli.errors import MoltbotError, RateLimitedError, UpstreamError, UsageError
from moltbot_cli.openrouter import availability
from moltbot_cli.openrouter.catalogue import price_per_million
from moltbot_cli.openrouter.errors import empty_reply
from moltbot_cli.openrouter.server import OPENROUTER, opening
from moltbot_cli.records import Record, field
from moltbot_cli.vocabulary import refs

if TYPE_CHECKING:
    from moltbot_cli.commands.context import AppContext
    from moltbot_cli.config.document import Document
    from moltbot_cli.console import Output

DEFAULT_MAX_CANDIDATES = 12
DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16
PROBE_TIMEOUT = 30.0
# Enough for Retry-After waits on a free model's per-minute limit to pass once or twice.
PROBE_RETRIES = 2
PROBE_MAX_TOKENS = 32

# The smallest valid PNG: one transparent pixel.
ONE_PIXEL_PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
TOOL = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "The current time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {"timezone": {"type": "string", "description": "e.g. UTC"}},
            "required": ["timezone"],
        },
    },
}

Outcome = Literal["ok", "failed", "rate limited", "not claimed", "not probed", "skipped"]
SHOWN: dict[str, str] = {
    "ok": "yes",
    "failed": "no",
    "rate limited": "rate limited",
    "not claimed": "-",
    "not probed": "?",
    "skipped": "skipped",
}


class ScanOptions(Record, frozen=True):
    max_candidates: int = DEFAULT_MAX_CANDIDATES
    concurrency: int = DEFAULT_CONCURRENCY
    probe: bool = True
    set_default: bool = False
    set_fallbacks: int | None = None
    refresh: bool = False


class Candidate(Record):
    """A free model from the catalogue, and what the probes found."""

    model_id: str
    name: str
    context: int
    created: int
    claims_tools: bool
    claims_image: bool
    expires: dt.date | None
    reply: Outcome = "not probed"
    tools: Outcome = "not probed"
    image: Outcome = "not probed"
    seconds: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ref(self) -> str:
        return refs.ref_for_id(self.model_id)

    @property
    def works(self) -> bool:
        return self.reply == "ok"

    def rank_key(self, probed: bool) -> tuple[Any, ...]:
        if probed:
            answered = {"ok": 2, "rate limited": 1}.get(self.reply, 0)
            abilities = (self.tools == "ok") + (self.image == "ok")
        else:
            answered = 1
            abilities = self.claims_tools + self.claims_image
        return (-answered, -abilities, self.expires is not None, -self.context, -self.created)

    def as_json(self, rank: int) -> dict[str, Any]:
        return {
            "rank": rank,
            "key": self.ref,
            "id": self.model_id,
            "name": self.name,
            "contextLength": self.context,
            "created": self.created,
            "expirationDate": self.expires.isoformat() if self.expires else None,
            "claims": {"tools": self.claims_tools, "image": self.claims_image},
            "probe": {
                "reply": self.reply,
                "tools": self.tools,
                "image": self.image,
                "seconds": None if self.seconds is None else round(self.seconds, 2),
                "errors": self.errors,
            },
            "works": self.works,
        }


# -- choosing the candidates ----------------------------------------------------------------


def _number(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return 0
    return int(value) if abs(value) < 1e15 else 0


def is_free(model: dict[str, Any]) -> bool:
    model_id = str(model.get("id", ""))
    if model_id.startswith("openrouter/"):
        return False  # OpenRouter's routers, not models of their own
    if model_id.endswith(":free"):
        return True
    pricing = model.get("pricing")
    if not isinstance(pricing, dict):
        return False
    prompt = price_per_million(pricing.get("prompt"))
    completion = price_per_million(pricing.get("completion"))
    return prompt == 0 and completion == 0


def _modalities(model: dict[str, Any], key: str) -> list[str]:
    architecture = model.get("architecture")
    value = architecture.get(key) if isinstance(architecture, dict) else None
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def candidates(models: list[dict[str, Any]], today: dt.date, limit: int) -> list[Candidate]:
    """The free text models still live, newest and largest first, `limit` of them."""
    found = []
    for model in models:
        model_id = model.get("id")
        if not isinstance(model_id, str) or not refs.is_model_id(model_id) or not is_free(model):
            continue
        outputs = _modalities(model, "output_modalities")
        if outputs and "text" not in outputs:
            continue  # an image generator, say: nothing to chat with
        expires = availability.expiration_date(model)
        if expires is not None and expires < today:
            continue
        parameters = model.get("supported_parameters")
        name = model.get("name")
        found.append(
            Candidate(
                model_id=model_id,
                name=name if isinstance(name, str) else model_id,
                context=_number(model.get("context_length")),
                created=_number(model.get("created")),
                claims_tools=isinstance(parameters, list) and "tools" in parameters,
                claims_image="image" in _modalities(model, "input_modalities"),
                expires=expires,
            )
        )
    found.sort(key=lambda candidate: (-candidate.created, -candidate.context, candidate.model_id))
    return found[:limit]


# -- probing --------------------------------------------------------------------------------


def _ask(client: Completer, candidate: Candidate, body: dict[str, Any]) -> dict[str, Any]:
    return client.complete(
        {"model": candidate.model_id, "max_tokens": PROBE_MAX_TOKENS, **body},
        name=candidate.ref,
    )


def _message(payload: dict[str, Any]) -> dict[str, Any]:
    choice = payload["choices"][0]
    message = choice.get("message")
    return message if isinstance(message, dict) else {}


def _replied(client: Completer, candidate: Candidate) -> bool:
    payload = _ask(client, candidate, {"messages": [{"role": "user", "content": "Say OK."}]})
    if not _message(payload).get("content"):
        # Said in the table's note, as any other failed probe is.
        reason = payload["choices"][0].get("finish_reason")
        raise empty_reply(candidate.ref, reason if isinstance(reason, str) else None)
    return True


def _outcome(candidate: Candidate, what: str, probe: Any) -> Outcome:
    """Run one probe; a failure is recorded, never raised."""
    try:
        return "ok" if probe() else "failed"
    except RateLimitedError as error:
        candidate.errors.append(f"{what}: {error.message}")
        return "rate limited"
    except MoltbotError as error:
        candidate.errors.append(f"{what}: {error.message}")
        return "failed"


def probe(client: Completer, candidate: Candidate) -> Candidate:
    """A reply first; only a model that answers is asked for a tool call and an image."""
    started = time.monotonic()
    candidate.reply = _outcome(candidate, "reply", lambda: _replied(client, candidate))
    candidate.seconds = time.monotonic() - started
    if candidate.reply != "ok":
        skipped: Outcome = "skipped"
        candidate.tools = skipped if candidate.claims_tools else "not claimed"
        candidate.image = skipped if candidate.claims_image else "not claimed"
        return candidate
    if candidate.claims_tools:
        candidate.tools = _outcome(candidate, "tools", lambda: _called_the_tool(client, candidate))
    else:
        candidate.tools = "not claimed"
    if candidate.claims_image:
        candidate.image = _outcome(candidate, "image", lambda: _saw_the_image(client, candidate))
    else:
        candidate.image = "not claimed"
    return candidate


def _called_the_tool(client: Completer, candidate: Candidate) -> bool:
    payload = _ask(
        client,
        candidate,
        {
            "messages": [{"role": "user", "content": "What time is it in UTC? Use the tool."}],
            "tools": [TOOL],
        },
    )
    calls = _message(payload).get("tool_calls")
    if not isinstance(calls, list):
        return False
    return any(
        isinstance(call, dict)
        and isinstance(call.get("function"), dict)
        and call["function"].get("name") == "get_time"
        for call in calls
    )


def _saw_the_image(client: Completer, candidate: Candidate) -> bool:
    content = [
        {"type": "text", "text": "What is in this image? One word."},
        {"type": "image_url", "image_url": {"url": ONE_PIXEL_PNG}},
    ]
    payload = _ask(client, candidate, {"messages": [{"role": "user", "content": content}]})
    return bool(_message(payload).get("content"))


class Completer(Protocol):
    def complete(self, body: dict[str, Any], *, name: str | None = None) -> dict[str, Any]: ...


class Paced:
    """The shared client, one probe at a time once any probe has stayed rate limited.

    The client already waits as long as each 429's `Retry-After` asks; a probe still
    refused after that means the account's free-model budget is spent for now, and more
    probes in parallel would only spend it faster.
    """

    def __init__(self, client: Completer) -> None:
        self.client = client
        self.slowed = threading.Event()
        self._turn = threading.Lock()

    def complete(self, body: dict[str, Any], *, name: str | None = None) -> dict[str, Any]:
        if not self.slowed.is_set():
            try:
                return self.client.complete(body, name=name)
            except RateLimitedError:
                self.slowed.set()
                raise
        with self._turn:
            return self.client.complete(body, name=name)


def probe_all(client: Completer, found: list[Candidate], concurrency: int) -> list[Candidate]:
    paced = Paced(client)
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="scan")
    futures = [pool.submit(probe, paced, candidate) for candidate in found]
    try:
        return [future.result() for future in futures]
    finally:
        # On Ctrl-C, probes not yet started are dropped and nobody waits for those running:
        # closing the client (by the caller, right after) ends them.
        pool.shutdown(wait=False, cancel_futures=True)


# -- the command ----------------------------------------------------------------------------


def _check_options(options: ScanOptions) -> None:
    if options.max_candidates < 1:
        raise UsageError("--max-candidates must be 1 or more")
    if not 1 <= options.concurrency <= MAX_CONCURRENCY:
        raise UsageError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}")
    if options.set_fallbacks is not None and options.set_fallbacks < 0:
        raise UsageError("--set-fallbacks must be 0 or more")


def scan(app: AppContext, out: Output, options: ScanOptions) -> None:
    from moltbot_cli.commands.models_work import load_catalogue
    from moltbot_cli.credentials import require_key

    _check_options(options)
    settings = app.store.settings()
    key = require_key(app.config_path, settings).key if options.probe else None
    catalogue = load_catalogue(app, out, refresh=options.refresh)
    found = candidates(catalogue.models, dt.date.today(), options.max_candidates)
    if not found:
        if options.set_default or options.set_fallbacks is not None:
            raise UpstreamError(
                f"{opening(catalogue.server)} lists no free model right now; nothing was changed.",
                hint="See the catalogue with `moltbot models list --all --free`.",
            )
        _show(out, [], options, {}, server=catalogue.server)
        return
    if options.probe:
        concurrency = min(options.concurrency, len(found))
        with (
            app.client(
                key, base_url=settings.base_url, timeout=PROBE_TIMEOUT, retries=PROBE_RETRIES
            ) as client,
            out.spinner(f"Probing {len(found)} free models, {concurrency} at a time…"),
        ):
            found = probe_all(client, found, concurrency)
    ranked = sorted(found, key=lambda candidate: candidate.rank_key(options.probe))
    chosen = _write_winners(app, out, ranked, options)
    _show(out, ranked, options, chosen)


def _show(
    out: Output,
    ranked: list[Candidate],
    options: ScanOptions,
    chosen: dict[str, Any],
    *,
    server: str = OPENROUTER,
) -> None:
    if out.is_json:
        out.json(
            {
                "count": len(ranked),
                "probed": options.probe,
                "models": [candidate.as_json(rank) for rank, candidate in enumerate(ranked, 1)],
                **chosen,
            }
        )
        return
    if out.is_plain:
        for candidate in ranked:
            if candidate.works or not options.probe:
                out.line(candidate.ref)
        return
    headers = ("#", "ref", "context", "reply", "tools", "image", "note")
    rows: list[list[str]] = []
    for rank, candidate in enumerate(ranked, 1):
        if options.probe:
            cells = [SHOWN[candidate.reply], SHOWN[candidate.tools], SHOWN[candidate.image]]
        else:
            cells = ["?", "claimed" if candidate.claims_tools else "-"]
            cells.append("claimed" if candidate.claims_image else "-")
        note = f"expires {candidate.expires}" if candidate.expires else ""
        if candidate.errors:
            note = "; ".join(filter(None, [note, candidate.errors[0]]))
        rows.append([str(rank), candidate.ref, _context(candidate.context), *cells, note])
    if rows:
        out.table(headers, rows, no_wrap=("ref",))
    working = sum(candidate.works for candidate in ranked)
    if not ranked:
        out.note(f"{opening(server)} lists no free model right now.")
    elif options.probe:
        out.note(f"{working} of {len(ranked)} free models answered.")
    else:
        out.note("Not probed (--no-probe): what the catalogue claims, untested.")


def _context(tokens: int) -> str:
    if tokens >= 1_000_000:
        return f"{tokens / 1_000_000:g}M"
    if tokens >= 1000:
        return f"{round(tokens / 1000)}K"
    return str(tokens)


def _write_winners(
    app: AppContext, out: Output, ranked: list[Candidate], options: ScanOptions
) -> dict[str, Any]:
    """`--set-default` / `--set-fallbacks K`: the best models that answered, in rank order."""
    if not options.set_default and options.set_fallbacks is None:
        return {}
    usable = [c.ref for c in ranked if c.works] if options.probe else [c.ref for c in ranked]
    if not usable:
        raise UpstreamError(
            "no free model answered the probes; nothing was changed.",
            hint="Try again in a minute (free models are rate limited), or with more "
            "--max-candidates.",
        )
    from moltbot_cli.commands.models_work import drop_from_fallbacks
    from moltbot_cli.config.settings import FALLBACKS_PATH, PRIMARY_PATH

    settings = app.store.settings()
    default = usable[0] if options.set_default else (settings.primary or refs.DEFAULT_MODEL)
    fallbacks: list[str] | None = None
    if options.set_fallbacks is not None:
        fallbacks = [ref for ref in usable if not refs.same_model(ref, default)]
        fallbacks = fallbacks[: options.set_fallbacks]

    def edit(document: Document) -> Document:
        if options.set_default:
            document, _ = drop_from_fallbacks(
                document.set(PRIMARY_PATH, default), default, settings
            )
        if fallbacks is not None:
            document = document.set(FALLBACKS_PATH, fallbacks)
        return document

    app.store.update(edit)
    chosen: dict[str, Any] = {}
    if not options.probe:
        out.warn("the models written were not probed (--no-probe); they may not answer.")
    if options.set_default:
        out.note(f"Default model: {default}")
        chosen["defaultModel"] = default
    if fallbacks is not None:
        out.note(f"Fallbacks: {', '.join(fallbacks) or 'none'}")
        chosen["fallbacks"] = fallbacks
    return chosen
