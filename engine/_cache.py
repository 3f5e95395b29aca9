"""Cache files that cannot be a way in: authenticated before anything is unpickled.

Owns the on-disk caches' safety: the parser tables in the user's cache directory (`engine.syntax`), and under
``ZHIFA_CACHE_DIR`` the parsed ruleset files (`engine.loader`) and the compiled rulesets
(`engine._ruleset_cache`). They hold pickles, and unpickling runs code, so a file is read only when

- its directory is owned by the current user and writable by no one else (group or other);
- the file itself is owned by the user, writable by no one else, and not a symbolic link;
- its first 32 bytes are the HMAC-SHA256 of the rest under a key only this user can read: ``hmac.key`` in the
  same directory, 32 random bytes created with mode 0600 (refused if owned by someone else or readable by
  group or other).

Anything else is treated as a miss: the value is rebuilt and, where the directory is safe, written again.
On systems without POSIX ownership (Windows) nothing is cached. Imports nothing from `engine`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

__all__ = ["read", "safe_directory", "write"]

_KEY = "hmac.key"
_MAC = 32


def safe_directory(directory: Path, create: bool = True) -> bool:
    """Whether `directory` is ours alone (owned by this user, not writable by group or other); created 0700
    when missing and `create`."""
    if not hasattr(os, "getuid"):
        return False
    try:
        if create:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = os.stat(directory, follow_symlinks=False)
    except (OSError, RuntimeError):
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o022


def _key(directory: Path) -> bytes | None:
    path = directory / _KEY
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        pass
    except OSError:
        return None
    else:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(_MAC))
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_uid != os.getuid() or st.st_mode & 0o077 or not stat.S_ISREG(st.st_mode):
            return None
        key = f.read(_MAC + 1)
    return key if len(key) == _MAC else None


def read(directory: Path, name: str) -> bytes | None:
    """The authenticated payload of cache file `name`, or None (a miss) if anything about it is not ours."""
    if not safe_directory(directory, create=False):
        return None
    key = _key(directory)
    if key is None:
        return None
    try:
        fd = os.open(directory / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_uid != os.getuid() or st.st_mode & 0o022 or not stat.S_ISREG(st.st_mode):
            return None
        data = f.read()
    mac, payload = data[:_MAC], data[_MAC:]
    if len(mac) != _MAC or not hmac.compare_digest(mac, hmac.new(key, payload, hashlib.sha256).digest()):
        return None
    return payload


def write(directory: Path, name: str, payload: bytes) -> None:
    """Write `payload` as cache file `name` with its HMAC, atomically; silently nothing if the directory is not
    safe (a cache that cannot be written only costs time)."""
    if not safe_directory(directory):
        return
    key = _key(directory)
    if key is None:
        return
    tmp = directory / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(hmac.new(key, payload, hashlib.sha256).digest() + payload)
        os.replace(tmp, directory / name)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
