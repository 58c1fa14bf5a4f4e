"""Recently stored or fetched payloads, kept in memory: a step's result is usually read again at once, by the
workflow and by the next step, often in the same process."""

from __future__ import annotations

import threading
from collections import OrderedDict


class PayloadCache:
    """Least recently used first out, bounded by bytes; thread-safe (stores work on threads)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            data = self._entries.get(key)
            if data is not None:
                self._entries.move_to_end(key)
            return data

    def put(self, key: str, data: bytes) -> None:
        if len(data) > self.capacity // 2:  # one value must not push everything else out
            return
        with self._lock:
            previous = self._entries.pop(key, None)
            if previous is not None:
                self._size -= len(previous)
            self._entries[key] = data
            self._size += len(data)
            while self._size > self.capacity and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)

    def discard(self, key: str) -> None:
        with self._lock:
            data = self._entries.pop(key, None)
            if data is not None:
                self._size -= len(data)
