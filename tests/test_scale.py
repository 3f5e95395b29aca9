"""engine.scale on a real Dask LocalCluster (2 worker processes): exact, complete, in order; a killed worker
loses nothing; and the command line (``zhifa impact``, ``zhifa evaluate --scheduler``)."""

from __future__ import annotations

import json
import os
import signal
from datetime import date

import pytest

import engine
from benchmarks.archive import generate_archive, write_jsonl
from engine import archive, impact, scale
from engine.cli import main
from engine.impact import Side

distributed = pytest.importorskip("distributed")

SC = "hangzhou/shangcheng"
BEFORE, AFTER = Side(target=SC, on=date(2024, 6, 30)), Side(target=SC, on=date(2024, 7, 1))


@pytest.fixture(scope="module")
def cluster():
    import logging

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=logging.ERROR) as c:
        yield c


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory):
    rs = engine.load_ruleset(SC)
    p = tmp_path_factory.mktemp("scale") / "cases.jsonl"
    write_jsonl(generate_archive(rs, 240, seed=5, broken=1), p)
    return p


@pytest.fixture(scope="module")
def local(archive_path):
    return list(impact.impact(archive.read_records(archive_path), BEFORE, AFTER, partition_size=40,
                              keep_unchanged=True))


def test_dask_and_local_give_identical_results(cluster, archive_path, local):
    remote = list(impact.impact(archive.read_records(archive_path), BEFORE, AFTER, partition_size=40,
                                keep_unchanged=True, scheduler=cluster.scheduler_address))
    assert len(remote) == 240 and [c.index for c in remote] == list(range(240))
    assert remote == local
    assert any(c.changes for c in remote)


def test_each_worker_loads_a_side_once(cluster, archive_path):
    list(impact.impact(archive.read_records(archive_path), BEFORE, AFTER, partition_size=20,
                       scheduler=cluster.scheduler_address))
    with distributed.Client(cluster) as c:
        loaded = c.run(lambda: sorted(str(k[2]) for k in __import__("engine.impact").impact._LOADED))
    for keys in loaded.values():  # one entry per side at most, however many partitions the worker ran
        assert keys == sorted(set(keys)) and len(keys) <= 2


def test_a_killed_worker_loses_nothing(cluster, archive_path, local):
    with distributed.Client(cluster) as c:
        pids = c.run(os.getpid)
    results = []
    killed = False
    for r in impact.impact(archive.read_records(archive_path), BEFORE, AFTER, partition_size=10,
                           keep_unchanged=True, scheduler=cluster.scheduler_address):
        results.append(r)
        if not killed:  # partitions are in flight on both workers now: kill one of them outright
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            killed = True
    assert killed and results == local
    with distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=30)
        assert set(c.run(os.getpid).values()) != set(pids.values())  # the nanny restarted the killed one


def test_a_worker_with_other_ruleset_files_fails(cluster, archive_path):
    side = BEFORE.model_copy(update={"fingerprint": "0" * 64})
    with pytest.raises(engine.EngineError, match="differ from those the run started with"):
        list(scale.run(impact.compare_partition, (side, AFTER.sealed()), archive.read_records(archive_path),
                       scheduler=cluster.scheduler_address, partition_size=120))


def test_cli_impact_formats(cluster, archive_path, tmp_path, capsys):
    changes_local, changes_dask = tmp_path / "l.jsonl", tmp_path / "d.jsonl"
    base = ["impact", "--ruleset", SC, "--from", "2024-06-30", "--to", "2024-07-01", str(archive_path)]
    assert main(base + ["--format", "json", "--changes", str(changes_local), "--scheduler", "none"]) == 0
    local_json = capsys.readouterr().out
    assert main(base + ["--format", "json", "--changes", str(changes_dask), "--scheduler",
                        cluster.scheduler_address, "--partition-size", "50"]) == 0
    out = capsys.readouterr()
    assert out.out == local_json and changes_local.read_text() == changes_dask.read_text()
    assert "impact: 240 cases" in out.err and "changed; scheduler tcp://" in out.err  # not a terminal: one line
    s = json.loads(local_json)
    assert s["before"] == f"{SC}@2023-07-20" and s["after"] == f"{SC}@2024-07-01" and s["cases"] == 240
    lines = [json.loads(x) for x in changes_local.read_text().splitlines()]
    assert len(lines) == s["changed"] and all(x["before"] and x["after"] and x["changes"] for x in lines)
    assert main(base + ["--format", "html", "-o", str(tmp_path / "i.html"), "--scheduler", "none"]) == 0
    assert "<svg" in (tmp_path / "i.html").read_text(encoding="utf-8")
    assert main(base + ["--scheduler", "none", "--fail-on-change"]) == 1
    assert "变更影响：hangzhou/shangcheng@2023-07-20 → hangzhou/shangcheng@2024-07-01" in capsys.readouterr().out


def test_cli_impact_usage_and_input_errors(tmp_path, capsys):
    assert main(["impact", "--from", "2024-06-30", "--to", "2024-07-01", "x.jsonl"]) == 2
    assert "name the ruleset with --ruleset" in capsys.readouterr().err
    assert main(["impact", "--ruleset", SC, "--from", "2020-01-01", "--to", "2024-07-01", "x.jsonl"]) == 1
    assert main(["impact", "--ruleset", SC, "--from", "2024-06-30", "--to", "2024-07-01",
                 str(tmp_path / "none.jsonl")]) == 1
    assert "No such file" in capsys.readouterr().err


def test_cli_evaluate_scheduler_matches_in_process(cluster, archive_path, capsys):
    assert main(["evaluate", "--ruleset", SC, str(archive_path)]) == 1  # the broken line is an error record
    plain = capsys.readouterr().out
    assert main(["evaluate", "--ruleset", SC, "--scheduler", cluster.scheduler_address, str(archive_path)]) == 1
    assert capsys.readouterr().out == plain
    assert len(plain.splitlines()) == 240


def test_cli_evaluate_scheduler_needs_a_ruleset(capsys):
    assert main(["evaluate", "--scheduler", "local", "examples/shangcheng-lex-mitior-2024.json"]) == 2
    assert "--scheduler needs --ruleset" in capsys.readouterr().err
