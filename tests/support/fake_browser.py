"""The BROWSER test double: plays the person at the browser. Standard library only.

webbrowser runs it as `fake-browser URL`. It appends what it did, one JSON object a line,
to $MOLTBOT_TEST_BROWSER_LOG, and does the actions named in $MOLTBOT_TEST_BROWSER
(comma-separated, in order; none by default, like a browser nobody touches):

    approve     fetch the sign-in URL and follow its redirect to the callback
    visit       fetch the sign-in URL without following the redirect (a browser on another
                machine, which cannot reach this one's loopback): logs the Location
    wrong-path  GET the callback's host at /elsewhere?code=planted
    no-code     GET the callback path without a code
    plant       GET the callback with a code OpenRouter never issued (?code=planted)
    deny        GET the callback with ?error=access_denied
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import parse_qs, urlsplit


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _fetch(url: str, *, follow: bool = True) -> dict[str, Any]:
    handlers: list[Any] = [urllib.request.ProxyHandler({})]
    if not follow:
        handlers.append(_NoRedirect())
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(url, timeout=10) as response:
            return {
                "status": response.status,
                "url": response.geturl(),
                "body": response.read(2000).decode("utf-8", "replace"),
            }
    except urllib.error.HTTPError as error:
        return {
            "status": error.code,
            "location": error.headers.get("Location"),
            "body": error.read(2000).decode("utf-8", "replace"),
        }
    except OSError as error:
        return {"status": None, "error": str(error)}


def main() -> None:
    url = sys.argv[1]
    log = os.environ.get("MOLTBOT_TEST_BROWSER_LOG")
    callback = parse_qs(urlsplit(url).query).get("callback_url", [""])[0]
    base = callback.rsplit("/", 1)[0]
    _log(log, {"opened": url})
    for action in filter(None, os.environ.get("MOLTBOT_TEST_BROWSER", "").split(",")):
        if action == "approve":
            result = _fetch(url)
        elif action == "visit":
            result = _fetch(url, follow=False)
        elif action == "wrong-path":
            result = _fetch(f"{base}/elsewhere?code=planted")
        elif action == "no-code":
            result = _fetch(callback)
        elif action == "plant":
            result = _fetch(f"{callback}?code=planted")
        elif action == "deny":
            result = _fetch(f"{callback}?error=access_denied")
        else:
            result = {"error": f"unknown action {action}"}
        _log(log, {"action": action, **result})


def _log(path: str | None, record: dict[str, Any]) -> None:
    """One line at a time, so a test can watch each action land."""
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
