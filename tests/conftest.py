"""Shared pytest configuration."""
# Fixture notebooks are inputs of tests (grading, case studies, browser), not chapters:
# nbval must not collect them.
collect_ignore_glob = ["fixtures/*"]
