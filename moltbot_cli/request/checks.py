"""Checks before sending: does the chosen model take what this request asks of it?

Against the cached catalogue (no catalogue: no checks, and the caller says so):
- a field the model does not list in `supported_parameters` is a warning (an error
  with --strict), naming the field and the model;
- `reasoning.effort` "none" for a model that always reasons, or an effort it does not
  list, is refused with the efforts it takes;
- an image for a model without image input, a PDF read natively by a model without
  file input, a schema for a model without structured outputs: refused, naming a few
  models that can;
- a prompt (and attachments) far beyond the model's context: refused with the numbers.
Presets are the account's own bundles, unknown to the catalogue: they are not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from moltbot_cli.errors import UsageError
from moltbot_cli.openrouter.capabilities import Capabilities, capabilities
from moltbot_cli.openrouter.catalogue import ROUTING_SUFFIXES, Catalogue
from moltbot_cli.records import Record
from moltbot_cli.request.body import ChatOptions
from moltbot_cli.vocabulary import refs
from moltbot_cli.vocabulary.params import NOT_MODEL_PARAMETERS

# A rough 4 characters a token; "far beyond" leaves room for the roughness.
CHARS_PER_TOKEN = 4
FAR_BEYOND = 1.5
IMAGE_TOKENS = 1000
SUGGESTED = 3


class Need(Record, frozen=True):
    """Something the request needs from the model, and how to ask a catalogue record."""

    what: str
    takes: Callable[[Capabilities], bool]


IMAGE = Need("images", lambda model: model.takes_input("image"))
FILE = Need("PDFs read natively (--pdf-engine native)", lambda model: model.takes_input("file"))
SCHEMA = Need("structured output (--schema)", lambda model: model.structured_outputs)


def record_for(catalogue: Catalogue, ref: str) -> dict[str, Any] | None:
    found = catalogue.get(ref)
    if found is None:
        for suffix in ROUTING_SUFFIXES:
            if ref.endswith(suffix):
                found = catalogue.get(ref[: -len(suffix)])
    return found


def check_request(
    body: dict[str, Any],
    ref: str,
    options: ChatOptions,
    catalogue: Catalogue,
    *,
    configured: Iterable[str] = (),
    strict: bool = False,
) -> list[str]:
    """The warnings for this request; raises UsageError for what the model cannot take."""
    if refs.is_preset(ref):
        return []
    record = record_for(catalogue, ref)
    if record is None:
        return [f"Note: {ref} is not in the model list; the request was not checked against it."]
    model = capabilities(record)
    _check_reasoning(body, ref, model)
    needs = []
    if any(item.kind == "image" for item in options.attachments):
        needs.append(IMAGE)
    if options.has_pdf and options.pdf_engine == "native":
        needs.append(FILE)
    if options.structured is not None or "response_format" in body:
        needs.append(SCHEMA)
    for need in needs:
        if not need.takes(model):
            able = _models_that(need, catalogue, configured, ref)
            raise UsageError(
                f"{ref} does not take {need.what}",
                hint=("Models that do: " + ", ".join(able) + ".")
                if able
                else "No model in the model list says it does.",
            )
    _check_context(body, ref, model, options)
    warnings = []
    for name in body:
        if name in NOT_MODEL_PARAMETERS or name == "response_format":
            continue
        if not model.takes_parameter(name):
            message = f"{ref} does not list `{name}` among its supported parameters"
            if strict:
                raise UsageError(message, hint="Leave it out, or drop --strict to send it anyway.")
            warnings.append(f"Warning: {message}; the provider may ignore it or refuse the call.")
    return warnings


def _check_reasoning(body: dict[str, Any], ref: str, model: Capabilities) -> None:
    reasoning = body.get("reasoning")
    effort = reasoning.get("effort") if isinstance(reasoning, dict) else None
    if not isinstance(effort, str):
        return
    takes = [item for item in model.reasoning_efforts or () if item != "none"]
    listed = ", ".join(takes) if takes else "none listed"
    if effort == "none" and model.reasoning_mandatory:
        raise UsageError(
            f"{ref} always reasons: reasoning effort none is refused",
            hint=f"Efforts it takes: {listed}.",
        )
    if (
        effort != "none"
        and model.reasoning_efforts is not None
        and effort not in model.reasoning_efforts
    ):
        raise UsageError(
            f"{ref} does not take reasoning effort {effort}", hint=f"Efforts it takes: {listed}."
        )


def estimated_tokens(body: dict[str, Any]) -> int:
    """A rough count of the prompt's tokens: its characters / 4, an image ~1000."""
    chars = 0
    images = 0
    for message in body.get("messages", []):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            chars += len(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and isinstance(part.get("text"), str):
                    chars += len(part["text"])
                elif isinstance(part, dict) and part.get("type") == "image_url":
                    images += 1
    return chars // CHARS_PER_TOKEN + images * IMAGE_TOKENS


def _check_context(
    body: dict[str, Any], ref: str, model: Capabilities, options: ChatOptions
) -> None:
    if model.context_length is None:
        return
    tokens = estimated_tokens(body)
    if tokens > model.context_length * FAR_BEYOND:
        what = "the prompt and its attachments" if options.attachments else "the prompt"
        raise UsageError(
            f"{what} come to about {tokens:,} tokens, far beyond the "
            f"{model.context_length:,}-token context of {ref}",
            hint="Shorten it, attach less, or ask a model with a longer context.",
        )


def _models_that(
    need: Need, catalogue: Catalogue, configured: Iterable[str], ref: str
) -> list[str]:
    """A few models that can: the configured ones first, then the list's own order."""
    found: list[str] = []
    candidates = [*configured, *(refs.ref_for_id(model_id) for model_id in catalogue.by_id)]
    for candidate in candidates:
        if len(found) >= SUGGESTED:
            break
        if refs.is_preset(candidate) or refs.same_model(candidate, ref) or candidate in found:
            continue
        record = record_for(catalogue, candidate)
        if record is not None and need.takes(capabilities(record)):
            found.append(candidate)
    return found
