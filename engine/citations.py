"""Citations a reviewer can look up: a static pass over every source and basis that can reach a decision.

Owns two warnings of `zhifa check`:

* ``placeholder-citation``: a citation that names no document a reader could find — an internal pointer
  (``seed 002``, ``FACTS §4.3``) or a 参照 (reference to another body's rule) that does not name the document;
* ``foreign-citation``: a layer citing, as its own source, a document of a jurisdiction it does not belong to
  (上城 citing a 义乌 文件, the province citing a county's). A layer may still cite another jurisdiction's
  document as a reference, by saying so: ``参照《…》`` names it as a 参照 and is not reported.

The places come from the shipped division table (`engine.places`). Imports `errors`, `model`, `places`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterator

from engine import model as m
from engine.errors import Diagnostic
from engine.places import divisions

__all__ = ["check_citations", "placeholder"]

# internal pointers of this project, never a document: seed numbers, sections of the fact sheet
_INTERNAL = re.compile(r"seed\s*0*\d+|FACTS\s*§|FACTS 所用|shared/domain", re.I)
# 参照 must name what it refers to: 参照《…》 or 参照…〔year〕号
_BARE_REFERENCE = re.compile(r"参照(?!\s*[《“\"]|[^；。，,]{0,20}〔\d{4}〕)")
_WENHAO = re.compile(r"([\u4e00-\u9fff]{1,6})〔\d{4}〕")


def placeholder(text: str) -> str | None:
    """What makes `text` a placeholder citation, or None.

    Examples:
        >>> placeholder("seed 002：确定赋权街道执法清单380项")
        'an internal pointer (seed 002)'
        >>> placeholder("参照；非杭州文件") is not None, placeholder("参照《公安机关办理行政案件程序规定》") is None
        (True, True)
        >>> placeholder("《中华人民共和国行政处罚法》第三十七条") is None
        True
    """
    mo = _INTERNAL.search(text)
    if mo:
        return f"an internal pointer ({mo.group(0)})"
    if _BARE_REFERENCE.search(text):
        return "a 参照 that does not name the document it refers to"
    return None


@lru_cache(maxsize=1)
def _places() -> tuple[dict[str, str], dict[str, str]]:
    """Zhejiang city and county full names (义乌市, 上城区) → their codes, and 文号 prefixes (义 of 义政发 → 义乌's
    code) for the first characters that belong to one jurisdiction alone.

    Full names only: a short form such as 上城 is found inside ordinary words ("县级以上城市人民政府").
    """
    table = divisions()
    names: dict[str, str] = {}
    firsts: dict[str, set[str]] = {}
    for d in table.by_code.values():
        if d.level in ("city", "county"):
            names[d.name] = d.code
            short = re.sub(r"(自治县|市|县|区)$", "", d.name)
            firsts.setdefault(short[0], set()).add(d.code)
    prefixes = {ch: next(iter(codes)) for ch, codes in firsts.items() if len(codes) == 1}
    return names, prefixes


@lru_cache(maxsize=65536)
def _mentions(text: str) -> frozenset[str]:
    """The codes of the jurisdictions whose documents `text` cites (by full name or by 文号). Remembered per text:
    every dated version of a ruleset cites the same few thousand source texts."""
    names, prefixes = _places()
    found = {code for name, code in names.items() if name in text}
    for mo in _WENHAO.finditer(text):
        word = mo.group(1)
        if word.startswith("浙"):
            continue
        code = prefixes.get(word[0])
        if code and re.search(r"政|综|綜|执|法|发|办", word[1:]):
            found.add(code)
    return frozenset(found)


def _own(comp, layer: str) -> set[str]:
    """The jurisdictions a layer speaks for: the counties it declares, their cities, and the cities and counties
    its title names (a city layer: 杭州市 and every county in it)."""
    table = divisions()
    names, _ = _places()
    own: set[str] = set()
    for a in comp.areas.values():
        d = table.county(a.name) if a.kind == "county" else None
        if d is not None and comp.layer_of.get(f"areas:{a.name}") == layer:
            own.add(d.code)
            city = table.city_of(d)
            if city is not None:
                own.add(city.code)
    title = comp.titles.get(layer, "")
    own |= {code for name, code in names.items() if name in title}
    return own


def _is_own(code: str, own: set[str]) -> bool:
    # a city speaks for its counties (杭州市 citing a 西湖区 document is within its jurisdiction)
    return code in own or (len(code) > 4 and code[:4] in own and not any(len(o) > 4 for o in own))


def _cited(comp) -> Iterator[tuple[str, str, m.Span]]:
    """Every (layer key, citation text, position) of the composite's declarations."""
    for tname in ("parameters", "facts", "sanctions", "flags", "domains", "agencies", "areas", "classes", "lists",
                  "items", "benchmarks", "penalty_lists", "rules"):
        for key, decl in getattr(comp, tname, {}).items():
            texts: list[str] = list(getattr(decl, "basis", ()) or ())
            meta = getattr(decl, "meta", None)
            if meta is not None:
                texts += list(meta.sources)
            for t in texts:
                yield f"{tname}:{key}", t, decl.span


def check_citations(comp, layer_places: dict[str, set[str]] | None = None) -> list[Diagnostic]:
    """Warn on placeholder citations and on citations of another jurisdiction's documents (see module doc)."""
    out: list[Diagnostic] = []
    seen: set[tuple[str, str]] = set()
    owns: dict[str, set[str]] = dict(layer_places or {})
    for key, text, span in _cited(comp):
        if (span.source, text) in seen:
            continue
        seen.add((span.source, text))
        why = placeholder(text)
        if why:
            out.append(Diagnostic(code="placeholder-citation", severity="warning", span=span,
                                  message=f"citation {_clip(text)!r} is {why}",
                                  hint="name the document: title, 文号 and article"))
            continue
        layer = comp.layer_of.get(key, "")
        if layer not in owns:
            owns[layer] = _own(comp, layer) if layer else set()
        if "参照" in text:
            continue  # cited as a reference to another body's rule, and said so
        foreign = {c for c in _mentions(text) if not _is_own(c, owns[layer])}
        if foreign:
            table = divisions()
            who = "、".join(sorted(table.by_code[c].name for c in foreign if c in table.by_code))
            out.append(Diagnostic(code="foreign-citation", severity="warning", span=span,
                                  message=f"layer '{layer or comp.name}' cites {_clip(text)!r}, a document of {who}, "
                                          f"as its own source",
                                  hint="cite this jurisdiction's own document, or write 参照《…》 to cite it as a "
                                       "reference"))
    return out


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"
