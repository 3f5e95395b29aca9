"""The compiled-ruleset cache: a loaded `Ruleset` kept under ``ZHIFA_CACHE_DIR`` (opt-in, as the parsed-file cache).

Loading a ruleset parses its files, checks every dated version and compiles it; a second process loading the
same files gets the checked and compiled result from here instead. Nothing is written unless the environment
variable ``ZHIFA_CACHE_DIR`` names a directory, and every file is read through `engine._cache` (owned by the
user, authenticated by an HMAC before it is unpickled).

An entry is used only when everything the load read is the same, byte for byte:

- the engine (every file of the ``engine`` package, the grammar, the Python, lark and pydantic versions) and
  the shipped law and division tables the checks read;
- the working directory (positions are named relative to it), the target and the root as given;
- every file below each directory of the chain (the ``.rules`` files and any table they reference, which must
  lie inside the ruleset's directory), and the chain itself: the target's files and each parent directory
  are looked up again (no file is parsed for that) and must be the ones the cached load found.

The durable_rules matchers and the grade and list predicates are not stored: the entry holds the conditions and
rule parts they were built from (recorded by `compiler.compile_composite` in its ``shared`` dict) and they are
built again on reading. A load that fails is never stored. Imports `loader`, `compiler`, `_cache`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
import pickle
import sys
from importlib import resources
from pathlib import Path
from types import FunctionType, MappingProxyType

from engine import _cache
from engine.compiler import StageMatcher, always, predicate
from engine.loader import _resolve_parent, default_root, target_files

__all__ = ["Entry", "lookup"]

_FORMAT = 1  # bump when what an entry holds changes shape


MAX_FILES = 20_000
"""Files below a chain's directories past which a load is not cached (hashing them would cost more than it saves:
a ruleset directory that holds far more than rulesets)."""


class _TooLarge(Exception):
    pass


def _tree_digest(h, top: Path, skip: tuple[str, ...] = ()) -> int:
    """Feed `h` with every file below `top` (sorted relative names and contents; links to files are read), but
    none below a directory named in `skip`, and return the newest modification time among them (ns).

    Raises:
        _TooLarge: more than `MAX_FILES` files.
    """
    entries = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in skip)
        entries.extend(Path(dirpath) / name for name in filenames)
        if len(entries) > MAX_FILES:
            raise _TooLarge(top)
    h.update(f"tree:{top}\n".encode())
    newest = 0
    for p in sorted(entries):
        try:
            newest = max(newest, p.stat().st_mtime_ns)
            data = p.read_bytes()
        except OSError:
            data = b"\x00unreadable"
        h.update(f"{p.relative_to(top)}\x00{len(data)}\x00".encode())
        h.update(hashlib.sha256(data).digest())
    return newest


@functools.cache
def _engine_digest() -> str:
    """The engine's code and the data its checks read: a new engine, grammar or law text is a new key."""
    from importlib import metadata

    import pydantic

    from engine._version import __version__

    # lark's version without importing lark (a cached load parses nothing); importlib.metadata is pydantic's too
    try:
        lark = metadata.version("lark")
    except metadata.PackageNotFoundError:
        lark = "?"
    h = hashlib.sha256(f"{_FORMAT}|{__version__}|{sys.version}|{lark}|{pydantic.VERSION}".encode())
    _tree_digest(h, Path(__file__).resolve().parent, ("__pycache__",))  # bytecode follows the sources
    h.update(_grammar().read_bytes())
    for part in ("law", "divisions"):
        if (default_root() / part).is_dir():
            _tree_digest(h, default_root() / part)
    return h.hexdigest()


def _grammar() -> Path:
    # where `syntax.grammar_path` finds it (syntax is not imported here: it imports lark)
    packaged = resources.files("engine") / "grammar" / "ruleset.lark"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "grammar" / "ruleset.lark"


class Entry:
    """Where the compiled form of one load (target, root, working directory) is kept; see the module doc."""

    def __init__(self, directory: Path, target, root: Path):
        self.directory = directory
        self.target = target
        self.root = root
        self.base = hashlib.sha256(f"{_engine_digest()}|{Path.cwd()}|{target}|{root}".encode()).hexdigest()

    def _index_name(self) -> str:
        return f"ruleset-index-{self.base}.json"

    def _content_name(self, files: list[str], trace: list[list[str]], named: bool,
                      since: int | None = None) -> str | None:
        """The name of the entry for the chain `files` / `trace` if the chain is still found so, else None (also
        when a file below the chain was modified at or after `since`, ns: it may have changed while loading)."""
        try:
            now, now_named = target_files(self.target, self.root)
        except Exception:  # noqa: BLE001 - a target that is gone: a real load reports it
            return None
        if [str(p) for p in now] != files or now_named != named:
            return None
        h = hashlib.sha256(self.base.encode())
        first = Path(files[0])
        h.update(first.read_bytes() if named else b"")
        dirs = [first.parent]
        for parent, near, own, found in trace:
            if str(_resolve_parent(parent, Path(near), own, self.root)) != found:
                return None
            dirs.append(Path(found))
        try:
            newest = max([_tree_digest(h, d) for d in dirs] + [first.stat().st_mtime_ns])
        except _TooLarge:
            return None
        if since is not None and newest >= since:
            return None
        return f"ruleset-{h.hexdigest()}.pickle"

    def get(self):
        """The cached value (what `put` stored), or None (a miss: nothing cached, something changed, or the file is not ours)."""
        raw = _cache.read(self.directory, self._index_name())
        if raw is None:
            return None
        try:
            index = json.loads(raw)
            name = self._content_name(index["files"], index["trace"], index["named"])
        except (ValueError, KeyError, TypeError, OSError):
            return None
        if name is None:
            return None
        payload = _cache.read(self.directory, name)
        if payload is None:
            return None
        try:
            return _Unpickler(io.BytesIO(payload)).load()  # authenticated: written by this user's engine, below
        except Exception:  # noqa: BLE001 - an entry another engine wrote is simply rebuilt
            return None

    def put(self, value, files: list[Path], named: bool, trace: list, shared: dict, started: int) -> None:
        """Keep `value` (a ruleset's parts, loaded from `files` and the parent lookups `trace` by a load that
        started at `started`, ``time.time_ns()``); `shared` is the dict its programs were compiled with.
        Silently nothing when some part of it cannot be stored, or a file may have changed during the load."""
        index = {"files": [str(p) for p in files], "named": named,
                 "trace": [[parent, str(near), own, str(found)] for parent, near, own, found in trace]}
        try:
            # a file modified since shortly before the load began may differ from what the load read: the
            # entry would stand for the new text and hold the old one (the file system's clock is coarse)
            name = self._content_name(index["files"], index["trace"], named, since=started - 2_000_000_000)
            if name is None:
                return
            buf = io.BytesIO()
            _Pickler(buf, shared.get("made", {})).dump(value)
        except (OSError, pickle.PicklingError, TypeError, AttributeError):
            return
        _cache.write(self.directory, name, buf.getvalue())
        _cache.write(self.directory, self._index_name(), json.dumps(index).encode())


def lookup(target, root: Path | None) -> Entry | None:
    """The cache entry for loading `target` under `root`, or None when ``ZHIFA_CACHE_DIR`` is not set."""
    directory = os.environ.get("ZHIFA_CACHE_DIR")
    if not directory:
        return None
    return Entry(Path(directory), target, Path(root) if root is not None else default_root())


class _Pickler(pickle.Pickler):
    """Stores predicates and matchers as what they were built from (`made`: id → (object, source))."""

    def __init__(self, file, made: dict):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.made = made

    def persistent_id(self, obj):
        # called for every object stored: the common case (no function, matcher or view) is three comparisons
        kind = type(obj)
        if kind is MappingProxyType:
            return ("proxy", dict(obj))
        if kind is FunctionType:
            if obj is always:
                return ("always",)
            if "<" not in obj.__qualname__:
                return None  # a module-level function is stored by name
        elif kind is not StageMatcher:
            return None
        # a closure (a predicate) or a matcher: stored as what it was built from
        found = self.made.get(id(obj))
        if found is None or found[0] is not obj:
            raise pickle.PicklingError(f"{obj!r} was not recorded by the compiler")
        return ("matcher", *found[1]) if kind is StageMatcher else ("test", found[1])


class _Unpickler(pickle.Unpickler):
    """Builds the predicates and matchers again from their conditions and rule parts."""

    def __init__(self, file):
        super().__init__(file)
        self.tests: dict[str, object] = {}

    def persistent_load(self, pid):
        if pid[0] == "proxy":
            return MappingProxyType(pid[1])
        if pid[0] == "always":
            return always
        if pid[0] == "test":
            key = repr(pid[1])
            if key not in self.tests:
                self.tests[key] = predicate(pid[1])
            return self.tests[key]
        if pid[0] == "matcher":
            return StageMatcher(pid[1], pid[2], pid[3])
        raise pickle.UnpicklingError(f"unknown stored object {pid[0]!r}")
