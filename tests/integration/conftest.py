"""Fixtures the end-to-end tests share with the Matrix suite (a real Synapse)."""

from tests.matrix.conftest import encrypted_editor, synapse

__all__ = ["encrypted_editor", "synapse"]
