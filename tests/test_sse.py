"""The SSE parser: the WHATWG rules, and the same events however the bytes are split."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moltbot_cli.openrouter.sse import SSEEvent, SSEOverflow, SSEParser


def parse(*chunks: bytes) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    return events + parser.close()


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given offsets (taken modulo its length), as a network might."""
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def bytewise(data: bytes) -> list[SSEEvent]:
    return parse(*(data[i : i + 1] for i in range(len(data))))


def test_openrouter_stream_with_keepalive_comment_and_done() -> None:
    stream = (
        b": OPENROUTER PROCESSING\n\n"
        b'data: {"choices":[{"delta":{"content":"Hel"}}]}\n\n'
        b": OPENROUTER PROCESSING\n\n"
        b'data: {"choices":[{"delta":{"content":"lo"}}]}\n\n'
        b"data: [DONE]\n\n"
    )
    expected = [
        SSEEvent('{"choices":[{"delta":{"content":"Hel"}}]}'),
        SSEEvent('{"choices":[{"delta":{"content":"lo"}}]}'),
        SSEEvent("[DONE]"),
    ]
    assert parse(stream) == expected
    assert bytewise(stream) == expected


def test_events_come_out_as_soon_as_their_blank_line_arrives() -> None:
    parser = SSEParser()
    assert parser.feed(b"data: one\n") == []
    assert parser.feed(b"\n") == [SSEEvent("one")]
    assert parser.feed(b"data: two") == []
    assert parser.feed(b"\n\n") == [SSEEvent("two")]
    assert parser.close() == []


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert parse(b"data: first\ndata: second\ndata:\ndata: fourth\n\n") == [
        SSEEvent("first\nsecond\n\nfourth")
    ]


def test_only_one_space_after_the_colon_is_dropped() -> None:
    assert parse(b"data:no space\n\ndata:  two spaces\n\ndata\n\n") == [
        SSEEvent("no space"),
        SSEEvent(" two spaces"),
        SSEEvent(""),
    ]


def test_all_three_line_endings_and_a_crlf_split_across_chunks() -> None:
    assert parse(b"data: a\r\n\r\ndata: b\r\rdata: c\n\n") == [
        SSEEvent("a"),
        SSEEvent("b"),
        SSEEvent("c"),
    ]
    # A `\r` ending one chunk and the `\n` starting the next are one line ending, not two:
    # read as two, the blank line between would split this event in half.
    assert parse(b"data: a\r", b"\ndata: b\r\n\r\n") == [SSEEvent("a\nb")]


def test_a_multibyte_character_split_between_chunks() -> None:
    encoded = "data: naïve ☃ 🙂\n\n".encode()
    snowman = encoded.index("☃".encode())
    assert parse(encoded[: snowman + 1], encoded[snowman + 1 :]) == [SSEEvent("naïve ☃ 🙂")]
    assert bytewise(encoded) == [SSEEvent("naïve ☃ 🙂")]


def test_event_and_id_fields_and_ignored_ones() -> None:
    stream = (
        b"event: update\nid: 7\ndata: x\n\n"
        b"retry: 1000\nunknown: field\ndata: y\n\n"
        b"id: bad\x00id\ndata: z\n\n"
    )
    assert parse(stream) == [
        SSEEvent("x", event="update", id="7"),
        SSEEvent("y", id="7"),  # the last event id carries on
        SSEEvent("z", id="7"),  # an id with NUL in it is ignored
    ]


def test_an_event_without_data_is_not_dispatched() -> None:
    assert parse(b"event: ping\n\n: just a comment\n\nid: 3\n\n") == []


def test_byte_order_mark_is_dropped_only_at_the_start() -> None:
    bom = "\ufeff".encode()
    assert parse(bom[:1], bom[1:] + b"data: x\n\n") == [SSEEvent("x")]
    assert parse(b"data: x\n\n" + bom + b"data: y\n\n") == [SSEEvent("x")]


def test_a_stream_that_ends_without_a_blank_line_still_yields_its_last_event() -> None:
    assert parse(b"data: one\n\ndata: [DONE]") == [SSEEvent("one"), SSEEvent("[DONE]")]
    assert parse(b"data: one\n\ndata: [DONE]\n") == [SSEEvent("one"), SSEEvent("[DONE]")]
    assert parse(b"data: one\n\ndata: [DONE]\r") == [SSEEvent("one"), SSEEvent("[DONE]")]


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    assert parse(b"data: \xff\xfe ok\n\n") == [SSEEvent("\ufffd\ufffd ok")]


# -- property: any split of a valid stream gives the same events -------------------------

LINE_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)),
    max_size=12,
)
NAME_TEXT = st.text(
    alphabet=st.characters(blacklist_characters="\r\n\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=8,
)
ENDINGS = st.sampled_from(["\n", "\r\n", "\r"])


@dataclass
class Spec:
    data: list[str]
    event: str | None
    id: str | None
    comment: str | None


SPECS = st.builds(
    Spec,
    data=st.lists(LINE_TEXT, min_size=1, max_size=4),
    event=st.one_of(st.none(), NAME_TEXT),
    id=st.one_of(st.none(), NAME_TEXT),
    comment=st.one_of(st.none(), LINE_TEXT),
)


@st.composite
def streams(draw: st.DrawFn) -> tuple[bytes, list[SSEEvent]]:
    specs = draw(st.lists(SPECS, max_size=6))
    text = "\ufeff" if draw(st.booleans()) else ""
    expected: list[SSEEvent] = []
    last_id: str | None = None
    previous = ""
    for spec in specs:
        lines: list[str] = []
        if spec.comment is not None:
            lines.append(":" + spec.comment)
        if spec.event is not None:
            lines.append("event: " + spec.event)
        if spec.id is not None:
            lines.append("id: " + spec.id)
            last_id = spec.id
        for value in spec.data:
            lines.append("data: " + value if value or draw(st.booleans()) else "data")
        for line in [*lines, ""]:
            ending = draw(ENDINGS)
            if previous == "\r" and not line and ending == "\n":
                ending = "\r\n"  # `\r` + `\n` would read as one line ending, not two
            text += line + ending
            previous = ending
        expected.append(SSEEvent("\n".join(spec.data), spec.event or "message", last_id))
    return text.encode("utf-8"), expected


@settings(max_examples=300, deadline=None)
@given(stream=streams(), cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12))
def test_any_split_into_network_chunks_yields_the_same_events(
    stream: tuple[bytes, list[SSEEvent]], cuts: list[int]
) -> None:
    data, expected = stream
    chunks = split_at(data, cuts)
    assert b"".join(chunks) == data
    assert parse(*chunks) == expected


@settings(max_examples=100, deadline=None)
@given(
    pieces=st.lists(st.text(max_size=10), min_size=1, max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
)
def test_a_chat_stream_reassembles_to_the_same_text_however_split(
    pieces: list[str], cuts: list[int]
) -> None:
    import json

    body = ": OPENROUTER PROCESSING\n\n" + "".join(
        f"data: {json.dumps({'choices': [{'delta': {'content': p}}]}, ensure_ascii=False)}\n\n"
        for p in pieces
    )
    data = (body + "data: [DONE]\n\n").encode()
    events = parse(*split_at(data, cuts))
    assert events[-1].data == "[DONE]"
    text = "".join(json.loads(e.data)["choices"][0]["delta"]["content"] for e in events[:-1])
    assert text == "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(stream=streams(), cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=4))
def test_one_event_per_network_read_yields_the_same_events(
    stream: tuple[bytes, list[SSEEvent]], cuts: list[int]
) -> None:
    """Reads that end where events end, as a server's writes usually arrive, take the
    parser's quick path for a lone `data:` event; the events are the same."""
    import re

    data, expected = stream
    chunks = [
        piece
        for part in re.split(rb"(?<=\n\n)", data)
        for piece in split_at(part, cuts[:1])
        if piece
    ]
    assert b"".join(chunks) == data
    assert parse(*chunks) == expected


def test_the_quick_path_keeps_the_size_limits() -> None:
    parser = SSEParser(max_line=20, max_event=12)
    parser.feed(b": start\n\n")
    assert parser.feed(b"data: 12345678901\n\n") == [SSEEvent("12345678901")]
    with pytest.raises(SSEOverflow):
        parser.feed(b"data: 123456789012\n\n")
    parser = SSEParser(max_line=10)
    parser.feed(b": start\n\n")
    with pytest.raises(SSEOverflow):
        parser.feed(b"data: 12345\n\n")
