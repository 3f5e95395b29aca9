"""Every command example in the README and in each command's --help runs as written (issue 20).

The commands run in a scratch directory holding links to the checkout's examples/, features/, rulesets/
and tests/, so that files they write (reports, decisions.jsonl, results.xlsx) land there. A command's
exit code must be 0; ``> FILE`` redirections are honoured.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from engine.cli import cli, main

ROOT = Path(__file__).resolve().parents[1]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    return [ln.split("  #")[0].strip() for b in blocks for ln in b.splitlines() if ln.startswith("zhifa ")]


def _help_commands() -> list[str]:
    """The example lines of every command's help text (what ``zhifa COMMAND --help`` prints)."""
    out = []
    for cmd in cli.commands.values():
        desc = cmd.help or ""
        if "example" in desc:
            part = desc.split("example", 1)[1]
            out += [ln.strip() for ln in part.splitlines() if ln.strip().startswith("zhifa ")]
    return out


# `zhifa serve` runs until stopped: its examples are exercised by tests/test_service.py (a real server on loopback)
SERVING = ("zhifa serve",)
COMMANDS = sorted(c for c in set(_readme_commands() + _help_commands()) if not c.startswith(SERVING))


def test_there_are_examples_from_both_places():
    assert len(_readme_commands()) >= 10 and len(_help_commands()) >= 10
    assert any(c.startswith("zhifa test") for c in _readme_commands())


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_options_and_an_example(name: str, capsys):
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Usage: zhifa {name} ") and "Options:" in out and "-h, --help" in out
    examples = [ln.strip() for ln in out.split("example", 1)[-1].splitlines() if ln.strip().startswith("zhifa ")]
    assert examples and all(e.startswith(f"zhifa {name}") for e in examples), out
    assert set(examples) <= set(_help_commands())  # the help printed is the help the examples test runs
    cmd = cli.commands[name]
    for param in cmd.params:  # every option is listed with its help
        if param.param_type_name == "option" and param.opts != ["--help"]:
            assert max(param.opts, key=len) in out and param.help, (name, param.opts)


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    for name in ("docs", "examples", "features", "rulesets", "tests"):
        (tmp_path / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", COMMANDS)
def test_example_runs_as_written(command: str, scratch: Path):
    words = shlex.split(command)[1:]
    target = None
    if ">" in words:
        i = words.index(">")
        words, target = words[:i], words[i + 1]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(words)
    assert code == 0, f"{command} exited {code}:\n{buf.getvalue()[-2000:]}"
    if target:
        (scratch / target).write_text(buf.getvalue(), encoding="utf-8")
    assert buf.getvalue() or any(w.endswith((".xlsx", ".md", ".html")) for w in words), command


def test_listings_have_headers(capsys):
    for argv, header in ((["items", "--ruleset", "hangzhou/shangcheng"], "code\tdomain\tcategory\tname"),
                         (["areas", "--ruleset", "jinhua/yiwu"], "kind\tcode\tname\tparent\tmode"),
                         (["params", "--ruleset", "zhejiang"], "name\tvalue\tstatus\tlayer\tdescription"),
                         (["rulesets"], "ruleset")):
        assert main(argv) == 0
        assert any(line.startswith(header) for line in capsys.readouterr().out.splitlines()[:2]), argv
