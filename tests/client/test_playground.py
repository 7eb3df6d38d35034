"""Målkoll in a client we did not write: the Microsoft 365 Agents Playground (a local
Teams stand-in) driven through its web UI in headless Debian Chromium.

The bot runs exactly as a developer runs it (`malkoll db upgrade`, `malkoll demo`,
`malkoll serve`, local mode: no app id) on a SQLite file of its own; the Playground
reads the repository's .m365agentsplayground.yml, so the chat is Anna Lindqvist's
(demo person 01, enhetschef at Förskolan Solrosen). Steps: welcome on install → "My
goals" from its button (every goal of her unit this year listed) → "vilka mål ligger efter?" → the answer card lists the goals the status rules call
behind (computed from the same database) → one goal reported through the card form →
confirmation. A screenshot of each step goes to test-artifacts/playground/.

Run alone: `pytest -m client tests/client`. Needs the Playground (npm ci --prefix
tests/client/.npm), Chromium at /usr/bin/chromium and the Python playwright package;
missing pieces skip locally and fail in CI.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.client

ROOT = Path(__file__).resolve().parents[2]
PLAYGROUND = ROOT / "tests/client/.npm/node_modules/.bin/agentsplayground"
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts/playground"
CATALOGS = ROOT / "dialogs/text"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-proxy-server",  # everything is on 127.0.0.1; a proxy from the environment must not see it
]
DEMO_TENANT = "6c1e5d0a-8f2b-4b7e-9a3c-5d4e3f2a1b00"  # .m365agentsplayground.yml's tenantId
ANNA = "d0000000-0000-4000-8000-000000000001"  # its currentUser
STARTUP_SECONDS = 90  # a cold npm package and a first Chromium start are slow on a busy CI machine
REPLY_MS = 60_000  # one bot turn, generous: CI shares two cores with everything else
ANALYSIS = (
    "Vi har gått igenom målet i arbetslaget och ser att vi behöver mer tid för samtal med "
    "vårdnadshavarna om barnens språk. Vi lägger in det i höstens utvecklingssamtal."
)

OTHER_TEXT = "Vi följer upp det här på arbetsplatsträffen varje månad och justerar arbetet efter det vi ser."


def _missing_tools() -> list[str]:
    missing = []
    if not PLAYGROUND.exists():
        missing.append("npm ci --prefix tests/client/.npm")
    if not CHROMIUM.exists():
        missing.append("apt-get install -y chromium")
    try:
        import playwright  # noqa: F401 - only whether it is installed
    except ImportError:
        missing.append("pip install -e '.[test]' (playwright)")
    if shutil.which("node") is None:
        missing.append("Node.js ≥ 18")
    return missing


@pytest.fixture(scope="module", autouse=True)
def _tools() -> None:
    missing = _missing_tools()
    if missing:
        reason = "Playground test needs: " + "; ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _clean_env(data_dir: Path) -> dict[str, str]:
    """The environment of a developer with no configuration: local mode, the SQLite file
    in data_dir, no proxy that could take 127.0.0.1 traffic elsewhere."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.lower().startswith(("microsoftapp", "malkoll_", "database_url", "http_proxy", "https_proxy", "all_proxy"))
    }
    env |= {"MALKOLL_DATA_DIR": str(data_dir), "NO_PROXY": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"}
    return env


class Processes:
    """Every process the test starts, each in its own session so the whole tree
    (npm's node children too) is ended at teardown, whatever happened."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, args: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
        with log.open("wb") as out:
            process = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _wait_until(ready, *, what: str, process: subprocess.Popen, log: Path, seconds: float = STARTUP_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode} before it was ready:\n{_tail(log)}")
        found = ready()
        if found:
            return found
        time.sleep(0.5)
    pytest.fail(f"{what} not ready after {seconds} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def _answers_200(url: str):
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy from the environment

    def ready() -> bool:
        try:
            with direct.open(url, timeout=5) as response:
                return response.status == 200
        except OSError:
            return False
    return ready


def _playground_port(log: Path):
    """The Playground falls back to a random port when the asked one is taken; its log says which."""
    def ready() -> int | None:
        match = re.search(r"Listening on (\d+)", log.read_text(errors="replace")) if log.exists() else None
        port = int(match.group(1)) if match else None
        return port if port and _answers_200(f"http://127.0.0.1:{port}/")() else None
    return ready


@dataclass(frozen=True)
class Stack:
    data_dir: Path
    bot_url: str
    playground_url: str


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # no screenshot of an earlier run passes for this one
    ARTIFACTS.mkdir(parents=True)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    env = _clean_env(data_dir)
    malkoll = [sys.executable, "-m", "bot"]
    for command in (["db", "upgrade"], ["demo"]):
        done = subprocess.run([*malkoll, *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"malkoll {' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"

    processes = Processes()
    try:
        bot_port = _free_port()
        bot_log = ARTIFACTS / "bot.log"
        # cwd tmp_path: a developer's .env in the repository must not configure this bot.
        bot = processes.start([*malkoll, "serve", "--host", "127.0.0.1", "--port", str(bot_port)], cwd=tmp_path, env=env, log=bot_log)
        bot_url = f"http://127.0.0.1:{bot_port}"
        _wait_until(_answers_200(f"{bot_url}/healthz"), what="malkoll serve", process=bot, log=bot_log)

        playground_log = ARTIFACTS / "playground.log"
        asked = _free_port()
        # The Playground reads .m365agentsplayground.yml from its working directory and writes
        # devTools/ there: a directory of its own with the repository's file.
        playground_dir = tmp_path / "playground"
        playground_dir.mkdir()
        shutil.copy(ROOT / ".m365agentsplayground.yml", playground_dir)
        playground = processes.start(
            [str(PLAYGROUND), "-e", f"{bot_url}/api/messages", "-c", "msteams", "-p", str(asked), "--disable-telemetry"],
            cwd=playground_dir, env=env | {"TEAMSAPPTESTER_BROWSER": "none"}, log=playground_log,
        )
        port = _wait_until(_playground_port(playground_log), what="agentsplayground", process=playground, log=playground_log)
        yield Stack(data_dir=data_dir, bot_url=bot_url, playground_url=f"http://127.0.0.1:{port}/")
    finally:
        processes.stop_all()


def _catalog(language: str, name: str = "") -> dict:
    file = f"{name}.{language}.toml" if name else f"{language}.toml"
    return tomllib.loads((CATALOGS / file).read_text(encoding="utf-8"))


def _either(*texts: str, whole: bool = False) -> re.Pattern:
    """The Playground sends its own locale (en-US today); Målkoll answers in Swedish or
    English by it, so the UI is matched against both catalogs' texts (`whole`: the entire
    name, for buttons)."""
    either = "|".join(re.escape(t) for t in texts)
    return re.compile(f"^(?:{either})$" if whole else either)


@dataclass(frozen=True)
class Behind:
    number: int
    title: str


def _read_for_anna(data_dir: Path, read):
    """`await read(uow, nodes, today)` in the bot's own database, with Anna's scope: what
    the test expects, read there directly rather than through the answer it checks."""
    from goals.access import identify, scope_nodes
    from goals.clock import SystemClock
    from storage.session import create_engine, make_sessionmaker
    from storage.unit_of_work import uow_factory

    async def load():
        engine = create_engine(f"sqlite+aiosqlite:///{data_dir / 'malkoll.db'}")
        try:
            make_uow = uow_factory(make_sessionmaker(engine))
            today = SystemClock("Europe/Stockholm").today()
            actor = await identify(make_uow(), tenant_id=DEMO_TENANT, entra_object_id=ANNA)
            nodes = await scope_nodes(make_uow(), actor=actor)
            async with make_uow() as uow:
                return await read(uow, [n.id for n in nodes], today)
        finally:
            await engine.dispose()

    return asyncio.run(load())


def _goals_behind(data_dir: Path) -> list[Behind]:
    """What the status rules say is behind for Anna today."""
    from goals.status import behind_reasons

    async def read(uow, node_ids, today):
        snapshots = await uow.status.snapshots(node_ids, today.year)
        return [Behind(s.goal.number, s.goal.title) for s in snapshots if behind_reasons(s, today)]

    return _read_for_anna(data_dir, read)


def _anna_goals(data_dir: Path) -> list[tuple[int, str]]:
    """(number, title) of the goals of Anna's units valid this year (not through the
    overview's own read)."""

    async def read(uow, node_ids, today):
        return [(goal.number, goal.title) for goal in await uow.goals.for_owners(node_ids, today.year)]

    return _read_for_anna(data_dir, read)


def test_anna_asks_which_goals_are_behind_and_reports_one_in_the_playground(stack: Stack) -> None:
    from playwright.sync_api import expect, sync_playwright

    expected = _goals_behind(stack.data_dir)
    assert expected, "the demo city gives Anna's unit goals behind; without them this test proves nothing"
    mine = _anna_goals(stack.data_dir)
    assert mine, "the demo city gives Anna's unit goals this year"
    sv, en = _catalog("sv", "questions")["questions"], _catalog("en", "questions")["questions"]

    with sync_playwright() as p:
        # Leaving sync_playwright() ends its driver and with it this Chromium, whatever happened.
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=STARTUP_SECONDS * 1000)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.set_default_timeout(REPLY_MS)
        expect.set_options(timeout=REPLY_MS)

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        try:
            page.goto(stack.playground_url, timeout=STARTUP_SECONDS * 1000)
            cards = page.locator(".ac-adaptiveCard")
            # 1. Welcome: the Playground installs the app and starts the conversation.
            welcome = _either(_catalog("sv")["welcome"]["title"], _catalog("en")["welcome"]["title"])
            expect(cards.filter(has_text=welcome).first).to_be_visible(timeout=STARTUP_SECONDS * 1000)
            shot("1-welcome")

            # 1b. "My goals" from the welcome card: the overview of Anna's unit, one read.
            welcome_card = cards.filter(has_text=welcome).first
            my_goals = _either(_catalog("sv")["menu"]["my_goals"], _catalog("en")["menu"]["my_goals"], whole=True)
            welcome_card.get_by_role("button", name=my_goals).click()
            overview_title = _either(_catalog("sv")["overview"]["title"], _catalog("en")["overview"]["title"])
            overview = cards.filter(has_text=overview_title).filter(has_not_text=welcome).last
            expect(overview).to_be_visible()
            for number, goal_title in mine:
                lines = (_catalog(lang)["overview"]["goal"].format(number=number, title=goal_title) for lang in ("sv", "en"))
                expect(overview).to_contain_text(_either(*lines))
            shot("1b-my-goals")

            # 2. The question, typed as a user types it.
            box = page.get_by_role("textbox")
            box.click()
            box.press_sequentially("vilka mål ligger efter?")
            expect(box).to_have_text("vilka mål ligger efter?")  # the editor has taken every key
            box.press("Enter")
            # The answer card says how many goals are behind ("Goals behind: 3"), then lists them.
            count = _either(*(q["behind"]["count"].format(count=len(expected)) for q in (sv, en)))
            answer = cards.filter(has_text=count).last
            expect(answer).to_be_visible()
            shot("2-goals-behind")
            report = answer.get_by_role("button", name=_either(sv["report"], en["report"], whole=True))
            expect(report).to_have_count(len(expected))
            text = answer.inner_text()
            for goal in expected:
                assert goal.title in text

            # 3. Report one goal through the card form: "Report" on the answer card opens the
            # goal's form, or the unit's overview when the period's report exists (then that
            # goal's "Report goal n"/"Edit goal n"), depending on the demo's date.
            chosen = min(expected, key=lambda goal: text.index(goal.title))  # the card's first goal
            report.first.click()
            sv_fu, en_fu = _catalog("sv", "follow_up"), _catalog("en", "follow_up")
            fu = (sv_fu["follow_up"], en_fu["follow_up"])

            def label(*keys: str, whole: bool = False, **values: object) -> re.Pattern:
                def lookup(catalog: dict) -> str:
                    for key in keys:
                        catalog = catalog[key]
                    return str(catalog).format(**values)
                return _either(*(lookup(c) for c in fu), whole=whole)

            open_goal = page.get_by_role("button", name=label("open", number=chosen.number, whole=True)).or_(
                page.get_by_role("button", name=label("edit", number=chosen.number, whole=True)))
            save = page.get_by_role("button", name=label("card", "save", whole=True))
            expect(open_goal.or_(save).last).to_be_visible()
            if not save.count():
                open_goal.last.click()
            form = cards.filter(has=save).last
            expect(form).to_contain_text(chosen.title)
            for partly in form.locator("input[type=radio][value=partly]").all():  # assessment and/or forecast
                partly.check()
            form.get_by_placeholder(label("card", "analysis_placeholder")).fill(ANALYSIS)
            for empty in form.locator("textarea").all():  # actions, plan, … when a new report asks for them
                if not empty.input_value():
                    empty.fill(OTHER_TEXT)
            shot("3-form-filled")
            form.get_by_role("button", name=label("card", "save", whole=True)).click()

            # 4. Confirmation: a new report is reviewed and submitted; one already submitted
            # (the demo's usual state late in a period) says the change is saved.
            submit = page.get_by_role("button", name=label("review", "submit", whole=True))
            # "… submitted for approval. You can change it until {deadline}.": the part before the date
            submitted = page.get_by_text(_either(*(c["submitted"].format(number=chosen.number, deadline="\0").split("\0")[0] for c in fu)))
            saved_after_submit = page.get_by_text(label("edited_after_submit"))
            expect(submit.or_(saved_after_submit).last).to_be_visible()
            if not saved_after_submit.count():
                shot("4-review")
                submit.last.click()
                expect(submitted.last).to_be_visible()
            shot("5-confirmation")
        except BaseException:
            with contextlib.suppress(Exception):  # the failure itself is what the test reports
                shot("failure")  # what the browser showed when a wait ran out
            raise
        finally:
            browser.close()

    assert _stored(stack.data_dir, title=chosen.title) == [("submitted", ANALYSIS)]


def _stored(data_dir: Path, *, title: str) -> list[tuple[str, str]]:
    """The follow-ups of the goal that now carry the analysis typed in the browser."""
    import sqlite3

    with sqlite3.connect(data_dir / "malkoll.db") as db:
        return db.execute(
            "SELECT f.state, f.analysis FROM follow_ups f JOIN goals g ON g.id = f.goal_id WHERE g.title = ? AND f.analysis = ?",
            (title, ANALYSIS),
        ).fetchall()
