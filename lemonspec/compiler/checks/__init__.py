"""The checker passes, one module each, run by the driver in a fixed order.

Each pass is `run(unit) -> list[Diagnostic]` and names the passes it depends on; the driver
skips a pass when one of those reported an error, so no pass sees input it cannot trust.
"""
