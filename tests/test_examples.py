"""Golden decisions: every example case, evaluated through the `zhifa` command, reads exactly as recorded.

The text is what a legal reviewer reads (handler, outcome, range, flags, reasons with citations). After a
reviewed change: ZHIFA_UPDATE_GOLDEN=1 pytest tests/test_examples.py, then read the diff line by line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine.cli import main

from conftest import golden

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))
GOLDEN = ROOT / "tests" / "golden" / "decisions"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_decision_text(path, capsys):
    assert main(["evaluate", "--format", "text", str(path)]) == 0
    golden(GOLDEN / f"{path.stem}.txt", capsys.readouterr().out)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_json_round_trip(path, capsys):
    import engine

    assert main(["evaluate", str(path)]) == 0
    decision = engine.Decision.model_validate_json(capsys.readouterr().out)
    assert decision.case_id == json.loads(path.read_text(encoding="utf-8"))["case_id"]


def test_batch_json_lines_one_record_per_line(tmp_path, capsys):
    lines = [path.read_text(encoding="utf-8").replace("\n", "") for path in EXAMPLES[:3]]
    lines.insert(1, "{not json")
    lines.insert(2, json.dumps({"case_id": "bad", "item": "NO-SUCH", "place": {"county": "上城区"}}))
    src = tmp_path / "cases.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["evaluate", str(src)]) == 1
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(records) == len(lines)
    assert [("error" in r) for r in records] == [False, True, True, False, False]
    assert records[2]["case_id"] == "bad"
