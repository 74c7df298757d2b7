"""pytest configuration for the doctests of crmlab (not part of the package's API).

Plot examples open matplotlib figures; close them after every doctest so a test run
never piles up open figures.
"""

import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import sys

    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
