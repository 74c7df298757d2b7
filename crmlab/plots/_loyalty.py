"""Placeholder: filled in by the module that owns these plots."""
__all__: list[str] = []
