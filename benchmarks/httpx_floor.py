"""The floor for `moltbot chat`: the least a Python script can do to stream one reply.

It imports httpx, posts one streaming chat completion and prints the text deltas as
they arrive, with no config, no key store, no retries and no error handling:

    OPENROUTER_BASE_URL=... OPENROUTER_API_KEY=... python httpx_floor.py MODEL PROMPT

benchmarks/bench.py times `moltbot chat` against it on a loopback server.
"""

import json
import os
import sys

import httpx

model, prompt = sys.argv[1], sys.argv[2]
body = {"model": model, "stream": True, "messages": [{"role": "user", "content": prompt}]}
headers = {"Authorization": f"Bearer {os.environ['OPENROUTER_API_KEY']}"}
url = os.environ["OPENROUTER_BASE_URL"] + "/chat/completions"
with httpx.Client() as client, client.stream("POST", url, json=body, headers=headers) as response:
    for line in response.iter_lines():
        if line.startswith("data: ") and line != "data: [DONE]":
            for choice in json.loads(line[6:]).get("choices", []):
                print(choice.get("delta", {}).get("content") or "", end="", flush=True)
print()
