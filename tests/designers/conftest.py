import pytest


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The designers' networks have a few thousand weights: torch's intra-op threads only
    contend for the cores (measured: a fit ran 6x slower in CPU time with two threads on
    two busy cores). Restored after each test."""
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
