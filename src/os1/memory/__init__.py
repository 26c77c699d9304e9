"""Memory that learns: episodes are learned from in the background, memories are recalled
before each reply, and the person can see, correct, export and erase all of it."""

from os1.memory.service import MemoryService
from os1.memory.store import Episode, Memory, MemoryStore
from os1.memory.worker import MemoryWorker

__all__ = ["Episode", "Memory", "MemoryService", "MemoryStore", "MemoryWorker"]
