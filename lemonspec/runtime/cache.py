"""The node-level cache: one agent's answer, keyed by everything that determines it.

The key covers the agent's IR hash (its own spec and, transitively, every upstream spec), the
model and its parameters, the sample index, and the exact messages the agent receives, which
hold the task input and its dependencies' outputs. Keying on the messages as well as the hash
keeps the cache correct when an upstream agent's *model* changes (a profile edit, `--model`),
which the IR hash cannot see. After a spec edit only the edited agent and its descendants
miss; everything upstream is served from the cache.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol

import attrs

from lemonspec.errors import LemonspecError


@attrs.frozen
class CachedAnswer:
    text: str
    model: str  # the model that produced it (a fallback, perhaps)
    prompt_tokens: int | None
    completion_tokens: int | None
    cost: float | None
    seconds: float  # what the original call took; a hit costs nothing


def cache_key(agent_hash: str, model: str, params: dict[str, Any], messages: list[dict],
              sample: int) -> str:
    payload = json.dumps([agent_hash, model, params, messages, sample], sort_keys=True,
                         ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class CacheError(LemonspecError, ValueError):
    """A cache file that cannot be used: not an SQLite database, not ours, or unreachable."""


class NodeCache(Protocol):
    def get(self, key: str) -> CachedAnswer | None: ...
    def put(self, key: str, answer: CachedAnswer) -> None: ...


@attrs.define
class CacheStats:
    hits: int = 0
    misses: int = 0


class MemoryCache:
    """One process's cache: a dict."""

    def __init__(self) -> None:
        self._entries: dict[str, CachedAnswer] = {}
        self.stats = CacheStats()

    def get(self, key: str) -> CachedAnswer | None:
        answer = self._entries.get(key)
        self._count(answer)
        return answer

    def put(self, key: str, answer: CachedAnswer) -> None:
        self._entries[key] = answer

    def _count(self, answer: CachedAnswer | None) -> None:
        if answer is None:
            self.stats.misses += 1
        else:
            self.stats.hits += 1

    def __len__(self) -> int:
        return len(self._entries)


class SqliteCache(MemoryCache):
    """A disk cache shared by processes (sqlite in WAL mode), fronted by the memory cache.

    Writes are single statements in autocommit mode, so concurrent writers (rollout workers)
    are serialised by sqlite itself; a busy timeout makes them wait instead of failing.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT)")
            columns = [row[1] for row in self._db.execute("PRAGMA table_info(answers)")]
        except (sqlite3.Error, OSError) as exc:
            reason = ("it is not an SQLite database" if isinstance(exc, sqlite3.DatabaseError)
                      and "not a database" in str(exc) else str(exc))
            raise CacheError(f"cannot use {self.path} as a node cache: {reason}; give another "
                             "cache path (a new file is created)") from None
        if columns != ["key", "value"]:
            self._db.close()
            raise CacheError(f"cannot use {self.path} as a node cache: its `answers` table is "
                             "not a lemonspec cache's; give another cache path")

    def get(self, key: str) -> CachedAnswer | None:
        answer = self._entries.get(key)
        if answer is None:
            with self._lock:
                row = self._db.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
            if row is not None:
                answer = self._entries[key] = CachedAnswer(**json.loads(row[0]))
        self._count(answer)
        return answer

    def put(self, key: str, answer: CachedAnswer) -> None:
        super().put(key, answer)
        value = json.dumps(attrs.asdict(answer), ensure_ascii=False)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO answers VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
