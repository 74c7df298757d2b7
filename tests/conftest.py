"""Shared pytest configuration."""

# Fixture notebooks are inputs of tests (grading, case studies, browser), not chapters:
# nbval must not collect them.
collect_ignore_glob = ["fixtures/*"]

# Property tests: no per-example deadline (CI machines are shared and noisy) and a fixed
# example sequence, so a run is reproducible.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("crmlab", deadline=None, derandomize=True)
_hypothesis_settings.load_profile("crmlab")


# ---------------------------------------------------------------- exercise tests
# A test_exercises_NN.py module defines NAME (its exercise) and small_<dataset>() builders of
# hand-made data; these two fixtures give it the exercise on that data and on the shipped data.
import pytest  # noqa: E402


@pytest.fixture(scope="module")
def small(request):
    """The test module's exercise (``NAME``) on its hand-built data: ``small_<dataset>()`` per dataset."""
    from exercise_support import on_hand_built_data

    builders = {
        attr[len("small_") :]: f
        for attr, f in vars(request.module).items()
        if attr.startswith("small_") and callable(f)
    }
    return on_hand_built_data(request.module.NAME, builders)


@pytest.fixture(scope="module")
def shipped(request):
    """The test module's exercise (``NAME``) on the shipped data (no student id)."""
    from crmlab.checks import exercise

    return exercise(request.module.NAME)
