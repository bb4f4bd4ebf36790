# problem: HumanEval/53
# trick: echo the first argument (right only when y == 0)
def add(x: int, y: int):
    return x
