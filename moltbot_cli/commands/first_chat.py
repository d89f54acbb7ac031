"""`onboard --test-chat`: one tiny chat through the whole path, right after saving.

It goes through the request layer like any `moltbot chat`, so the default model's own
params and routing are used. It runs after the key and config are saved: a failure
here is reported with its usual exit code, and says that what was saved stays saved.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from moltbot_cli.commands.key_report import money, server_text
from moltbot_cli.errors import MoltbotError, UpstreamError

if TYPE_CHECKING:
    from moltbot_cli.commands.context import AppContext
    from moltbot_cli.console import Output

PROMPT = "Reply with OK"
SAVED = "Your key and settings were saved"
LATER = (
    'Try `moltbot chat "hello"` later, or pick another default model with `moltbot models set REF`.'
)
# Hints written for `chat` name its flags; onboard has none of them.
CHAT_FLAGS = re.compile(r"(?<![\w-])(-m|--timeout|--retries)\b")


def _names_chat_flags(hint: str) -> bool:
    return CHAT_FLAGS.search(hint) is not None


def send_test_chat(app: AppContext, out: Output, model: str, key: str) -> None:
    from moltbot_cli.request.body import ChatOptions, build_messages
    from moltbot_cli.request.walk import Served, converse

    try:
        settings = app.store.settings()  # as just written: the routing chosen applies
        options = ChatOptions(stream=False)
        served: Served | None = None
        with (
            app.client(key, base_url=settings.base_url) as client,
            out.spinner(f"Sending a test chat to {model}…"),
        ):
            for item in converse(client, settings, [model], build_messages(PROMPT, None), options):
                if isinstance(item, Served):
                    served = item
        if served is None or not served.result.content.strip():
            raise UpstreamError(f"{model} sent an empty reply")
    except MoltbotError as error:
        # The same failure, with its own exit code, told as what it is: only the test failed.
        error.message = f"the test chat failed: {error.message}"
        then = error.hint if error.hint and not _names_chat_flags(error.hint) else LATER
        error.hint = f"{SAVED}. {then}"
        raise
    result = served.result
    reply = server_text(result.content, 60) or "(nothing printable)"
    provider = server_text(result.provider, 40) or "an unnamed provider"
    served_by = server_text(result.model, 80)
    usage = result.usage or {}
    cost = usage.get("cost")
    cost_text = (
        money(float(cost))
        if isinstance(cost, (int, float)) and not isinstance(cost, bool)
        else "not reported"
    )
    via = f"{served_by} via {provider}" if served_by else provider
    out.note(f"Test chat OK: {reply!r} from {via}; cost {cost_text}.")
