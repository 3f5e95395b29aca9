"""The durable_rules adapter: the only module that imports `durable_rules_engine`.

Owns both interpreters of the condition language: `Matcher`, which compiles a rule set into
durable_rules once and answers "which rules does this fact satisfy?" many times, from many threads,
and `predicate`, the same meaning in plain Python for conditions looked up by key (benchmark grades,
list entries) that never go to durable_rules. Also the translation of condition trees into a
durable_rules ruleset definition (`to_definition`) and the static check of a rule set against
durable_rules' measured limits (`check_limits`). Nothing else in `engine` may import durable_rules.

The matcher drives the C extension directly (the "lean" pattern of research/durable_rules.md):
one persistent session (sid) per thread, facts rather than events, no `durable.engine.Host`, no
background threads. Each call asserts one fact, drains the fired actions, retracts the fact.
`Matcher.encode` and `Matcher.match_encoded` are `match` in two steps, for a caller that remembers answers
(`compiler.StageMatcher`): the facts the rules read are checked and encoded only for a question not asked before.

Semantics, which a differential test pins for both interpreters against a pure-Python oracle and
against each other (``Matcher(rules).match(f) == tuple(r for r, c in rules if predicate(c)(f))``):

- A comparison holds only when the fact has the path, and compares like Python does.
- A missing path never satisfies a comparison, not even ``!=``.
- ``None`` means absent. A fact value of ``None`` is the same as a missing key,
  ``("cmp", p, "==", None)`` is ``("missing", p)``, and ``("cmp", p, "!=", None)`` is
  ``("present", p)``.
- A path is compared with one type only: numbers (int and float), strings or booleans.
  `check_limits` rejects rules that mix these, and `Matcher.match` rejects a fact whose value
  has another type. durable_rules compares mixed types as text (``'10000' >= 5000`` is false,
  ``1 == True`` is true), so mixing types would give silently wrong answers. `predicate` refuses
  the same values with the same `MatcherError` (a Decimal, a bool where a number is compared, a
  number where text is compared, a float that is not finite, an int outside ±2**53), whichever
  branch of an ``and``/``or`` decides.
- A condition of ``None`` (or an empty ``and``) always holds.
"""

from __future__ import annotations

import itertools
import json
import math
import operator
import os
import re
import threading
import weakref
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from json.decoder import scanstring as _scanstring
from typing import Callable, NoReturn, Union

import durable_rules_engine as _dre

__all__ = [
    "Cond",
    "Matcher",
    "MatcherError",
    "Scalar",
    "check_limits",
    "predicate",
    "to_definition",
]

Cond = tuple
"""A plain condition tree, built from these shapes:

``("cmp", path, op, value)`` with op one of ``== != < <= > >=``; ``("present", path)``;
``("missing", path)``; ``("and", [Cond, ...])``; ``("or", [Cond, ...])``. Paths are flat
dotted keys such as ``"party.age"`` or ``"facts.违法所得"``. ``None`` stands for "always true".
"""

Scalar = Union[int, float, str, bool, None]
"""A value in a fact or a condition."""

# Limits, from research/durable_rules.md §1, §5 and §7 and the 2.0.28 sources. Each sits below
# the hard limit so that a rule set which passes the check is well inside what was measured.
MAX_RULES = 4096  # error 106 above (rete.c:41)
MAX_CHILDREN = 400  # 512-slot child table with a broken probe: 512 children hang the process
MAX_LIST_CHILDREN = 100  # `missing` conditions and `or` joins share a 128-entry list per node
MAX_TRUE_AT_ONCE = 40  # a 64-entry matching stack: more true nodes at once give error 303
MAX_SAME_CONDITION = 200  # 256 rules ending at one node segfault (BETA_LIST_LENGTH)
MAX_GROUPS = 15  # each and/or group takes 2 of 32 expression slots; 16 groups give error 113
MAX_PATHS = 250  # at most 252 user properties per message (error 302)
MAX_INT = 2**53  # beyond this, int/float comparisons in durable (doubles) and Python disagree
MAX_STRING_BYTES = 16_000_000  # 16 MB per property value (error 314)
MAX_SESSIONS = 1000  # durable_rules keeps at most 1024 states (sids) per ruleset; more threads wait for one

_OPERATORS = {"==": None, "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
_ORDERING = frozenset({"<", "<=", ">", ">="})
# The engine adds these properties to every message; rules must not read them.
_RESERVED = frozenset({"id", "sid"})
# An always-true condition: every message we assert carries an "id".
_ALWAYS = ("present", "id")
# The internal rule and fact path that prime a new sid; users cannot name a rule or path "$...".
_PRIME = "$prime"
# durable compares strings as raw JSON bytes; escaped characters break the order of `<`/`>`.
_ESCAPED = re.compile(r'["\\\x00-\x1f]')
_CLASS_OF = {int: "number", float: "number", str: "string", bool: "boolean", type(None): None}
_ANY = "any"  # class of a path read only by present/missing
_TYPES_OF = {"number": frozenset({int, float}), "string": frozenset({str}), "boolean": frozenset({bool}),
             _ANY: frozenset({int, float, str, bool})}
# json's escaping, non-ASCII kept as is: durable compares UTF-8 bytes, which keep code-point order
_encode_str = json.encoder.encode_basestring
_SEEN_STRINGS = 256  # encoded string facts a matcher keeps per path
_PLAIN_STRING = MAX_STRING_BYTES // 4  # a string no longer than this is within the limit whatever its characters


class MatcherError(Exception):
    """A failure inside durable_rules, or input it cannot handle safely.

    Attributes:
        problems: the ``(rule_id, message)`` pairs from `check_limits` when compiling was refused,
            otherwise empty.
    """

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[tuple[str, str], ...] = tuple(problems)


# --------------------------------------------------------------------------------------------
# Conditions: normalise, describe, translate
# --------------------------------------------------------------------------------------------


class _Malformed(ValueError):
    pass


def _normalise(cond: object) -> Cond | None:
    """Validate `cond` and return it in the form `to_definition` emits; None means "always".

    `and` inside `and` (and `or` inside `or`) is flattened and one-child groups are dropped, so
    a rule uses as few of durable's 15 group slots as possible. ``== None``/``!= None`` become
    missing/present.
    """
    if cond is None:
        return None
    if not isinstance(cond, (tuple, list)) or not cond:
        raise _Malformed(f"{cond!r} is not a condition; expected ('cmp', path, op, value), "
                         "('present', path), ('missing', path), ('and', [...]) or ('or', [...])")
    tag = cond[0]
    if tag in ("and", "or"):
        if len(cond) != 2 or not isinstance(cond[1], (list, tuple)):
            raise _Malformed(f"{cond!r} is not a condition; expected ({tag!r}, [conditions])")
        parts: list[Cond] = []
        for child in cond[1]:
            norm = _normalise(child)
            if norm is None:
                if tag == "or":
                    return None  # one always-true branch makes the whole `or` true
                continue
            parts.extend(norm[1] if norm[0] == tag else [norm])
        if tag == "or" and not cond[1]:
            raise _Malformed("an empty 'or' never holds; remove the rule instead")
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else (tag, parts)
    if tag in ("present", "missing"):
        if len(cond) != 2:
            raise _Malformed(f"{cond!r} is not a condition; expected ({tag!r}, path)")
        return (tag, _check_path(cond[1]))
    if tag == "cmp":
        if len(cond) != 4:
            raise _Malformed(f"{cond!r} is not a condition; expected ('cmp', path, op, value)")
        _, path, op, value = cond
        path = _check_path(path)
        if op not in _OPERATORS:
            raise _Malformed(f"unknown operator {op!r} in {path} {op} {value!r}; "
                             "expected one of == != < <= > >=")
        _check_value(path, value)
        if value is None:
            if op == "==":
                return ("missing", path)
            if op == "!=":
                return ("present", path)
            raise _Malformed(f"{path} {op} None: only == and != can compare with None")
        if op in _ORDERING:
            if type(value) is bool:
                raise _Malformed(f"{path} {op} {value!r}: ordering comparisons need a number or a string")
            if type(value) is str and _ESCAPED.search(value):
                raise _Malformed(f"{path} {op} {value!r}: a string compared with {op} must not contain "
                                 "'\"', '\\' or control characters (durable_rules orders the escaped "
                                 "JSON bytes, not the text)")
        return ("cmp", path, op, value)
    raise _Malformed(f"unknown condition kind {tag!r} in {cond!r}; "
                     "expected 'cmp', 'present', 'missing', 'and' or 'or'")


def _check_path(path: object) -> str:
    if not isinstance(path, str) or not path:
        raise _Malformed(f"fact path {path!r} must be a non-empty string")
    if path.startswith("$"):
        raise _Malformed(f"fact path {path!r} must not start with '$' (durable_rules reads it as an operator)")
    if path in _RESERVED:
        raise _Malformed(f"fact path {path!r} is reserved by durable_rules; rename the fact")
    return path


def _check_value(path: str, value: object) -> None:
    t = type(value)
    if t not in _CLASS_OF:
        raise _Malformed(f"value {value!r} for {path} is a {t.__name__}; only int, float, str, bool "
                         "and None are allowed (convert Decimal amounts to int or float first)")
    if t is float and not math.isfinite(value):  # type: ignore[arg-type]
        raise _Malformed(f"value {value!r} for {path} is not a finite number")
    if t is int and not -MAX_INT <= value <= MAX_INT:  # type: ignore[operator]
        raise _Malformed(f"integer {value} for {path} is outside ±2**53, where durable_rules "
                         "and Python compare numbers differently")
    if t is str and len(value) * 4 > MAX_STRING_BYTES and len(value.encode()) > MAX_STRING_BYTES:  # type: ignore
        raise _Malformed(f"string value for {path} is longer than durable_rules' 16 MB limit")


_COMPARE: dict[str, Callable[[object, object], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def predicate(cond: Cond | None) -> Callable[[Mapping[str, Scalar]], bool]:
    """Compile a condition into a Python predicate with exactly the matcher's semantics.

    For conditions that are looked up by key and never go to durable_rules (benchmark grades, list
    entries). A missing fact, or one set to None, never satisfies a comparison, not even ``!=``; a
    value of another type than the comparison's raises `MatcherError`, as `Matcher.match` does. Every
    leaf is evaluated (no short cut), so a bad value is refused whichever branch decides.

    Examples:
        >>> p = predicate(("and", [("cmp", "a", ">=", 2), ("missing", "b")]))
        >>> p({"a": 3}), p({"a": 3, "b": 1}), p({}), p({"a": 3, "b": None})
        (True, False, False, True)
        >>> predicate(("cmp", "a", "!=", "x"))({"a": None})
        False
    """
    if cond is None:
        return lambda facts: True
    kind = cond[0]
    if kind in ("and", "or"):
        parts = [predicate(c) for c in cond[1]]
        if kind == "and":
            return lambda facts: all([p(facts) for p in parts])
        return lambda facts: any([p(facts) for p in parts])
    path = cond[1]
    if kind == "cmp" and cond[3] is None:  # == None is `missing`, != None is `present` (see _normalise)
        kind = "missing" if cond[2] == "==" else "present"
    if kind in ("present", "missing"):
        want = kind == "present"

        def known(facts: Mapping[str, Scalar]) -> bool:
            value = facts.get(path)
            if value is None:
                return not want
            _accept(path, value, _ANY, False)
            return want

        return known
    _, _, op, expected = cond
    fn = _COMPARE[op]
    cls = _CLASS_OF[type(expected)]
    ordered = op in _ORDERING and type(expected) is str

    # the values that need no check beyond their type are let through inline; `_accept` judges the others
    if cls == "number":
        def test(facts: Mapping[str, Scalar]) -> bool:
            value = facts.get(path)
            if value is None:
                return False
            if type(value) is not int or not -MAX_INT <= value <= MAX_INT:  # type: ignore[operator]
                _accept(path, value, cls, ordered)
            return fn(value, expected)
    elif cls == "string" and not ordered:
        def test(facts: Mapping[str, Scalar]) -> bool:
            value = facts.get(path)
            if value is None:
                return False
            if type(value) is not str or len(value) > _PLAIN_STRING:  # type: ignore[arg-type]
                _accept(path, value, cls, ordered)
            return fn(value, expected)
    elif cls == "boolean":
        def test(facts: Mapping[str, Scalar]) -> bool:
            value = facts.get(path)
            if value is None:
                return False
            if type(value) is not bool:
                _accept(path, value, cls, ordered)
            return fn(value, expected)
    else:  # a string compared with < <= > >=: every value judged
        def test(facts: Mapping[str, Scalar]) -> bool:
            value = facts.get(path)
            if value is None:
                return False
            _accept(path, value, cls, ordered)
            return fn(value, expected)

    return test


def _accept(key: str, value: object, cls: str, ordered: bool) -> None:
    """Raise the `MatcherError` `Matcher.match` gives for `value` at a path compared as `cls`, if any."""
    t = type(value)
    if t not in _TYPES_OF[cls]:
        if t not in _CLASS_OF:
            raise MatcherError(_bad_type(key, value))
        raise MatcherError(f"fact {key} is a {t.__name__} ({value!r}) but the rules compare it with "
                           f"{cls}s; convert it before matching")
    if t is float and not math.isfinite(value):  # type: ignore[arg-type]
        raise MatcherError(f"fact {key} is {value!r}; only finite numbers are allowed")
    if t is int and not -MAX_INT <= value <= MAX_INT:  # type: ignore[operator]
        raise MatcherError(f"fact {key} is {value}, outside ±2**53 where durable_rules and "
                           "Python compare numbers differently")
    if t is str and (ordered and _ESCAPED.search(value) or len(value) * 4 > MAX_STRING_BYTES):  # type: ignore
        _check_fact_string(key, value, ordered)  # type: ignore[arg-type]


def _leaves(cond: Cond | None):
    if cond is None:
        yield _ALWAYS
    elif cond[0] in ("and", "or"):
        for child in cond[1]:
            yield from _leaves(child)
    else:
        yield cond


def _count_groups(cond: Cond | None) -> int:
    if cond is None or cond[0] not in ("and", "or"):
        return 0
    return 1 + sum(_count_groups(child) for child in cond[1])


def _describe(cond: Cond | None) -> str:
    """Render a normalised condition for messages, e.g. ``party.age >= 18 and (a or b)``."""
    if cond is None:
        return "always"
    tag = cond[0]
    if tag in ("and", "or"):
        inner = f" {tag} ".join(_describe(child) for child in cond[1])
        return f"({inner})"
    if tag == "present":
        return f"{cond[1]} is present"
    if tag == "missing":
        return f"{cond[1]} is missing"
    return f"{cond[1]} {cond[2]} {cond[3]!r}"


def _leaf_definition(cond: Cond) -> dict:
    tag = cond[0]
    if tag == "present":
        return {"$ex": {cond[1]: 1}}
    if tag == "missing":
        return {"$nex": {cond[1]: 1}}
    _, path, op, value = cond
    name = _OPERATORS[op]
    return {path: value} if name is None else {name: {path: value}}


def _cond_definition(cond: Cond | None) -> dict:
    if cond is None:
        return _leaf_definition(_ALWAYS)
    if cond[0] in ("and", "or"):
        return {f"${cond[0]}": [_cond_definition(child) for child in cond[1]]}
    return _leaf_definition(cond)


def to_definition(rules: Sequence[tuple[str, Cond | None]]) -> dict:
    """Build the durable_rules ruleset definition for `rules`.

    Pure and deterministic, so it can be golden-tested. Each rule is named by its id, matches
    one fact (``m``), and gets an explicit ``pri`` equal to its 1-based position: durable runs
    actions in ascending ``pri``, so rules fire in the given order.

    Args:
        rules: ``(rule_id, condition)`` pairs, in firing order.

    Returns:
        A JSON-able dict ``{rule_id: {"all": [{"m": ...}], "pri": n}}``.

    Raises:
        ValueError: if a condition is malformed (`check_limits` reports the same problems as a list).

    Examples:
        >>> to_definition([("R1", ("cmp", "party.age", ">=", 18))])
        {'R1': {'all': [{'m': {'$gte': {'party.age': 18}}}], 'pri': 1}}
        >>> to_definition([("R2", ("and", [("present", "a"), ("cmp", "b", "==", None)]))])
        {'R2': {'all': [{'m': {'$and': [{'$ex': {'a': 1}}, {'$nex': {'b': 1}}]}}], 'pri': 1}}
    """
    definition: dict = {}
    for pri, (rule_id, cond) in enumerate(rules, start=1):
        try:
            norm = _normalise(cond)
        except _Malformed as exc:
            raise ValueError(f"rule {rule_id}: {exc}") from None
        definition[rule_id] = {"all": [{"m": _cond_definition(norm)}], "pri": pri}
    return definition


def _json(obj: object) -> str:
    """Serialise a definition or a value as JSON that durable's parser accepts.

    Unlike `json.dumps`, writes ``1e+16`` as ``1.0e+16``: durable rejects an exponent without a
    fraction (error 204), and Python writes one for large and tiny floats.
    """
    if isinstance(obj, dict):
        return "{" + ",".join(f"{_encode_str(k)}:{_json(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, list):
        return "[" + ",".join(_json(v) for v in obj) + "]"
    if obj is None or type(obj) is bool:
        return "null" if obj is None else "true" if obj else "false"
    if type(obj) is float:
        text = repr(obj)
        return text.replace("e", ".0e") if "e" in text and "." not in text else text
    if type(obj) is int:
        return str(obj)
    return _encode_str(obj)


# --------------------------------------------------------------------------------------------
# Static limits: a model of durable's alpha network
# --------------------------------------------------------------------------------------------


class _Node:
    """One alpha node as rete.c builds it.

    `hashed` are the children in the 512-slot table (every operator but `$nex`), shared between
    rules when path, operator and value are equal; `listed` are `$nex` children and `joins` the
    unshared `or` join nodes, both in the 128-entry list; `rules` end here (the beta list).
    """

    __slots__ = ("label", "parent", "hashed", "listed", "joins", "rules")

    def __init__(self, label: str = "", parent: _Node | None = None) -> None:
        self.label = label
        self.parent = parent
        self.hashed: dict[tuple, _Node] = {}
        self.listed: dict[str, _Node] = {}
        self.joins: list[_Node] = []
        self.rules: list[str] = []

    def prefix(self) -> str:
        labels = []
        node: _Node | None = self
        while node is not None and node.parent is not None:
            labels.append(node.label)
            node = node.parent
        return " and ".join(reversed(labels))


def _place(cond: Cond, parent: _Node) -> _Node:
    """Add `cond` under `parent` the way rete.c's createAlpha does, and return its last node."""
    tag = cond[0]
    if tag == "and":
        for child in cond[1]:
            parent = _place(child, parent)
        return parent
    if tag == "or":
        join = _Node(_describe(cond), parent)
        for child in cond[1]:
            _place(child, parent).joins.append(join)
        return join
    if tag == "missing":
        node = parent.listed.get(cond[1])
        if node is None:
            node = parent.listed[cond[1]] = _Node(_describe(cond), parent)
        return node
    if tag == "present":
        key: tuple = (cond[1], "$ex", "int", 1)
    else:
        # durable shares a node only when the JSON types match too: 1, 1.0 and True are distinct.
        key = (cond[1], cond[2], type(cond[3]).__name__, cond[3])
    node = parent.hashed.get(key)
    if node is None:
        node = parent.hashed[key] = _Node(_describe(cond), parent)
    return node


def _most_true(conds: list[tuple[str, object]]) -> int:
    """The most of `conds`, ``(op, constant)`` tests on one path, that one value satisfies.

    Truth only changes at the constants, so it is enough to try each constant and one value in
    each gap between neighbours (and beyond both ends). Mixed types are summed: they are
    reported as a problem anyway.
    """
    by_class: dict[str | None, list[tuple[str, object]]] = {}
    for op, const in conds:
        by_class.setdefault(_CLASS_OF[type(const)], []).append((op, const))
    total = 0
    for cls, same in by_class.items():
        if cls == "boolean":
            total += max(sum((x == c) == (op == "==") for op, c in same) for x in (True, False))
            continue
        s = {op: sorted(c for o, c in same if o == op) for op in _OPERATORS}
        eq, ne = Counter(s["=="]), Counter(s["!="])

        def at(x: object) -> int:
            return (bisect_left(s[">"], x) + bisect_right(s[">="], x) + len(s["<"]) - bisect_right(s["<"], x)
                    + len(s["<="]) - bisect_left(s["<="], x) + eq[x] + len(s["!="]) - ne[x])

        def between(lo: object, hi: object) -> int:  # a value strictly between two neighbours
            above = 0 if lo is None else bisect_right(s[">"], lo) + bisect_right(s[">="], lo)
            below = 0 if hi is None else (len(s["<"]) - bisect_left(s["<"], hi)
                                          + len(s["<="]) - bisect_left(s["<="], hi))
            return above + below + len(s["!="])

        points = sorted({c for _, c in same})
        best = max(between(lo, hi) for lo, hi in zip([None, *points], [*points, None]))
        total += max(best, max(at(x) for x in points))
    return total


def _stack_peak(node: _Node, memo: dict[int, int]) -> int:
    """An upper bound on the entries durable's 64-entry matching stack needs below `node`.

    durable walks the network depth first: it pops a node and pushes every child that holds for
    the fact. So the peak is the children true at once here, plus the deepest peak below minus
    the one popped. Children true at once are counted path by path, taking the value (or the
    absence) that makes the most true; `or` joins are always pushed.

    Computed children first with an explicit stack, not by recursion: one rule of hundreds of
    conditions is a chain of hundreds of nodes, deeper than Python's recursion limit.
    """
    todo: list[tuple[_Node, bool]] = [(node, False)]
    while todo:
        current, expanded = todo.pop()
        if id(current) in memo:
            continue
        children = list(itertools.chain(current.hashed.values(), current.listed.values(), current.joins))
        if not expanded:
            todo.append((current, True))
            todo.extend((child, False) for child in children if id(child) not in memo)
            continue
        compared: dict[str, list[tuple[str, object]]] = {}
        present: dict[str, int] = {}
        for (path, op, _type, value) in current.hashed:
            if op == "$ex":
                present[path] = present.get(path, 0) + 1
            else:
                compared.setdefault(path, []).append((op, value))
        paths = present.keys() | compared.keys() | current.listed.keys()
        at_once = len(current.joins) + sum(
            max(present.get(p, 0) + _most_true(compared.get(p, [])), 1 if p in current.listed else 0) for p in paths)
        deepest = max((memo[id(child)] for child in children), default=0)
        memo[id(current)] = at_once + max(deepest - 1, 0) if at_once else 0
    return memo[id(node)]


def _fnv1a(text: str) -> int:
    # durable hashes property names with 32-bit FNV-1a over the raw (JSON-escaped) bytes and
    # never compares the names themselves, so two paths with one hash would be confused.
    h = 2166136261
    for byte in _encode_str(text)[1:-1].encode():
        h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h


def check_limits(rules: Sequence[tuple[str, Cond | None]]) -> list[tuple[str, str]]:
    """Check `rules` against durable_rules' measured limits before compiling them.

    A rule set past some of these limits makes ``create_ruleset`` loop forever or the process
    segfault, and neither can be interrupted, so this runs before anything reaches the C code.
    It models durable's alpha network: each condition is a node under the previous one, equal
    nodes under one parent are shared, `or` branches are separate paths joined by an unshared
    node.

    Checks, each with its threshold below the hard limit:

    - at most 4096 rules;
    - at most 15 and/or groups in one rule;
    - at most 400 distinct conditions directly under one node: the first conditions of all
      rules (each `or` branch counts), and the next conditions under each shared prefix;
    - at most 100 `missing` conditions and `or` groups directly under one node;
    - at most 200 rules ending in the same condition;
    - at most 40 entries on durable's depth-first matching stack for one fact, estimated from
      above: overlapping thresholds on one field, flags or `missing` tests on many fields, and
      `or` groups sharing a branch all push many true conditions at once;
    - at most 250 distinct fact paths, and no two paths with the same 32-bit name hash;
    - well-formed conditions: known operators, values that are int, float, str, bool or None,
      finite, integers within ±2**53, one type per path, no reserved or ``$`` paths.

    Args:
        rules: ``(rule_id, condition)`` pairs.

    Returns:
        ``(rule_id, message)`` for each problem, with ``""`` as the id when the problem is not
        one rule's. An empty list means the rules are safe to compile.

    Examples:
        >>> check_limits([("R1", ("cmp", "a", ">", 1))])
        []
        >>> check_limits([("R1", ("cmp", "a", ">", float("nan")))])
        [('R1', 'value nan for a is not a finite number')]
    """
    problems: list[tuple[str, str]] = []
    if len(rules) > MAX_RULES:
        problems.append(("", f"{len(rules)} rules in one ruleset; durable_rules allows at most {MAX_RULES}"))
    seen: set[str] = set()
    checked: list[tuple[str, Cond | None]] = []
    for entry in rules:
        rule_id, cond = entry
        if not isinstance(rule_id, str) or not rule_id or rule_id.startswith("$"):
            problems.append((str(rule_id), f"rule id {rule_id!r} must be a non-empty string not starting "
                                           "with '$'"))
            continue
        if rule_id in seen:
            problems.append((rule_id, f"rule id {rule_id!r} is used by more than one rule"))
            continue
        seen.add(rule_id)
        try:
            norm = _normalise(cond)
        except _Malformed as exc:
            problems.append((rule_id, str(exc)))
            continue
        groups = _count_groups(norm)
        if groups > MAX_GROUPS:
            problems.append((rule_id, f"the condition has {groups} and/or groups; durable_rules fits at most "
                                      f"{MAX_GROUPS} in one rule: split it into several rules"))
            continue
        checked.append((rule_id, norm))

    problems.extend(_check_paths(checked))
    root = _Node()
    for rule_id, norm in checked:
        _place(norm if norm is not None else _ALWAYS, root).rules.append(rule_id)
    problems.extend(_check_network(root))
    return problems


def _check_paths(checked: list[tuple[str, Cond | None]]) -> list[tuple[str, str]]:
    problems = []
    classes: dict[str, dict[str, str]] = {}  # path -> class -> first rule using it
    for rule_id, norm in checked:
        for leaf in _leaves(norm):
            by_class = classes.setdefault(leaf[1], {})
            if leaf[0] == "cmp":
                by_class.setdefault(_CLASS_OF[type(leaf[3])], rule_id)  # type: ignore[arg-type]
    for path, by_class in classes.items():
        if len(by_class) > 1:
            kinds = " and ".join(f"{cls}s (rule {rid})" for cls, rid in by_class.items())
            problems.append((list(by_class.values())[1], f"fact {path} is compared with {kinds}; durable_rules "
                             "compares mixed types as text, so use one type per fact"))
    paths = [p for p in classes if p != _ALWAYS[1]]
    if len(paths) > MAX_PATHS:
        problems.append(("", f"the rules read {len(paths)} distinct facts; durable_rules handles at most "
                             f"{MAX_PATHS} properties in one fact"))
    hashes: dict[int, str] = {_fnv1a(name): name for name in (*_RESERVED, _PRIME)}
    for path in paths:
        other = hashes.setdefault(_fnv1a(path), path)
        if other != path:
            problems.append(("", f"facts {other} and {path} have the same 32-bit name hash in durable_rules, "
                                 "which would confuse them; rename one"))
    return problems


def _check_network(root: _Node) -> list[tuple[str, str]]:
    problems = []
    stack, visited = [root], {id(root)}
    while stack:
        node = stack.pop()
        where = "the root (the first conditions of all rules)" if node is root else f"`{node.prefix()}`"
        if len(node.hashed) > MAX_CHILDREN:
            problems.append(("", f"{len(node.hashed)} different conditions follow directly after {where}; "
                                 f"durable_rules hangs at 512 (limit {MAX_CHILDREN}): nest the rules under a "
                                 "shared first condition with few values"))
        if len(node.listed) + len(node.joins) > MAX_LIST_CHILDREN:
            problems.append(("", f"{len(node.listed) + len(node.joins)} 'missing' conditions and 'or' groups "
                                 f"follow directly after {where}; durable_rules fails at 128 "
                                 f"(limit {MAX_LIST_CHILDREN})"))
        if len(node.rules) > MAX_SAME_CONDITION:
            shown = ", ".join(node.rules[:3])
            problems.append((node.rules[0], f"{len(node.rules)} rules have the same condition `{node.prefix()}` "
                                            f"({shown}, ...); durable_rules crashes at 256 (limit "
                                            f"{MAX_SAME_CONDITION}): merge them or make them distinct"))
        for child in itertools.chain(node.hashed.values(), node.listed.values(), node.joins):
            if id(child) not in visited:
                visited.add(id(child))
                stack.append(child)
    at_once = _stack_peak(root, {})
    if at_once > MAX_TRUE_AT_ONCE:
        problems.append(("", f"matching one fact can stack up to {at_once} true conditions at once; durable_rules "
                             f"fails past 64 (limit {MAX_TRUE_AT_ONCE}): use fewer overlapping thresholds on one "
                             "fact, fewer independent flags or 'missing' tests, or fewer 'or' groups sharing a "
                             "branch"))
    return problems


# --------------------------------------------------------------------------------------------
# Matcher
# --------------------------------------------------------------------------------------------

_pid = os.getpid()
_sid_numbers = itertools.count(1)
_registries: weakref.WeakSet[_Registry] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A forked child has only the forking thread: locks held by the parent's other threads would
    # never be released, and the parent's sessions must not be reused (they are keyed by pid).
    global _pid
    _pid = os.getpid()
    for registry in list(_registries):
        registry.lock = threading.RLock()
        registry.sessions = {sid: threading.Lock() for sid in registry.sessions}
        registry.free = threading.Condition()
        registry.idle = []
        registry.count = 0
        registry.waiting = 0


os.register_at_fork(after_in_child=_after_fork_in_child)


class _Registry:
    """The ruleset handle and its live sessions; shared with finalizers and the fork hook.

    Kept apart from `Matcher` so that a finalizer can reach it without keeping the matcher alive.
    Each session has a lock that its thread holds while matching, so `close` never deletes a
    state under a running match. Only primed sessions are listed (see `Matcher._new_session`).
    """

    __slots__ = ("name", "handle", "lock", "sessions", "closed", "free", "idle", "count", "waiting", "__weakref__")

    def __init__(self, name: str, handle: int) -> None:
        self.name = name
        self.handle = handle
        self.lock = threading.RLock()  # reentrant: a finalizer may run inside a locked section
        self.sessions: dict[str, threading.Lock] = {}
        self.closed = False
        # the session pool: idle sessions, how many exist in this process, and a condition to wait for one
        self.free = threading.Condition()
        self.idle: list[_Session] = []
        self.count = 0
        self.waiting = 0  # calls waiting for a session: only then does a release take the condition's lock

    def add(self, sid: str, lock: threading.Lock) -> None:
        with self.lock:
            if self.closed:
                raise MatcherError(f"matcher {self.name!r} is closed")
            self.sessions[sid] = lock

    def drop(self, sid: str) -> None:
        """Delete one session's state, when its thread has ended."""
        with self.lock:
            lock = self.sessions.pop(sid, None)
            if lock is None or self.closed:
                return
        with lock:
            _delete_state(self.handle, sid)

    def close(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.closed = True
            sessions = list(self.sessions.items())
            self.sessions.clear()
        for sid, lock in sessions:
            with lock:
                _delete_state(self.handle, sid)
        # after the states: delete_ruleset does not free them (research §2)
        try:
            _dre.delete_ruleset(self.handle)
        except (_dre.error, MemoryError):
            pass


def _delete_state(handle: int, sid: str) -> None:
    """Delete a primed sid's state, ignoring errors.

    Never call it for a state that has not started an action: durable 2.0.28 leaves two pointers
    of a new state uninitialised until then, and `delete_state` frees them (a crash whenever
    malloc hands out reused memory).
    """
    try:
        _dre.delete_state(handle, sid)
    except (_dre.error, MemoryError):
        pass  # already gone


class _Session:
    """One thread's sid on one ruleset, with the id counter for its facts."""

    __slots__ = ("sid", "pid", "head", "seq", "lock", "__weakref__")

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.pid = _pid
        self.head = '{"sid":' + _encode_str(sid) + ',"id":'
        self.seq = 0
        self.lock = threading.Lock()


class _guarded:
    """Run a block of durable_rules calls on one sid: after any failure call `forget` (it deletes the sid's
    state, or leaves it), and raise durable_rules' own errors, and memory exhaustion, as `MatcherError`.

    A class rather than a generator context manager: it wraps every match, and this costs less.
    """

    __slots__ = ("name", "forget")

    def __init__(self, name: str, forget: Callable[[], None]) -> None:
        self.name = name
        self.forget = forget

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> None:
        if exc is None:
            return
        self.forget()
        if isinstance(exc, (_dre.error, MemoryError)):
            raise MatcherError(f"durable_rules failed on {self.name!r}: {exc}") from exc
        # any other exception (MatcherError, KeyboardInterrupt ...) propagates as it is


class Matcher:
    """A compiled rule set that reports which rules a flat fact satisfies.

    Thread-safe: each call borrows a persistent sid from a pool (a state is about 100 KB plus
    12 KB per rule, so it is kept, not rebuilt per call) and returns it; the pool grows to the
    number of calls running at once, up to `MAX_SESSIONS` (durable_rules keeps at most 1,024
    states per ruleset), and beyond that a call waits for a free sid instead of failing. After
    `os.fork` the child starts new sids. `close` deletes every state. The
    compiled ruleset is `to_definition(rules)` plus one internal rule, ``$prime``, that readies
    each new sid.

    Args:
        name: a label for messages; it need not be unique.
        rules: ``(rule_id, condition)`` pairs, in firing order; may be empty.

    Raises:
        MatcherError: if `check_limits` finds problems (listed in `.problems`), or durable_rules
            refuses the definition.

    Examples:
        >>> m = Matcher("demo", [("adult", ("cmp", "party.age", ">=", 18)),
        ...                      ("no-licence", ("missing", "party.licence"))])
        >>> m.match({"party.age": 30})
        ('adult', 'no-licence')
        >>> m.match({"party.age": 12, "party.licence": "B"})
        ()
        >>> m.close()
    """

    def __init__(self, name: str, rules: Sequence[tuple[str, Cond | None]]) -> None:
        rules = list(rules)
        problems = check_limits(rules)
        if problems:
            listed = "\n".join(f"  {rid or '(ruleset)'}: {msg}" for rid, msg in problems)
            raise MatcherError(f"cannot compile {name!r} for durable_rules:\n{listed}", problems)
        definition = to_definition(rules)
        definition[_PRIME] = {"all": [{"m": {"$ex": {_PRIME: 1}}}], "pri": len(rules) + 1}
        text = _json(definition)
        try:
            handle = _dre.create_ruleset(str(name), text)
        except (_dre.error, MemoryError, ValueError) as exc:
            raise MatcherError(f"durable_rules refused {name!r}: {exc}") from exc
        self.name = name
        # path -> the one type its comparisons use (`_ANY` for present/missing only)
        self._classes: dict[str, str] = {}
        self._ordered: set[str] = set()  # string paths compared with < <= > >=
        for _rule_id, cond in rules:
            for leaf in _leaves(_normalise(cond)):
                if leaf is _ALWAYS:
                    continue
                if leaf[0] == "cmp":
                    self._classes[leaf[1]] = _CLASS_OF[type(leaf[3])]  # type: ignore[assignment]
                    if leaf[2] in _ORDERING and type(leaf[3]) is str:
                        self._ordered.add(leaf[1])
                else:
                    self._classes.setdefault(leaf[1], _ANY)
        # per path: the encoded key (after the comma that separates it from the one before), the types the rules
        # accept, the key with true and with false, and the key with each string value seen (a case's strings
        # repeat: kinds, places, enum members)
        self._keys = {path: ("," + _encode_str(path) + ":", _TYPES_OF[cls], "," + _encode_str(path) + ":true",
                             "," + _encode_str(path) + ":false", {})
                      for path, cls in self._classes.items()}
        self._specs = tuple(sorted(self._keys.items()))
        self.order: tuple[str, ...] = tuple(path for path, _ in self._specs)  # the paths read, in the order sent
        self._registry = _Registry(str(name), handle)
        _registries.add(self._registry)
        self._finalizer = weakref.finalize(self, self._registry.close)
        self._finalizer.atexit = False  # the OS frees it all at exit; skip C calls during shutdown

    @property
    def paths(self) -> frozenset[str]:
        """The fact paths this matcher's rules read; any other key of a fact is not sent to durable_rules."""
        return frozenset(self._keys)

    def __repr__(self) -> str:
        state = "closed" if self._registry.closed else f"{len(self._classes)} facts read"
        return f"<Matcher {self.name!r}: {state}>"

    def match(self, fact: Mapping[str, Scalar]) -> tuple[str, ...]:
        """Return the ids of the rules that `fact` satisfies, in the given rule order.

        Args:
            fact: flat dotted keys to int, float, str, bool or None (None counts as missing).
                Only the keys some rule reads are sent to durable_rules; the others are only
                checked to be scalars.

        Returns:
            The ids of the rules that fired, each once; ``()`` when none does.

        Raises:
            MatcherError: for a value that is not a finite int/float, str, bool or None, an int
                outside ±2**53, a value whose type differs from what the rules compare that fact
                with, a closed matcher, or any error inside durable_rules (the thread's state is
                then deleted, so the next call starts clean).
        """
        session = self._acquire()
        try:
            return self._match(fact, session)
        finally:
            self._release(session)

    def _acquire(self) -> _Session:
        """An idle session, a new one, or, when `MAX_SESSIONS` are in use, the first to be released."""
        registry = self._registry
        try:
            return registry.idle.pop()  # atomic: the usual case takes no lock
        except IndexError:
            pass
        with registry.free:
            # counted as waiting before looking at the pool: a release that comes after the look sees the count
            # and notifies (`_release`)
            registry.waiting += 1
            try:
                while not registry.idle and registry.count >= MAX_SESSIONS:
                    if registry.closed:
                        raise MatcherError(f"matcher {self.name!r} is closed")
                    registry.free.wait(timeout=1.0)
            finally:
                registry.waiting -= 1
            if registry.idle:
                return registry.idle.pop()
            registry.count += 1
        try:
            return self._new_session()
        except BaseException:
            with registry.free:
                registry.count -= 1
                registry.free.notify()
            raise

    def _release(self, session: _Session) -> None:
        registry = self._registry
        if session.pid == _pid:
            registry.idle.append(session)
        if registry.waiting:
            with registry.free:
                registry.free.notify()

    def encode(self, facts: Mapping[str, Scalar]) -> str:
        """The facts of `facts` that the rules read, as the body of a message for `match_encoded`.

        Only the paths the rules read are looked at (with ``facts.get``): a key no rule reads is neither sent nor
        checked. The values read are checked as `match` checks them, in path order. Equal bodies ask the same
        question.

        Raises:
            MatcherError: a value read has a type the rules do not compare that path with, is not finite, is an
                int outside ±2**53, or is a string durable_rules cannot take (see `match`).
        """
        return self.encode_values(map(facts.get, self.order))

    def encode_values(self, values: Iterable[Scalar]) -> str:
        """`encode` for the values of the paths of `order`, in that order (None for a path the facts lack).

        The same values of the same types give the same body, so a caller may remember answers by the values
        and their types (`compiler.StageMatcher` does, within one evaluation)."""
        pieces = []
        for (key, spec), value in zip(self._specs, values):
            if value is None:
                continue
            t = type(value)
            # the usual values, encoded inline; any other, or any doubt, goes through `_piece`
            if t is str:
                pieces.append(spec[4].get(value) or self._piece(key, value, spec))
            elif t is bool and t in spec[1]:
                pieces.append(spec[2] if value else spec[3])
            elif t is int and -MAX_INT <= value <= MAX_INT and t in spec[1]:
                pieces.append(spec[0] + str(value))
            else:
                pieces.append(self._piece(key, value, spec))
        return "".join(pieces)

    def match_encoded(self, body: str) -> tuple[str, ...]:
        """`match` on facts already encoded by this matcher's `encode`."""
        session = self._acquire()
        try:
            session.seq += 1
            return self._assert(f"{session.head}{session.seq}{body}}}", session)
        finally:
            self._release(session)

    def _match(self, fact: Mapping[str, Scalar], session: _Session) -> tuple[str, ...]:
        return self._assert(self._message(fact, session), session)

    def _assert(self, message: str, session: _Session) -> tuple[str, ...]:
        """Assert `message` on `session`'s sid, collect the rules that fire, retract it."""
        registry = self._registry
        fired: dict[str, None] = {}  # ordered, and each id once: an `or` fires once per true branch
        with session.lock:
            if registry.closed:
                raise MatcherError(f"matcher {self.name!r} is closed")
            handle = registry.handle
            try:
                code, state = _dre.assert_fact(handle, message)
                if code == 1:
                    return ()  # nothing matched; durable stores no fact that matches nothing
                if code != 0:
                    raise MatcherError(f"durable_rules returned {code} for a fact on {self.name!r}")
                # Keep only actions on this fact ({"rule":{"m":<message>}}): priming drained
                # those of the sid's own state fact, and nothing else may leak into the result.
                mine = message + "}}"
                result = _dre.start_action_for_state(handle, state)
                actions = result[1] if result is not None else None
                while actions is not None:
                    if actions.endswith(mine):
                        fired[_scanstring(actions, 2)[0]] = None
                    actions = _dre.complete_and_start_action(handle, state)
                _dre.retract_fact(handle, message)
            except BaseException as exc:
                # `_guarded`, inline on this path: an open action locks the sid for 30 s and the fact may still
                # be asserted, so after a failure this sid starts again from nothing
                _delete_state(handle, session.sid)
                if isinstance(exc, (_dre.error, MemoryError)):
                    raise MatcherError(f"durable_rules failed on {self.name!r}: {exc}") from exc
                raise
        return tuple(fired)

    def _new_session(self) -> _Session:
        """Create this thread's sid and prime it.

        Priming asserts a fact that only the internal `$prime` rule reads and runs its action.
        That initialises the state, so `delete_state` is safe on it later, and it drains the
        actions the sid's own state fact can trigger (on `missing`-only and always-true rules).
        """
        registry = self._registry
        if registry.closed:
            raise MatcherError(f"matcher {self.name!r} is closed")
        session = _Session(f"{_pid}.{next(_sid_numbers)}")
        message = f'{session.head}0,"{_PRIME}":1}}'
        started = False

        def forget() -> None:
            if started:
                _delete_state(registry.handle, session.sid)
            # else: leave the unprimed state alone; deleting it could crash

        with session.lock, _guarded(self.name, forget):
            code, state = _dre.assert_fact(registry.handle, message)
            if code != 0:
                raise MatcherError(f"durable_rules returned {code} priming a session on {self.name!r}")
            actions = _dre.start_action_for_state(registry.handle, state)
            started = actions is not None
            while actions is not None:
                actions = _dre.complete_and_start_action(registry.handle, state)
            _dre.retract_fact(registry.handle, message)
            # listed only once primed, so that `close` (or a forked child) never deletes an
            # unprimed state
            registry.add(session.sid, session.lock)
        # runs when the session is dropped (its matcher is gone)
        weakref.finalize(session, registry.drop, session.sid).atexit = False
        return session

    def _message(self, fact: Mapping[str, Scalar], session: _Session) -> str:
        """Validate `fact` and build the JSON message: sid, a fresh id, and the facts rules read.

        Written by hand rather than with `json`: it halves the cost of a call (the encoder is
        rebuilt on every `json.dumps`), and the type checks happen in the same pass.
        """
        keys = self._keys
        session.seq += 1
        parts = [session.head + str(session.seq)]
        try:
            items = fact.items()
        except AttributeError:
            raise MatcherError(f"a fact must be a mapping, not {type(fact).__name__}") from None
        for key, value in items:
            t = type(value)
            spec = keys.get(key)  # (encoded key, the types the rules accept) for facts rules read
            if spec is None:  # no rule reads it: not sent, only checked
                if t not in _CLASS_OF or t is float and not math.isfinite(value):
                    self._refuse(key, value)
                continue
            if t not in spec[1]:
                if value is not None:  # None means absent: not sent
                    self._refuse(key, value)
                continue
            parts.append(self._piece(key, value, spec))
        return "".join(parts) + "}"

    def _piece(self, key: str, value: Scalar, spec: tuple) -> str:
        """`value` (not None) encoded with its key for the message, or the `MatcherError` that refuses it."""
        t = type(value)
        if t not in spec[1]:
            self._refuse(key, value)
        if t is bool:
            return spec[2] if value else spec[3]
        if t is str:
            seen = spec[4]
            piece = seen.get(value)
            if piece is None:
                if len(value) * 4 > MAX_STRING_BYTES or key in self._ordered and _ESCAPED.search(value):
                    _check_fact_string(key, value, key in self._ordered)
                piece = spec[0] + _encode_str(value)
                if len(seen) < _SEEN_STRINGS:  # bounded: free text would grow it without end
                    seen[value] = piece
            return piece
        if t is int:
            if not -MAX_INT <= value <= MAX_INT:  # type: ignore[operator]
                raise MatcherError(f"fact {key} is {value}, outside ±2**53 where durable_rules and "
                                   "Python compare numbers differently")
            return spec[0] + str(value)
        if not math.isfinite(value):  # type: ignore[arg-type]
            raise MatcherError(f"fact {key} is {value!r}; only finite numbers are allowed")
        return spec[0] + _json(value)

    def _refuse(self, key: object, value: object) -> NoReturn:
        """Raise the error for a value `_message` cannot accept."""
        t = type(value)
        if t not in _CLASS_OF:
            raise MatcherError(_bad_type(key, value))
        if t is float and not math.isfinite(value):  # type: ignore[arg-type]
            raise MatcherError(f"fact {key} is {value!r}; only finite numbers are allowed")
        raise MatcherError(f"fact {key} is a {t.__name__} ({value!r}) but the rules compare it with "
                           f"{self._classes[key]}s; convert it before matching")

    def close(self) -> None:
        """Delete every state this matcher created, then the ruleset. Idempotent.

        A match already running in another thread finishes first; every later call to `match`
        raises `MatcherError`. Also runs when the matcher is garbage-collected.
        """
        self._finalizer()


def _bad_type(key: object, value: object) -> str:
    kind = type(value).__name__
    if isinstance(value, (dict, list, tuple, set)):
        return f"fact {key} is a nested {kind}; facts must be flat dotted keys with scalar values"
    return (f"fact {key} is a {kind} ({value!r}); only int, float, str, bool and None are allowed "
            "(convert Decimal amounts to int or float first)")


def _check_fact_string(key: str, value: str, ordered: bool) -> None:
    if ordered and _ESCAPED.search(value):
        raise MatcherError(f"fact {key} is compared with < or > but contains '\"', '\\' or control characters, "
                           "which durable_rules orders by their escaped JSON bytes")
    if len(value.encode()) > MAX_STRING_BYTES:
        raise MatcherError(f"fact {key} is longer than durable_rules' 16 MB limit")
