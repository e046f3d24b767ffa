"""A sorted list of tuples for the memory backend's ordered indexes: insert, remove and
find a bound in O(log n), however large the index grows.

One flat list would shift every later element on each insert (a 100,000-row index moves
800 kB per write); chunks of at most `2 * _LOAD` elements keep that shift small, and a list of
each chunk's last element lets `bisect` find the chunk.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from itertools import chain
from typing import Any

__all__ = ["SortedTuples"]

#: Half the largest chunk: large enough that most indexes are one chunk, small enough that
#: an insert into a chunk moves at most a few kilobytes.
_LOAD = 512


class SortedTuples:
    """Distinct tuples in ascending order. Bounds are probes compared like elements, so a
    shorter tuple sorts before every element it is a prefix of."""

    __slots__ = ("_chunks", "_len", "_maxes")

    def __init__(self) -> None:
        self._chunks: list[list[tuple[Any, ...]]] = []
        # The last element of each chunk: bisecting it finds the chunk an element belongs to.
        self._maxes: list[tuple[Any, ...]] = []
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return chain.from_iterable(self._chunks)

    def add(self, value: tuple[Any, ...]) -> None:
        maxes = self._maxes
        self._len += 1
        if not maxes:
            self._chunks.append([value])
            maxes.append(value)
            return
        pos = bisect_right(maxes, value)
        if pos == len(maxes):
            # After everything: the common case of an index on a growing instant.
            pos -= 1
            self._chunks[pos].append(value)
            maxes[pos] = value
        else:
            insort(self._chunks[pos], value)
        chunk = self._chunks[pos]
        if len(chunk) > 2 * _LOAD:
            tail = chunk[_LOAD:]
            del chunk[_LOAD:]
            maxes[pos] = chunk[-1]
            self._chunks.insert(pos + 1, tail)
            maxes.insert(pos + 1, tail[-1])

    def remove(self, value: tuple[Any, ...]) -> None:
        """Remove `value`, which must be present (indexes only remove what they added)."""
        maxes = self._maxes
        pos = bisect_left(maxes, value)
        if pos == len(maxes):
            raise KeyError(value)
        chunk = self._chunks[pos]
        i = bisect_left(chunk, value)
        if chunk[i] != value:
            raise KeyError(value)
        del chunk[i]
        self._len -= 1
        if not chunk:
            del self._chunks[pos]
            del maxes[pos]
        elif i == len(chunk):
            maxes[pos] = chunk[-1]

    def first(self) -> tuple[Any, ...] | None:
        return self._chunks[0][0] if self._chunks else None

    def last(self) -> tuple[Any, ...] | None:
        return self._maxes[-1] if self._maxes else None

    def _locate(self, probe: tuple[Any, ...]) -> tuple[int, int]:
        """(chunk, position) of the first element >= probe; (len(chunks), 0) past the end."""
        pos = bisect_left(self._maxes, probe)
        if pos == len(self._maxes):
            return pos, 0
        return pos, bisect_left(self._chunks[pos], probe)

    def slice(
        self, start: tuple[Any, ...] | None, stop: tuple[Any, ...] | None
    ) -> list[tuple[Any, ...]]:
        """The elements e with start <= e < stop (None: unbounded), ascending."""
        chunks = self._chunks
        first_chunk, first_at = (0, 0) if start is None else self._locate(start)
        last_chunk, last_at = (len(chunks), 0) if stop is None else self._locate(stop)
        if (first_chunk, first_at) >= (last_chunk, last_at):
            return []
        if first_chunk == last_chunk:
            return chunks[first_chunk][first_at:last_at]
        found = chunks[first_chunk][first_at:]
        for i in range(first_chunk + 1, last_chunk):
            found.extend(chunks[i])
        if last_chunk < len(chunks):
            found.extend(chunks[last_chunk][:last_at])
        return found

    def ascending_from(self, start: tuple[Any, ...] | None) -> Iterator[tuple[Any, ...]]:
        """The elements >= start, ascending, for a caller that stops early."""
        chunks = self._chunks
        pos, at = (0, 0) if start is None else self._locate(start)
        if pos < len(chunks):
            # By position: islice would step over the skipped elements, a slice copy the rest.
            chunk = chunks[pos]
            for i in range(at, len(chunk)):
                yield chunk[i]
            for i in range(pos + 1, len(chunks)):
                yield from chunks[i]

    def descending_below(self, stop: tuple[Any, ...] | None) -> Iterator[tuple[Any, ...]]:
        """The elements < stop, descending, for a caller that stops early."""
        chunks = self._chunks
        pos, at = (len(chunks), 0) if stop is None else self._locate(stop)
        if pos < len(chunks):
            chunk = chunks[pos]
            for i in range(at - 1, -1, -1):
                yield chunk[i]
        for i in range(pos - 1, -1, -1):
            yield from reversed(chunks[i])
