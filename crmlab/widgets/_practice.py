"""Placeholder: filled in by the chapter that owns these widgets."""
__all__: list[str] = []
