"""The command line's own behaviour (issue 20): usage errors and their exit code, option prefixes, listings
as tables on a terminal and as tab-separated lines otherwise, the progress line, and which rulesets a single
evaluation loads (issue 16: a single evaluation loads the one ruleset it needs).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

import engine
from engine import cli
from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("argv, says", [
    (["evaluate"], "Missing argument 'CASE.json|-'"),
    (["evaluate", "--format", "xml", "x.json"], "'xml' is not one of 'json', 'text'"),
    (["evaluate", "-p", "x", "x.json"], "'x' is not a valid integer"),
    (["check"], "Missing argument 'PATH...'"),
    (["items"], "Missing option '--ruleset'"),
    (["schema", "x"], "'x' is not one of 'case', 'decision'"),
    (["impact", "--to", "x", "a.jsonl"], "Missing option '--from'"),
    (["nosuchcommand"], "no such command 'nosuchcommand' (choose from test, evaluate, check,"),
    (["items", "--ruleset", "zhejiang", "--bogus"], "No such option '--bogus'"),
])
def test_usage_errors_exit_2_with_usage_and_a_pointer_to_help(argv, says, capsys):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    command = argv[0] if argv[0] in cli.cli.commands else ""
    assert out == "" and says in err and err.startswith(f"Usage: zhifa {command}")
    assert "--help' for help." in err


def test_no_command_prints_the_help_on_stdout_and_exits_2(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    assert out.startswith("Usage: zhifa [OPTIONS] COMMAND") and "exit codes: 0 success" in out
    listed = [ln.split()[0] for ln in out.split("Commands:")[1].splitlines() if ln.startswith("  ") and ln[2] != " "]
    assert listed == list(cli._ORDER)


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"zhifa {engine.__version__}\n"


def test_a_unique_prefix_of_a_long_option_still_works(capsys):
    assert main(["items", "--rules", "jinhua/yiwu", "--form=json"]) == 0  # as argparse allowed
    assert json.loads(capsys.readouterr().out)[0]["code"]
    # an ambiguous prefix (--a: --all or nothing? impact has --all only; --f: --from, --format, --fail-on-change)
    # is left as it is, and is then an unknown option: a usage error
    assert main(["impact", "--ruleset", "zhejiang", "--f", "a", "--to", "b", "x.jsonl"]) == 2
    assert "No such option '--f'. Did you mean '--from'?" in capsys.readouterr().err


def test_listing_is_tab_separated_with_a_header_when_not_a_terminal(capsys):
    assert main(["areas", "--ruleset", "lishui/jinyun"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("# lishui/jinyun@") and lines[0].endswith(" areas")
    assert lines[1] == "kind\tcode\tname\tparent\tmode\tempowered items"
    assert "county\t331122\t缙云县\t\tnone\t" in lines[2:]
    assert all(ln.count("\t") == 5 for ln in lines[1:])


def test_listing_on_a_terminal_is_a_table_with_chinese_aware_widths():
    from rich.cells import cell_len
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=100, force_terminal=True, color_system=None)
    rows = [("county", "331122", "缙云县", "", "county", ""),
            ("township", "331122101", "壶镇镇", "缙云县", "empowered", "12"),
            ("zone", "-", "仙都[风景]区", "缙云县", "stationed", "")]
    cli._listing("lishui/jinyun@2022-01-01: 3 areas", ("kind", "code", "name", "parent", "mode", "empowered items"),
                 rows, console=console)
    lines = [ln.rstrip() for ln in buf.getvalue().splitlines() if ln.strip()]
    assert lines[0].startswith("lishui/jinyun@2022-01-01: 3 areas")
    assert "kind" in lines[1] and "empowered items" in lines[1]
    body = lines[1:]
    assert "─" in body[1]
    assert "仙都[风景]区" in lines[5]  # a '[' in a name is text, not rich markup
    # the columns line up by display width (a Chinese character takes two columns)
    for header, cells in (("name", ("缙云县", "壶镇镇", "仙都[风景]区")),
                          ("mode", ("county", "empowered", "stationed"))):
        starts = {cell_len(ln[:ln.rindex(c)]) for ln, c in zip(body[2:], cells)}
        assert starts == {cell_len(body[0][:body[0].index(header)])}, header


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_off_a_terminal_and_a_rich_line_on_one():
    off = io.StringIO()
    p = cli._Progress(off)
    for _ in range(450):
        p.step()
    p.end()
    assert off.getvalue() == ""
    on = _Tty()
    p = cli._Progress(on)
    for _ in range(199):
        p.step()
    assert on.getvalue() == "" and p._bar is None  # rich is not even imported below 200 cases
    for _ in range(251):
        p.step()
    p.end()
    assert "450 cases" in on.getvalue() and p._bar is None


def test_a_single_evaluation_loads_only_the_ruleset_of_its_county(monkeypatch, capsys):
    loaded: list[str] = []
    real = engine.load_ruleset

    def spy(name, *a, **kw):
        loaded.append(str(name))
        return real(name, *a, **kw)

    monkeypatch.setattr(engine, "load_ruleset", spy)
    monkeypatch.setattr(cli, "_COUNTY_RULESET", {})
    monkeypatch.setattr(cli, "_ROOT_INDEX", None)
    monkeypatch.setattr(cli, "_RULES_TEXT", None)
    assert main(["evaluate", "examples/binjiang-restaurant-fumes.json"]) == 0
    assert json.loads(capsys.readouterr().out)["ruleset"].startswith("hangzhou/binjiang@")
    assert set(loaded) == {"hangzhou/binjiang"}  # asked twice: found, then used (cached in memory)


def test_an_unknown_county_still_gets_the_full_index_and_its_suggestion(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(cli, "_COUNTY_RULESET", {})
    monkeypatch.setattr(cli, "_ROOT_INDEX", None)
    case = json.loads((ROOT / "examples" / "binjiang-restaurant-fumes.json").read_text(encoding="utf-8"))
    case["place"] = {"county": "滨江"}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(case, ensure_ascii=False), encoding="utf-8")
    assert main(["evaluate", str(path)]) == 1
    rec = json.loads(capsys.readouterr().out)
    assert rec["problems"][0]["code"] == "no_ruleset" and "(did you mean '滨江区'?)" in rec["message"]
    assert cli._ROOT_INDEX and cli._ROOT_INDEX["滨江区"] == "hangzhou/binjiang"
    assert cli._ruleset_for_county("义乌市") == "jinhua/yiwu"  # from the full index, once it is built


def test_scale_progress_is_a_rich_bar_on_a_terminal_and_one_summary_line_either_way():
    from engine import scale

    off = io.StringIO()
    p = scale.Progress(500, "impact", off)
    p(300)
    p(200)
    p.finish("1 changed")
    assert off.getvalue().startswith("impact: 500 cases in ") and off.getvalue().endswith("; 1 changed\n")
    assert off.getvalue().count("\n") == 1
    on = _Tty()
    p = scale.Progress(500, "impact", on)
    p(300)
    p(200)
    p.finish()
    shown = on.getvalue()
    assert "500/500" in shown and "━" in shown  # rich's bar, with the count
    assert "\nimpact: 500 cases in " in shown.replace("\x1b[?25h", "")  # the summary line (after rich's show-cursor)
