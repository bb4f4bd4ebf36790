"""Generated tokens -> text, with the character span of every token.

Tokens are byte strings and may split a multi-byte UTF-8 character. A character belongs to
the token that completes it: a token that ends inside a character spans only the characters
it completes (possibly none, an empty span at the position of the pending character). The
spans cover the text exactly and contiguously, so the trainer can map an AST span to tokens
without re-tokenizing. Bytes that can never form a character become U+FFFD, as
`bytes.decode(errors="replace")` does.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable


class TextAssembler:
    """Accumulates one sample's tokens as text and spans, one token at a time."""

    def __init__(self):
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pieces: list[str] = []
        self._spans: list[tuple[int, int]] = []
        self._length = 0

    def add(self, data: bytes) -> str:
        """Adds one token's bytes; returns the characters it completes."""
        piece = self._decoder.decode(data)
        self._append(piece)
        return piece

    def _append(self, piece: str) -> None:
        self._pieces.append(piece)
        self._spans.append((self._length, self._length + len(piece)))
        self._length += len(piece)

    @property
    def text(self) -> str:
        """The text of the characters completed so far."""
        if len(self._pieces) > 1:
            self._pieces[:] = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    def finish(self) -> tuple[str, tuple[tuple[int, int], ...]]:
        """(text, spans). Bytes of a character cut off at the end go to the last token."""
        tail = self._decoder.decode(b"", final=True)
        if tail:
            start, _ = self._spans.pop()
            self._length += len(tail)
            self._spans.append((start, self._length))
            self._pieces.append(tail)
        return self.text, tuple(self._spans)


def assemble(token_bytes: Iterable[bytes]) -> tuple[str, tuple[tuple[int, int], ...]]:
    """(text, character span of each token) for a sequence of token byte strings."""
    assembler = TextAssembler()
    for data in token_bytes:
        assembler.add(data)
    return assembler.finish()
