"""The `malkoll` command on a temporary SQLite database: in-process through
`main([...])`, and once as a real subprocess (`python -m bot`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text

from bot.cli import main

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("MALKOLL_DATA_DIR", str(tmp_path))
    return tmp_path


def count(database: Path, table: str) -> int:
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(text(table))).scalar_one()
    finally:
        engine.dispose()


def test_db_upgrade_then_demo_twice_then_malmo(data_dir, capsys):
    database = data_dir / "malkoll.db"

    assert main(["db", "upgrade"]) == 0
    assert count(database, "goals") == 0
    assert main(["demo"]) == 0
    goals, audit = count(database, "goals"), count(database, "audit_log")
    assert main(["demo", "--profile", "stockholm_ils"]) == 0
    assert (count(database, "goals"), count(database, "audit_log")) == (goals, audit)
    assert main(["demo", "--profile", "malmo_2023"]) == 0

    out = capsys.readouterr().out
    assert "Demo stockholm_ils loaded" in out
    assert "already loaded; nothing changed" in out
    assert count(database, "goals") > goals


def test_demo_migrates_a_fresh_database_itself(data_dir):
    assert main(["demo", "--profile", "malmo_2023"]) == 0
    assert count(data_dir / "malkoll.db", "org_nodes") == 8


def test_generate_small_city_and_refuse_a_second_one(data_dir, capsys):
    assert main(["generate", "--units", "20", "--years", "2", "--seed", "3"]) == 0
    assert count(data_dir / "malkoll.db", "org_nodes") > 20
    assert main(["generate", "--units", "20", "--years", "2"]) == 1
    assert "already in this database" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--profile", "gotham"], "invalid choice: 'gotham'"),
        (["generate", "--units", "0"], "must be at least 1"),
        (["generate", "--years", "many"], "not a whole number"),
        (["serve", "--port", "70000"], "not a port number"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
        ([], "required"),
    ],
)
def test_bad_arguments_give_usage_and_exit_code_2(data_dir, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "usage: malkoll" in err and "Traceback" not in err


def test_unreachable_database_is_one_line_and_exit_code_1(data_dir, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("malkoll: error: cannot migrate the database") and err.count("\n") == 1


def test_python_dash_m_bot_runs_as_a_subprocess(tmp_path):
    env = {**os.environ, "MALKOLL_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "Demo stockholm_ils loaded" in done.stdout
    assert count(tmp_path / "malkoll.db", "follow_ups") > 0

    bad = subprocess.run([sys.executable, "-m", "bot", "demo", "--profile", "x"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
