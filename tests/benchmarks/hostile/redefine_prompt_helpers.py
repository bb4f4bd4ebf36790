# problem: HumanEval/38
# trick: redefine encode_cyclic as identity so decode(encode(s)) == s
def encode_cyclic(s: str):
    return s


def decode_cyclic(s: str):
    return s
