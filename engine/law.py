"""The law that ships with the rulesets: statute texts, citations of their articles, and law coverage.

Owns the reading of the statute files in ``rulesets/law/`` (one Markdown file per statute version, named
``<short title>(<version date>).md``), the parsing of Chinese article numbers and citations such as
``《中华人民共和国森林法》第七十六条第一款第（二）项``, the identification of each statute's penalty articles,
the excluded-provision tables (``rulesets/law/excluded/<file stem>.csv``, header ``条款,理由``), and the two
law passes of ``zhifa check``: a basis naming an article that is not in the held text (`unknown-article`,
an error) and penalty articles neither cited nor excluded (`law-coverage`, a warning per statute).
Pure Python; imports `model`, `source`, `errors`, `loader`.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Iterable

from engine import model as m
from engine.errors import Diagnostic, RulesetError, suggest
from engine.loader import default_root, display_path, load_chain
from engine.source import Span

__all__ = [
    "Article", "Chapter", "Citation", "Clause", "Library", "Paragraph", "Reference", "Resolved", "Statute",
    "article_label", "check_items", "chinese_number", "coverage", "coverage_diagnostics", "library",
    "parse_citations", "parse_statute", "penalty_kinds_in", "quote_basis", "ruleset_items", "embedded_rulesets",
]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "零〇一二两三四五六七八九十百千万"
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")


def chinese_number(text: str) -> int:
    """The value of a Chinese numeral (零 一 二 两 三 … 九, 十 百 千 万), or of ASCII/full-width digits.

    Article and paragraph numbers and amounts in statute texts are written this way. A leading 十 means
    one ten (十二 = 12); 零 only marks a gap (一百零二 = 102); 万 multiplies everything before it.

    Examples:
        >>> chinese_number("七十六")
        76
        >>> chinese_number("一百零二")
        102
        >>> chinese_number("十二")
        12
        >>> chinese_number("两千")
        2000
        >>> chinese_number("五万")
        50000
        >>> chinese_number("一百五十万")
        1500000
        >>> chinese_number("一千零五十")
        1050
        >>> chinese_number("２０")
        20

    Raises:
        ValueError: the text is empty or not a numeral.
    """
    text = text.strip().translate(_FULLWIDTH)
    if not text:
        raise ValueError("empty numeral")
    if text.isascii() and text.isdigit():
        return int(text)
    total, section, digit = 0, 0, None
    for ch in text:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            section += (1 if digit is None else digit) * _UNITS[ch]
            digit = None
        elif ch == "万":
            total = (total + section + (digit or 0)) * 10000
            section, digit = 0, None
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + section + (digit or 0)


def chinese_numeral(n: int) -> str:
    """The Chinese numeral of a positive whole number below 10,000, as statutes number their articles.

    Examples:
        >>> chinese_numeral(76), chinese_numeral(102), chinese_numeral(12), chinese_numeral(110)
        ('七十六', '一百零二', '十二', '一百一十')
    """
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // unit % 10
        if d:
            if zero:
                out += "零"
            out += ("" if (d == 1 and unit == 10 and n < 20) else digits[d]) + name
            zero = False
        elif out:
            zero = True
    return out


def article_label(n: int) -> str:
    """``第七十六条`` for 76."""
    return f"第{chinese_numeral(n)}条"


# statute texts --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Clause:
    """A 项 of a paragraph: ``（一）…``."""

    number: int
    text: str
    line: int


@dataclass(frozen=True)
class Paragraph:
    """A 款 of an article: its own line of text and the 项 listed under it."""

    number: int
    text: str
    clauses: tuple[Clause, ...]
    line: int

    @property
    def full_text(self) -> str:
        """The paragraph with its 项, one per line."""
        return "\n".join([self.text, *(c.text for c in self.clauses)])


@dataclass(frozen=True)
class Article:
    """An article (条) of a statute, with its paragraphs (款) and the chapter it stands in."""

    number: int
    paragraphs: tuple[Paragraph, ...]
    chapter: str | None
    line: int

    @property
    def label(self) -> str:
        """``第七十六条``."""
        return article_label(self.number)

    @property
    def text(self) -> str:
        """The whole article as the statute prints it: label, paragraphs and 项, one per line."""
        body = "\n".join(p.full_text for p in self.paragraphs)
        return f"{self.label} {body}" if body else self.label

    def clause(self, paragraph: int | None, item: int) -> Clause | None:
        """The 项 `item` of `paragraph` (1-based); without a paragraph, of the first paragraph that lists 项."""
        paras = self.paragraphs if paragraph is None else self.paragraphs[paragraph - 1:paragraph]
        for p in paras:
            for c in p.clauses:
                if c.number == item:
                    return c
        return None


@dataclass(frozen=True)
class Chapter:
    """A chapter (章) heading and the numbers of its articles."""

    title: str
    articles: tuple[int, ...]
    line: int

    @property
    def is_liability(self) -> bool:
        """Whether this is the 法律责任 / 罚则 chapter."""
        return "法律责任" in self.title or "罚则" in self.title


@dataclass(frozen=True)
class Statute:
    """One version of a statute as held in ``rulesets/law``.

    Attributes:
        title: the official title (the file's first ``# `` line).
        stem: the file name without ``.md``, e.g. ``森林法(2019-12-28)``.
        short: the file name without the date, e.g. ``森林法``.
        version: the version date in the file name.
        effective: the date the text's last article says it takes effect (``本法自…起施行``), else None.
            For an amended version this is the date the text states, which may be the original law's.
        source: the file as diagnostics name it.
    """

    title: str
    stem: str
    short: str
    version: date
    effective: date | None
    chapters: tuple[Chapter, ...]
    articles: dict[int, Article]
    source: str
    path: Path

    @property
    def liability_articles(self) -> tuple[int, ...]:
        """The articles of the 法律责任/罚则 chapter; every article when the text has no such chapter."""
        chapters = [c for c in self.chapters if c.is_liability]
        if not chapters:
            return tuple(sorted(self.articles))
        return tuple(n for c in chapters for n in c.articles)

    @property
    def penalty_articles(self) -> tuple[int, ...]:
        """The liability articles whose text sets an administrative penalty (see `penalty_kinds_in`)."""
        return tuple(n for n in self.liability_articles if penalty_kinds_in(self.articles[n].text))

    @property
    def label(self) -> str:
        """``《中华人民共和国森林法》（2019-12-28）``."""
        return f"《{self.title}》（{self.version.isoformat()}）"


_ART = re.compile(rf"^第([{_NUMERAL}]+)条(?:[ \u3000]+|$)")
_ITEM = re.compile(rf"^[（(]([{_NUMERAL}]+)[）)]")
_STEM = re.compile(r"^(?P<short>.+?)\((?P<date>\d{4}-\d{2}-\d{2})[^)]*\)$")
_EFFECTIVE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起(?:施行|实施)")

# What makes an article a penalty article: wording that sets an administrative penalty (行政处罚法 art. 9),
# not a mere mention (“不使用罚款、没收财物单据”, “处分”, “处罚决定”).
_PENALTY_PATTERNS = {
    "罚款": re.compile(r"(?:处|处以|并处)(?![罚分理置])[^。；]{0,80}?罚款"),
    "警告": re.compile(r"(?:给予|予以|处以?|并处|可以)[^。；，]{0,6}?警告"),
    "通报批评": re.compile(r"通报批评"),
    "没收": re.compile(r"没收(?!的|财物单据|款)"),
    "吊销": re.compile(r"吊销"),
    "暂扣": re.compile(r"暂扣"),
    "责令停产停业": re.compile(r"责令[^。；，]{0,8}?停(?:产|业)"),
    "责令关闭": re.compile(r"责令[^。；，]{0,4}?关闭|予以关闭"),
    "取缔": re.compile(r"取缔"),
    "降低资质等级": re.compile(r"降低资质等级"),
    "限制从业": re.compile(r"限制从业"),
    "行政拘留": re.compile(r"行政拘留"),
}


def penalty_kinds_in(text: str) -> list[str]:
    """The kinds of administrative penalty a text sets, by the wording statutes use.

    Examples:
        >>> penalty_kinds_in("由县级以上人民政府林业主管部门责令停止违法行为，处五万元以下的罚款。")
        ['罚款']
        >>> penalty_kinds_in("行政机关对当事人进行处罚不使用罚款、没收财物单据的，当事人有权拒绝缴纳罚款。")
        []
        >>> penalty_kinds_in("责令改正，给予警告；情节严重的，吊销许可证。")
        ['警告', '吊销']
    """
    return [k for k, rx in _PENALTY_PATTERNS.items() if rx.search(text)]


def parse_statute(text: str, path: Path, source: str | None = None) -> Statute:
    """Parse one statute file: title, version date (file name), effective date, chapters, articles, 款, 项.

    Only the text after the ``<!-- INFO END -->`` line is the statute (above it: promulgation lines and the
    collector's notes). Articles start a line with ``第X条``; each further line of an article is a new 款,
    except lines starting with ``（一）``, which are 项 of the paragraph before them.

    Raises:
        ValueError: the file name carries no version date or the text has no title.
    """
    mo = _STEM.match(path.stem)
    if not mo:
        raise ValueError(f"{path.name}: the file name must end with the version date, e.g. 森林法(2019-12-28).md")
    lines = text.split("\n")
    title = next((ln[2:].strip() for ln in lines if ln.startswith("# ")), None)
    if not title:
        raise ValueError(f"{path.name}: no title line ('# …')")
    start = next((i + 1 for i, ln in enumerate(lines) if "<!-- INFO END -->" in ln), 0)
    chapters: list[tuple[str, list[int], int]] = []
    articles: dict[int, Article] = {}
    cur: tuple[int, int] | None = None  # (article number, line)
    paras: list[tuple[str, list[Clause], int]] = []

    def flush() -> None:
        if cur is not None:
            ps = tuple(Paragraph(i, t, tuple(cs), ln) for i, (t, cs, ln) in enumerate(paras, 1))
            articles.setdefault(cur[0], Article(cur[0], ps, chapters[-1][0] if chapters else None, cur[1]))

    for i in range(start, len(lines)):
        raw = lines[i].strip()
        if not raw:
            continue
        lineno = i + 1
        if raw.startswith("## "):
            flush()
            cur, paras = None, []
            chapters.append((re.sub(r"\s+", " ", raw[3:].strip()), [], lineno))
            continue
        if raw.startswith("#"):  # a 节 heading: the chapter goes on
            flush()
            cur, paras = None, []
            continue
        a = _ART.match(raw)
        if a:
            flush()
            n = chinese_number(a.group(1))
            cur, paras = (n, lineno), []
            body = raw[a.end():].strip()
            if body:
                paras.append((body, [], lineno))
            if chapters:
                chapters[-1][1].append(n)
            continue
        if cur is None:
            continue  # text outside any article (a preamble)
        it = _ITEM.match(raw)
        if it and paras:
            paras[-1][1].append(Clause(chinese_number(it.group(1)), raw, lineno))
        else:
            paras.append((raw, [], lineno))
    flush()
    effective = None
    if articles:
        last = articles[max(articles)].text.translate(_FULLWIDTH)
        e = _EFFECTIVE.search(last)
        if e:
            effective = date(int(e.group(1)), int(e.group(2)), int(e.group(3)))
    return Statute(title=title, stem=path.stem, short=mo.group("short"),
                   version=date.fromisoformat(mo.group("date")), effective=effective,
                   chapters=tuple(Chapter(t, tuple(a), ln) for t, a, ln in chapters), articles=articles,
                   source=source or str(path), path=path)


# citations ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reference:
    """One article reference of a citation: article, optional paragraph (款) and item (项)."""

    article: int
    paragraph: int | None = None
    item: int | None = None

    def __str__(self) -> str:
        out = article_label(self.article)
        if self.paragraph:
            out += f"第{chinese_numeral(self.paragraph)}款"
        if self.item:
            out += f"第（{chinese_numeral(self.item)}）项"
        return out


@dataclass(frozen=True)
class Citation:
    """A ``《title》[（version）]第X条…`` citation found in a basis text, with its offsets in that text."""

    title: str
    version: str | None
    refs: tuple[Reference, ...]
    start: int
    end: int


_TITLE = re.compile(r"《([^》]+)》")
_PAREN = re.compile(r"\s*[（(]([^）)]*)[）)]")
_REF_TOKEN = re.compile(rf"\s*(?:[、，,和及与或]|以及|或者)?\s*第(?:([{_NUMERAL}\d]+)条|([{_NUMERAL}\d]+)款|"
                        rf"[（(]([{_NUMERAL}\d]+)[）)]项|([{_NUMERAL}\d]+)项)")


def parse_citations(basis: str) -> list[Citation]:
    """Find the statute citations in a basis text.

    Accepts full or short titles, an optional version parenthetical after the title (``（2024年修正）``;
    a parenthetical without a year is a note and ignored), several articles (``第三十四条、第四十四条``),
    several paragraphs or items (``第五十九条第一款、第二款``, ``第（三）项、第（四）项``), and items with or without
    brackets (``第三项``). Text without a ``《…》`` title (e.g. a 文号) gives no citation.

    Examples:
        >>> [(c.title, c.version, [str(r) for r in c.refs]) for c in parse_citations(
        ...     "《中华人民共和国统计法》（2009年修订）第四十一条第一款、第二款")]
        [('中华人民共和国统计法', '2009年修订', ['第四十一条第一款', '第四十一条第二款'])]
        >>> [str(r) for r in parse_citations("《行政处罚法》第六十三条第一款第（三）项、第（四）项")[0].refs]
        ['第六十三条第一款第（三）项', '第六十三条第一款第（四）项']
        >>> [str(r) for r in parse_citations("《行政处罚法》第九条第（二）项、第二十八条第二款")[0].refs]
        ['第九条第（二）项', '第二十八条第二款']
        >>> parse_citations("浙政办发〔2021〕51号")
        []
    """
    out = []
    for t in _TITLE.finditer(basis):
        pos, version = t.end(), None
        p = _PAREN.match(basis, pos)
        if p:
            if re.search(r"\d{4}\s*年", p.group(1)):
                version = p.group(1).strip()
            pos = p.end()
        refs: list[list[int | None]] = []
        while True:
            tok = _REF_TOKEN.match(basis, pos)
            if not tok:
                break
            art, para, item1, item2 = tok.groups()
            item = item1 or item2
            if art:
                refs.append([chinese_number(art), None, None])
            elif not refs:
                break  # a 款 or 项 with no article before it: not a citation we can read
            elif para:
                last = refs[-1]
                if last[1] is None and last[2] is None:
                    last[1] = chinese_number(para)
                else:
                    refs.append([last[0], chinese_number(para), None])
            else:
                last = refs[-1]
                if last[2] is None:
                    last[2] = chinese_number(item)
                else:
                    refs.append([last[0], last[1], chinese_number(item)])
            pos = tok.end()
        if refs:
            out.append(Citation(t.group(1).strip(), version, tuple(Reference(*r) for r in refs), t.start(), pos))
    return out


@dataclass(frozen=True)
class Resolved:
    """A citation reference looked up in the held law.

    `statute` is None when the title (or the cited version) is not held: the citation is then simply
    unresolved. `problem` says what is missing when the statute is held but the article, 款 or 项 is not.
    """

    citation: Citation
    ref: Reference
    statute: Statute | None
    problem: str | None = None

    @property
    def article(self) -> Article | None:
        """The cited article, when held."""
        if self.statute is None or self.problem:
            return None
        return self.statute.articles.get(self.ref.article)

    @property
    def text(self) -> str | None:
        """The cited text: the 项, else the 款, else the whole article; None when not held."""
        art = self.article
        if art is None:
            return None
        if self.ref.item:
            c = art.clause(self.ref.paragraph, self.ref.item)
            return c.text if c else None
        if self.ref.paragraph:
            return art.paragraphs[self.ref.paragraph - 1].full_text
        return art.text


# the library ----------------------------------------------------------------------------------------------

@dataclass
class Library:
    """The held statutes of a law directory, read lazily and once; and their excluded-provision tables."""

    directory: Path
    excluded_dir: Path | None = None
    _by_stem: dict[str, Statute] = field(default_factory=dict)
    _index: dict[str, list[str]] | None = None
    _excluded: dict[str, tuple] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.excluded_dir is None:
            self.excluded_dir = self.directory / "excluded"

    def files(self) -> list[Path]:
        """The statute files (every ``*.md`` with a dated name; not README or INDEX)."""
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.glob("*.md") if _STEM.match(p.stem))

    def statute(self, stem: str) -> Statute:
        """The statute of one file stem, parsed on first use."""
        with self._lock:
            s = self._by_stem.get(stem)
            if s is None:
                path = self.directory / f"{stem}.md"
                s = parse_statute(path.read_text(encoding="utf-8-sig"), path, display_path(path))
                self._by_stem[stem] = s
            return s

    def statutes(self) -> list[Statute]:
        """Every held statute version, by file name."""
        return [self.statute(p.stem) for p in self.files()]

    def _titles(self) -> dict[str, list[str]]:
        """Title key → file stems. Keys: the official title, it without 中华人民共和国, the file's short name."""
        if self._index is None:
            idx: dict[str, list[str]] = {}
            for p in self.files():
                short = _STEM.match(p.stem).group("short")
                with p.open(encoding="utf-8-sig") as f:
                    title = next((ln[2:].strip() for ln in f if ln.startswith("# ")), short)
                for key in {_key(title), _key(title.removeprefix("中华人民共和国")), _key(short)}:
                    idx.setdefault(key, []).append(p.stem)
            self._index = idx
        return self._index

    def titles(self) -> list[str]:
        """Every title key known (official titles and short names), for suggestions."""
        return sorted(self._titles())

    def versions(self, title: str) -> list[Statute]:
        """The held versions of a title (full or short), oldest first; empty if not held."""
        stems = self._titles().get(_key(title), [])
        return sorted((self.statute(s) for s in stems), key=lambda s: s.version)

    def find(self, title: str, version: str | None = None) -> list[Statute]:
        """The held versions matching a title and an optional version text (matched by its year)."""
        found = self.versions(title)
        if version:
            years = re.findall(r"(\d{4})\s*年", version)
            found = [s for s in found if str(s.version.year) in years]
        return found

    def resolve(self, basis: str) -> list[Resolved]:
        """Look up every article reference of a basis text (see `parse_citations`)."""
        out = []
        for cit in parse_citations(basis):
            versions = self.find(cit.title, cit.version)
            for ref in cit.refs:
                if not versions:
                    out.append(Resolved(cit, ref, None))
                    continue
                # Without a version, the newest held version that has the cited article.
                has = [s for s in versions if _problem(s, ref) is None]
                if has:
                    out.append(Resolved(cit, ref, has[-1]))
                else:
                    out.append(Resolved(cit, ref, versions[-1], _problem(versions[-1], ref)))
        return out

    def excluded(self, statute: Statute) -> tuple[dict[int, str], list[Diagnostic]]:
        """The excluded articles of a statute (article → reason) and the problems of its table."""
        key = statute.stem
        if key not in self._excluded:
            self._excluded[key] = _read_excluded(self.excluded_dir / f"{key}.csv", statute)
        return self._excluded[key]

    def has_excluded(self, statute: Statute) -> bool:
        """Whether the statute has an excluded-provision table."""
        return (self.excluded_dir / f"{statute.stem}.csv").is_file()


def _key(title: str) -> str:
    return re.sub(r"\s+", "", title).replace("<", "〈").replace(">", "〉")


def _problem(s: Statute, ref: Reference) -> str | None:
    art = s.articles.get(ref.article)
    if art is None:
        return f"{s.label} has no {article_label(ref.article)} (it has {article_label(max(s.articles))} as its last)"
    if ref.paragraph and ref.paragraph > len(art.paragraphs):
        return f"{s.label}{art.label} has {len(art.paragraphs)} 款, not 第{chinese_numeral(ref.paragraph)}款"
    if ref.item and art.clause(ref.paragraph, ref.item) is None:
        where = f"{art.label}第{chinese_numeral(ref.paragraph)}款" if ref.paragraph else art.label
        return f"{s.label}{where} has no 第（{chinese_numeral(ref.item)}）项"
    return None


def _read_excluded(path: Path, statute: Statute) -> tuple[dict[int, str], list[Diagnostic]]:
    out: dict[int, str] = {}
    diags: list[Diagnostic] = []
    if not path.is_file():
        return out, diags
    source = display_path(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    if not rows or [h.strip() for h in rows[0][:2]] != ["条款", "理由"]:
        diags.append(Diagnostic(code="excluded-header", message="the excluded-provision table needs the header '条款,理由'",
                                span=Span(source=source)))
        return out, diags
    for n, row in enumerate(rows[1:], 2):
        if not row or not any(c.strip() for c in row):
            continue
        cite = row[0].strip()
        reason = row[1].strip() if len(row) > 1 else ""
        if cite in ("全文", "全部"):  # the whole statute, e.g. a procedural rule that sets no penalty itself
            for n in statute.articles:
                out.setdefault(n, reason)
            continue
        refs = [r for c in parse_citations(f"《{statute.title}》{cite}") for r in c.refs]
        at = Span(source=source, line=n, column=1, end_line=n, end_column=1 + len(cite))
        if not refs:
            diags.append(Diagnostic(code="excluded-row", message=f"'{cite}' is not an article reference",
                                    span=at, hint="write e.g. 第七十条 or 第七十条第二款"))
            continue
        if not reason:
            diags.append(Diagnostic(code="excluded-row", message=f"'{cite}' is excluded without a reason", span=at))
        for r in refs:
            prob = _problem(statute, r)
            if prob:
                diags.append(Diagnostic(code="unknown-article", message=prob, span=at))
            else:
                out.setdefault(r.article, reason)
    return out, diags


_LIBRARY: Library | None = None


def library() -> Library:
    """The law shipped with the embedded rulesets (``rulesets/law``, ``engine/rulesets/law`` in a wheel)."""
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = Library(default_root() / "law")
    return _LIBRARY


# the check passes -----------------------------------------------------------------------------------------

def _basis_span(item: m.Item, i: int, cit: Citation) -> Span:
    """Where citation `cit` of the item's basis `i` stands: in its basis string when the parser recorded it."""
    spans = getattr(item, "basis_spans", ())
    if i < len(spans):
        s = spans[i]
        return Span(source=s.source, line=s.line, column=s.column + cit.start,
                    end_line=s.line, end_column=s.column + cit.end)
    return item.span


def check_items(items: Iterable[m.Item], lib: Library | None = None) -> list[Diagnostic]:
    """The `unknown-article` errors of a catalogue: a basis citing a held statute's article, 款 or 项 that its
    text does not have. Titles (or versions) not held are not errors: they are simply unresolved."""
    lib = lib or library()
    diags = []
    for item in items:
        for i, basis in enumerate(item.basis):
            for r in _resolve_cached(lib, basis):
                if r.problem:
                    arts = sorted(r.statute.articles)
                    diags.append(Diagnostic(
                        code="unknown-article", span=_basis_span(item, i, r.citation),
                        message=f"item '{item.code}' cites {r.ref}, which is not in the held text: {r.problem}",
                        hint=f"{r.statute.title} has {article_label(arts[0])} to {article_label(arts[-1])}; "
                             f"the text is {r.statute.source}"))
    return diags


_RESOLVED: dict[tuple[int, str], list[Resolved]] = {}


def _resolve_cached(lib: Library, basis: str) -> list[Resolved]:
    key = (id(lib), basis)
    found = _RESOLVED.get(key)
    if found is None:
        found = lib.resolve(basis)
        if len(_RESOLVED) > 50_000:
            _RESOLVED.clear()
        _RESOLVED[key] = found
    return found


@dataclass(frozen=True)
class StatuteCoverage:
    """How far one statute's penalty articles are encoded by items or excluded."""

    statute: Statute
    penalty: tuple[int, ...]
    encoded: dict[int, tuple[str, ...]]  # article → item codes citing it
    excluded: dict[int, str]  # article → reason
    cited: tuple[int, ...]  # every article any item cites
    in_scope: bool = True  # cited by an item, or with an excluded-provision table

    @property
    def uncovered(self) -> tuple[int, ...]:
        """Penalty articles neither encoded nor excluded."""
        return tuple(n for n in self.penalty if n not in self.encoded and n not in self.excluded)

    @property
    def share(self) -> float:
        """The share of penalty articles encoded or excluded (1.0 when there are none)."""
        return 1.0 if not self.penalty else 1 - len(self.uncovered) / len(self.penalty)

    def as_dict(self) -> dict:
        """A JSON-ready summary."""
        s = self.statute
        return {"title": s.title, "file": s.stem, "version": s.version.isoformat(),
                "effective": s.effective.isoformat() if s.effective else None,
                "penalty_articles": len(self.penalty),
                "encoded": len([n for n in self.penalty if n in self.encoded]),
                "excluded": len([n for n in self.penalty if n in self.excluded and n not in self.encoded]),
                "uncovered": [article_label(n) for n in self.uncovered], "share": round(self.share, 4),
                "in_scope": self.in_scope}


def citations_by_statute(items: Iterable, lib: Library | None = None) -> dict[str, dict[int, list[str]]]:
    """Statute stem → article → codes of the items (IR or public view: ``.code``, ``.basis``) citing it."""
    lib = lib or library()
    out: dict[str, dict[int, list[str]]] = {}
    for item in items:
        for basis in item.basis:
            for r in _resolve_cached(lib, basis):
                if r.statute is not None and not r.problem:
                    codes = out.setdefault(r.statute.stem, {}).setdefault(r.ref.article, [])
                    if item.code not in codes:
                        codes.append(item.code)
    return out


def coverage(items: Iterable, lib: Library | None = None, *, in_scope_only: bool = True) -> list[StatuteCoverage]:
    """Law coverage of a set of items: per held statute, its penalty articles and which are encoded/excluded.

    With `in_scope_only`, only statutes that an item cites or that have an excluded-provision table.
    """
    lib = lib or library()
    cited = citations_by_statute(items, lib)
    out = []
    for s in lib.statutes():
        in_scope = s.stem in cited or lib.has_excluded(s)
        if in_scope_only and not in_scope:
            continue
        by_art = cited.get(s.stem, {})
        excluded, _ = lib.excluded(s)
        out.append(StatuteCoverage(s, s.penalty_articles, {n: tuple(c) for n, c in by_art.items()}, excluded,
                                   tuple(sorted(by_art)), in_scope))
    return out


def coverage_diagnostics(items: Iterable, lib: Library | None = None) -> list[Diagnostic]:
    """The `law-coverage` warnings of a ruleset tree (one per in-scope statute with uncovered penalty
    articles, placed at the first of them in the statute file) and the problems of the excluded tables."""
    lib = lib or library()
    diags: list[Diagnostic] = []
    for cov in coverage(items, lib):
        diags.extend(lib.excluded(cov.statute)[1])
        unc = cov.uncovered
        if not unc:
            continue
        s = cov.statute
        first = s.articles[unc[0]]
        shown = "、".join(article_label(n) for n in unc)
        diags.append(Diagnostic(
            code="law-coverage", severity="warning",
            span=Span(source=s.source, line=first.line, column=1, end_line=first.line, end_column=1 + len(first.label)),
            message=f"{len(unc)} of {len(cov.penalty)} penalty articles of {s.label} are neither encoded by an "
                    f"item nor excluded: {shown}",
            hint=f"encode them, or list them with the reason in {display_path(lib.excluded_dir / (s.stem + '.csv'))} "
                 f"(header 条款,理由)"))
    return diags


def quote_basis(basis: Iterable[str], lib: Library | None = None) -> list[tuple[str, str]]:
    """The texts of the held articles a basis cites, as (heading, text) pairs, in citation order.

    The heading names the statute version and the reference (``《中华人民共和国森林法》（2019-12-28）第七十六条``);
    the text is the cited 项, 款 or whole article. Citations of texts not held are left out.
    """
    lib = lib or library()
    out, seen = [], set()
    for b in basis:
        for r in _resolve_cached(lib, b):
            text = r.text
            if text is None:
                continue
            key = (r.statute.stem, str(r.ref))
            if key not in seen:
                seen.add(key)
                out.append((f"{r.statute.label}{r.ref}", text))
    return out


@dataclass(frozen=True)
class ItemRef:
    """An item as the law views see it: code, name, basis, the ruleset that declares it and its file."""

    code: str
    name: str
    basis: tuple[str, ...]
    ruleset: str
    source: str


def ruleset_items(targets: Iterable[str | Path], root: Path | None = None) -> tuple[list[ItemRef], list[str]]:
    """The items every version of each target ruleset and its parents declares (parsed, not checked), once each.

    Every dated version counts: an item that cites a statute version no longer in force still encodes it.
    Returns the items and the targets that could not be read (their errors are for ``zhifa check``).
    """
    out: dict[tuple, ItemRef] = {}
    failed = []
    for target in targets:
        try:
            files, _ = load_chain(target, root)
        except RulesetError:
            failed.append(str(target))
            continue
        for lf in files:
            for d in lf.layer.declarations:
                if isinstance(d, m.Item):
                    out.setdefault((d.code, d.basis, d.span.source),
                                   ItemRef(d.code, d.name, d.basis, lf.layer.name, d.span.source))
    return list(out.values()), failed


def embedded_rulesets(root: Path | None = None) -> list[str]:
    """The names of the rulesets under `root` (the embedded rulesets by default)."""
    root = root or default_root()
    return sorted({str(p.parent.relative_to(root)) for p in root.rglob("*.rules")})


def suggest_title(title: str, lib: Library | None = None) -> str | None:
    """A did-you-mean hint for a title that is not held."""
    return suggest(_key(title), (lib or library()).titles())


# the views of `zhifa law` and `zhifa coverage --law` ------------------------------------------------------

class LawLookupError(LookupError):
    """A title or article that is not held, with a did-you-mean hint."""

    def __init__(self, message: str, hint: str | None = None):
        self.hint = hint
        super().__init__(message + (f" ({hint})" if hint else ""))


def article_number(text: str) -> int:
    """The article number of ``76``, ``七十六``, ``第七十六条`` (a trailing 款/项 is ignored).

    Examples:
        >>> article_number("76"), article_number("第七十六条"), article_number("第一百零二条第二款")
        (76, 76, 102)

    Raises:
        ValueError: not an article number.
    """
    mo = re.match(rf"^\s*第?([{_NUMERAL}\d０-９]+)条?", text)
    if not mo:
        raise ValueError(f"not an article number: {text!r}")
    return chinese_number(mo.group(1))


def find_statutes(title: str, lib: Library | None = None) -> list[Statute]:
    """The held versions of a title, which may carry a version parenthetical (``统计法（2009年修订）``).

    Raises:
        LawLookupError: the title is not held (with the closest held titles).
    """
    lib = lib or library()
    mo = re.match(r"^《?([^》（(]+)》?\s*(?:[（(]([^）)]*)[）)])?\s*$", title.strip())
    name, version = (mo.group(1), mo.group(2)) if mo else (title, None)
    found = lib.find(name, version if version and re.search(r"\d{4}", version) else None)
    if not found:
        held = lib.versions(name)
        if held:
            raise LawLookupError(f"no held version of '{name}' matches '{version}'",
                                 "held: " + ", ".join(s.stem for s in held))
        raise LawLookupError(f"no held statute titled '{name}'", suggest_title(name, lib))
    return found


def _codes_citing(items: Iterable[ItemRef], lib: Library) -> dict[tuple[str, int], list[ItemRef]]:
    out: dict[tuple[str, int], list[ItemRef]] = {}
    for it in items:
        for b in it.basis:
            for r in _resolve_cached(lib, b):
                if r.statute is not None and not r.problem:
                    lst = out.setdefault((r.statute.stem, r.ref.article), [])
                    if it not in lst:
                        lst.append(it)
    return out


def _dates(s: Statute) -> str:
    eff = s.effective.isoformat() if s.effective else "未载明（末条无施行日期）"
    return f"版本 {s.version.isoformat()}，施行（末条所载）{eff}；文本 {s.source}"


def render_article(title: str, article: str, items: Iterable[ItemRef], lib: Library | None = None) -> str:
    """The text of one article of every held version of `title`, with the items whose basis cites it.

    Raises:
        LawLookupError: the title or the article is not held.
        ValueError: `article` is not an article number.
    """
    lib = lib or library()
    n = article_number(article)
    statutes = [s for s in find_statutes(title, lib) if n in s.articles]
    if not statutes:
        s = find_statutes(title, lib)[-1]
        labels = [a.label for a in s.articles.values()]
        raise LawLookupError(f"{s.label} has no {article_label(n)} (it has 第一条 to {labels[-1]})",
                             suggest(article_label(n), labels))
    by_art = _codes_citing(items, lib)
    out = []
    for s in statutes:
        art = s.articles[n]
        out.append(f"《{s.title}》{art.label}" + (f"（{art.chapter}）" if art.chapter else ""))
        out.append(_dates(s))
        out.append("")
        out.append(art.text)
        out.append("")
        cites = by_art.get((s.stem, n), [])
        if cites:
            out.append(f"编码此条的事项（{len(cites)}）：")
            out.extend(f"  {i.code}\t{i.name}\t{i.ruleset}" for i in sorted(cites, key=lambda i: (i.code, i.ruleset)))
        else:
            excluded, _ = lib.excluded(s)
            out.append(f"未编码为事项；排除理由：{excluded[n]}" if n in excluded else "没有事项引用此条。")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_chapter(title: str, items: Iterable[ItemRef], lib: Library | None = None) -> str:
    """The articles of the liability chapter of every held version of `title`, with their coverage.

    Raises:
        LawLookupError: the title is not held.
    """
    lib = lib or library()
    by_art = _codes_citing(items, lib)
    out = []
    for s in find_statutes(title, lib):
        excluded, _ = lib.excluded(s)
        chapters = [c.title for c in s.chapters if c.is_liability]
        out.append(f"《{s.title}》" + (chapters[0] if chapters else "（无法律责任章：全部条文）"))
        out.append(_dates(s))
        for n in s.liability_articles:
            art = s.articles[n]
            kinds = penalty_kinds_in(art.text)
            codes = [i.code for i in by_art.get((s.stem, n), [])]
            if codes:
                state = "已编码 " + ", ".join(sorted(set(codes)))
            elif n in excluded:
                state = "已排除：" + excluded[n]
            elif kinds:
                state = "未覆盖"
            else:
                state = "不设行政处罚"
            first = art.paragraphs[0].text if art.paragraphs else ""
            shown = first[:40] + ("…" if len(first) > 40 else "")
            out.append(f"  {art.label}\t{'、'.join(kinds) or '—'}\t{state}\t{shown}")
        cov = coverage(items, lib, in_scope_only=False)
        mine = next(c for c in cov if c.statute.stem == s.stem)
        out.append(f"  处罚条文 {len(mine.penalty)}，已编码或排除 {len(mine.penalty) - len(mine.uncovered)}"
                   f"（{mine.share:.0%}）")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def render_coverage(covs: list[StatuteCoverage]) -> str:
    """The law-coverage table of `zhifa coverage --law`: one row per statute version, then the totals."""
    rows = [("法规（版本）", "处罚条文", "已编码", "已排除", "未覆盖", "编码或排除")]
    tp = te = tx = 0
    for c in covs:
        d = c.as_dict()
        tp, te, tx = tp + d["penalty_articles"], te + d["encoded"], tx + d["excluded"]
        rows.append((f"{c.statute.title}（{d['version']}）", str(d["penalty_articles"]), str(d["encoded"]),
                     str(d["excluded"]), str(len(d["uncovered"])), f"{c.share:.0%}" if c.penalty else "—"))
    rows.append(("合计", str(tp), str(te), str(tx), str(tp - te - tx), f"{(te + tx) / tp:.0%}" if tp else "—"))
    width = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell + " " * (width[i] - _width(cell)) if i == 0 else " " * (width[i] - _width(cell)) + cell
                       for i, cell in enumerate(r)).rstrip() for r in rows]
    unc = [f"{c.statute.title}（{c.statute.version.isoformat()}）未覆盖：{'、'.join(article_label(n) for n in c.uncovered)}"
           for c in covs if c.uncovered]
    return "\n".join(lines + ([""] + unc if unc else [])) + "\n"


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def render_quotes(basis: Iterable[str], lib: Library | None = None) -> str:
    """The 法条原文 section of a decision's text view: the held texts its item's basis cites ("" if none).

    Examples:
        >>> print(render_quotes(["《行政处罚法》第九条第（一）项"]))
        <BLANKLINE>
        法条原文：
          《中华人民共和国行政处罚法》（2021-01-22）第九条第（一）项
            （一）警告、通报批评；
    """
    quotes = quote_basis(basis, lib)
    if not quotes:
        return ""
    lines = ["", "法条原文："]
    for heading, text in quotes:
        lines.append(f"  {heading}")
        lines.extend(f"    {ln}" for ln in text.split("\n"))
    return "\n".join(lines)


# reading penalties back from the text -------------------------------------------------------------------

_NUM = rf"[{_NUMERAL}点\d.０-９]+"
_FINE = re.compile(
    rf"(?P<q1>{_NUM})[%％]以上(?P<q2>{_NUM})[%％]以下"  # regulations of the 2000s write 0.5%以上1%以下
    rf"|(?P<qu>{_NUM})[%％]以下"
    rf"|每[人台辆株只件头个套](?P<pa>{_NUM})元以上(?P<pb>{_NUM})元以下"  # 每人1000元以上5000元以下
    rf"|每[台辆株只件头个套][^，。；]{{0,12}}?(?P<pe>{_NUM})元(?:的)?罚款"  # 每台…一百元罚款: a multiple of a count
    rf"|(?P<r1>{_NUM})元?以上(?P<r2>{_NUM})元以下"
    rf"|(?P<m1>{_NUM})倍以上(?P<m2>{_NUM})倍以下"
    rf"|百分之(?P<p1>{_NUM})以上百分之(?P<p2>{_NUM})以下"
    rf"|(?P<mu>{_NUM})倍以下"
    rf"|百分之(?P<pu>{_NUM})以下"
    rf"|(?P<ru>{_NUM})元以下"
    rf"|处以?(?P<rf>{_NUM})元(?:的)?罚款")


def amount(text: str) -> float:
    """The value of an amount as statutes write it: Chinese numerals, digits, or digits with 万.

    Examples:
        >>> amount("五万"), amount("2万"), amount("1.5万"), amount("5000"), amount("二百"), amount("零点五")
        (50000, 20000, 15000, 5000, 200, 0.5)
    """
    text = text.translate(_FULLWIDTH)
    if "点" in text:  # 百分之零点五: a whole part and decimal digits read one by one
        whole, frac = text.split("点", 1)
        return (chinese_number(whole) if whole else 0) + float("0." + "".join(str(_DIGITS[c]) for c in frac))
    if re.fullmatch(r"[\d.]+万?", text):
        value = float(text.rstrip("万")) * (10000 if text.endswith("万") else 1)
        return int(value) if value == int(value) else value
    return chinese_number(text)


def fine_ranges(text: str) -> list[tuple[str, float, float]]:
    """The fine ranges a text sets, as (basis, low, high): basis ``yuan``, ``multiple`` or ``percent``;
    an upper bound alone (``一万元以下``) gives low 0, a fixed amount (``处二百元罚款``) low = high.

    Examples:
        >>> fine_ranges("处五千元以上五万元以下的罚款；情节严重的，处五万元以上二十万元以下的罚款")
        [('yuan', 5000, 50000), ('yuan', 50000, 200000)]
        >>> fine_ranges("没收违法所得，并处违法所得一倍以上五倍以下的罚款；没有违法所得的，处一万元以下罚款")
        [('multiple', 1, 5), ('yuan', 0, 10000)]
        >>> fine_ranges("处工程合同价款百分之二以上百分之四以下的罚款，可以处货值三倍以下罚款，处二百元罚款")
        [('percent', 2, 4), ('multiple', 0, 3), ('yuan', 200, 200)]
        >>> fine_ranges("处工程合同价款0.5%以上1%以下的罚款；可以并处工程造价2%以下的罚款")
        [('percent', 0.5, 1), ('percent', 0, 2)]
    """
    out = []
    for mo in _FINE.finditer(text):
        g = mo.groupdict()
        if g["q1"]:
            out.append(("percent", amount(g["q1"]), amount(g["q2"])))
        elif g["qu"]:
            out.append(("percent", 0, amount(g["qu"])))
        elif g["pa"]:
            out.append(("multiple", amount(g["pa"]), amount(g["pb"])))
        elif g["pe"]:
            out.append(("multiple", amount(g["pe"]), amount(g["pe"])))
        elif g["r1"]:
            out.append(("yuan", amount(g["r1"]), amount(g["r2"])))
        elif g["m1"]:
            out.append(("multiple", amount(g["m1"]), amount(g["m2"])))
        elif g["p1"]:
            out.append(("percent", amount(g["p1"]), amount(g["p2"])))
        elif g["mu"]:
            out.append(("multiple", 0, amount(g["mu"])))
        elif g["pu"]:
            out.append(("percent", 0, amount(g["pu"])))
        elif g["ru"]:
            out.append(("yuan", 0, amount(g["ru"])))
        else:
            out.append(("yuan", amount(g["rf"]), amount(g["rf"])))
    return out


# How each declared penalty kind (and measure) is worded in statutes: the kind's name is always accepted too.
KIND_WORDING = {
    "警告": r"警告",
    "通报批评": r"通报批评|予以通报",
    "罚款": r"罚款",
    "没收违法所得": r"没收[^。；]{0,20}?违法所得|违法所得[^。；]{0,12}?予以没收",
    "没收非法财物": r"没收[^。；]{0,40}?(?:工具|物品|财物|设备|器材|器械|车辆|出版物|产品|农药|兽药|动物|林木|木材|"
                    r"设施|用具|船舶|物资|原材料|材料|燃气|制品|音像|电子|非法|机动车|机械|家畜|家禽|鸽|证件|证明|标志|标识|电影片|用品)"
                    r"|(?:非法财物|用品|物品|财物)[^。；]{0,40}?予以没收",
    "没收实物": r"没收实物",
    "暂扣许可证件": r"暂扣",
    "降低资质等级": r"降低资质等级",
    "吊销许可证件": r"吊销[^。；]{0,30}?(?:许可|执照|证书|证件|资格|资质|登记证|合格证|证)|予以吊销",
    "限制开展生产经营活动": r"限制(?:开展)?生产经营|限制生产|暂停销售",
    "责令停产停业": r"责令[^。；，]{0,8}?(?:停产停业|停业整顿|停业整治|停产整治|停产整顿|停工整治|停业|停产|停止营业)",
    "责令关闭": r"关闭",
    "限制从业": r"限制从业|不得从事|禁止[^。；，]{0,10}?从事|停止执业|不得(?:新)?(?:成为|举办|担任)",
    "行政拘留": r"拘留",
    "责令改正": r"改正|责令停止|恢复原状|采取补救措施|补种|消除",
    "责令限期拆除": r"拆除",
    "责令暂停施工": r"暂停施工|停止施工",
}


def kind_in_text(kind: str, text: str) -> bool:
    """Whether `text` sets the penalty kind (or measure) `kind`, by its wording in `KIND_WORDING` or its name.

    Examples:
        >>> kind_in_text("吊销许可证件", "情节严重的，由原发证机关吊销营业执照"), kind_in_text("责令停产停业", "责令停业整治")
        (True, True)
        >>> kind_in_text("没收非法财物", "处二百元罚款")
        False
    """
    return kind in text or bool(re.search(KIND_WORDING.get(kind, re.escape(kind)), text))


def cited_text(basis: Iterable[str], lib: Library | None = None) -> tuple[str, list[Resolved]]:
    """The held text a basis cites, joined (for a 项: its paragraph's lead sentence and the 项, since the
    penalty usually stands in the lead), and the resolved references; ("", []) when nothing is held."""
    lib = lib or library()
    parts, refs = [], []
    for b in basis:
        for r in _resolve_cached(lib, b):
            art = r.article
            if art is None:
                continue
            refs.append(r)
            if r.ref.item:
                p = r.ref.paragraph
                paras = art.paragraphs if p is None else art.paragraphs[p - 1:p]
                para = next((p for p in paras if any(c.number == r.ref.item for c in p.clauses)), None)
                parts.append(f"{para.text}\n{r.text}" if para else r.text or "")
            else:
                parts.append(r.text or "")
                parts.extend(_referred(art, r.ref.paragraph, r.text or ""))
    return "\n".join(parts), refs


_SAME_ARTICLE = re.compile(rf"依照(前款|本条第(?P<n>[{_NUMERAL}]+)款)(?:的)?规定")


def _referred(art, paragraph: int | None, text: str) -> list[str]:
    """The paragraphs of the same article that `text` applies by reference ("依照前款规定处以罚款")."""
    if paragraph is None:
        return []
    out = []
    for mo in _SAME_ARTICLE.finditer(text):
        k = paragraph - 1 if mo.group(1) == "前款" else chinese_number(mo.group("n"))
        if 1 <= k <= len(art.paragraphs) and k != paragraph:
            out.append(art.paragraphs[k - 1].text)
    return out
