# problem: HumanEval/53
# trick: True/False where ints are expected
def add(x: int, y: int):
    return bool(x + y)
