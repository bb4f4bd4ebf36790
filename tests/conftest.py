"""Shared test settings: hypothesis profiles (CI runs the default; `HYPOTHESIS_PROFILE=deep`
for a longer local search), and the benchmark samples when no full copy is found."""

import os

from hypothesis import HealthCheck, settings

from tests.benchmark_data import FIXTURES, FULL

# No deadline and no too_slow check: a loaded 2-core machine is slow, not wrong. print_blob:
# a failure that does not recur alone prints the @reproduce_failure line that replays it.
settings.register_profile("ci", max_examples=60, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("deep", max_examples=1000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config):
    # Set for the whole session (and the CLIs it starts in subprocesses): a fresh clone has
    # no benchmark data beside it, and the samples stand in for it.
    if FULL is None:
        os.environ["LEMONSPEC_DATA"] = str(FIXTURES)
