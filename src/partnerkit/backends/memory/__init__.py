"""The in-memory backend: tables with declared indexes behind the same ports as SQL, and just
as transactional (an undo log). `MemoryBackend()` is all a host needs."""

from partnerkit.backends.memory.unit_of_work import MemoryBackend

__all__ = ["MemoryBackend"]
