"""llguidance with one token per byte: a matcher then accepts exactly the grammar's
sentences, which is how the tests compare the grammar engines without a model."""

import llguidance


class ByteTokenizer:
    eos_token_id = 256
    bos_token_id = None
    tokens = (*(bytes([i]) for i in range(256)), b"<eos>")
    special_token_ids = (256,)

    def __call__(self, text):
        return list(text if isinstance(text, bytes) else text.encode())


BYTES = llguidance.LLTokenizer(llguidance.TokenizerWrapper(ByteTokenizer()))


def llguidance_accepts(grammar: str, text: str) -> bool:
    """Whether llguidance, under this Lark grammar, accepts exactly `text`."""
    matcher = llguidance.LLMatcher(BYTES, llguidance.LLMatcher.grammar_from_lark(grammar),
                                   log_level=0)
    assert not matcher.is_error(), matcher.get_error()
    return matcher.consume_tokens(list(text.encode())) and matcher.is_accepting()
