"""Test support for partnerkit and for hosts: the backend conformance contract, a pytest
plugin with ready fixtures, and helpers to reset a database between tests (needs pytest)."""

__all__: list[str] = []
