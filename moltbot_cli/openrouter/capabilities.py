"""What a catalogue record says a model takes: parameters, inputs, reasoning, context.

Read from the `/models` record as cached; every field may be missing or malformed
(the server's bytes are hostile), in which case the model is taken to say nothing.
"""

from __future__ import annotations

from typing import Any

from moltbot_cli.records import Record


class Capabilities(Record, frozen=True):
    id: str
    supported_parameters: frozenset[str] | None  # None: the record does not say
    input_modalities: frozenset[str] | None
    context_length: int | None
    reasoning_efforts: tuple[str, ...] | None
    reasoning_mandatory: bool
    reasoning_default_effort: str | None

    def takes_parameter(self, name: str) -> bool:
        return self.supported_parameters is None or name in self.supported_parameters

    def takes_input(self, modality: str) -> bool:
        return self.input_modalities is None or modality in self.input_modalities

    @property
    def structured_outputs(self) -> bool:
        return self.supported_parameters is None or bool(
            {"response_format", "structured_outputs"} & self.supported_parameters
        )


def _strings(value: Any) -> frozenset[str] | None:
    if not isinstance(value, list):
        return None
    return frozenset(item for item in value if isinstance(item, str))


def capabilities(record: dict[str, Any]) -> Capabilities:
    architecture = record.get("architecture")
    modalities = (
        _strings(architecture.get("input_modalities")) if isinstance(architecture, dict) else None
    )
    found = record.get("reasoning")
    reasoning: dict[str, Any] = found if isinstance(found, dict) else {}
    efforts = reasoning.get("supported_efforts")
    context = record.get("context_length")
    default_effort = reasoning.get("default_effort")
    return Capabilities(
        id=str(record.get("id", "")),
        supported_parameters=_strings(record.get("supported_parameters")),
        input_modalities=modalities,
        context_length=context
        if isinstance(context, int) and not isinstance(context, bool) and context > 0
        else None,
        reasoning_efforts=tuple(item for item in efforts if isinstance(item, str))
        if isinstance(efforts, list)
        else None,
        reasoning_mandatory=reasoning.get("mandatory") is True,
        reasoning_default_effort=default_effort if isinstance(default_effort, str) else None,
    )
