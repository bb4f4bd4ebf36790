"""Token bytes -> text and character spans, including tokens that split a character."""

from hypothesis import given
from hypothesis import strategies as st

from lemonspec.orchestrator.offsets import assemble


def test_ascii_tokens_get_their_own_characters():
    assert assemble([b"team", b" t", b" {"]) == ("team t {", ((0, 4), (4, 6), (6, 8)))


def test_a_character_belongs_to_the_token_that_completes_it():
    euro = "€".encode()  # three bytes
    text, spans = assemble([b"a" + euro[:1], euro[1:2], euro[2:] + b"b"])
    assert text == "a€b"
    assert spans == ((0, 1), (1, 1), (1, 3))  # the middle token completes nothing


def test_bytes_cut_off_at_the_end_go_to_the_last_token():
    text, spans = assemble([b"x", "é".encode()[:1]])
    assert text == "x\ufffd" and spans == ((0, 1), (1, 2))


def test_invalid_bytes_become_replacement_characters():
    text, spans = assemble([b"\xff", b"a"])
    assert text == "\ufffda" and spans == ((0, 1), (1, 2))


def test_no_tokens_no_text():
    assert assemble([]) == ("", ())


@given(st.text(), st.data())
def test_spans_cover_the_text_exactly_and_in_order(text, data):
    encoded = text.encode()
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(encoded) - 1)))))
    pieces = [encoded[a:b] for a, b in zip([0, *cuts], [*cuts, len(encoded)]) if a < b]
    assembled, spans = assemble(pieces)
    assert assembled == text and len(spans) == len(pieces)
    assert [start for start, _ in spans] == [0, *(end for _, end in spans)][:len(spans)]
    for i, (_, end) in enumerate(spans):  # each token ends after the characters it completes
        assert end == len(b"".join(pieces[:i + 1]).decode("utf-8", errors="ignore"))
