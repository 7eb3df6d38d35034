"""The Teams app package: what an IT department uploads to Teams admin centre.

The built manifest and both language files are validated offline against the
official JSON schemas that npm `@microsoft/app-manifest` bundles (installed by
`npm ci --prefix manifest/.npm`, pinned by manifest/.npm/package-lock.json), twice:
with Python's jsonschema and with the package's own validator under node
(manifest/validate.cjs). Without them the schema tests skip locally and fail in CI. The icons are checked the way
Teams checks them: sizes, and an outline that is white on transparent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from PIL import Image

from bot.cli import main
from dialogs.overview_dialog import fold
from dialogs.recognizer import Intent, recognize

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "manifest"
SCHEMAS = ROOT / "manifest/.npm/node_modules/@microsoft/app-manifest/build/json-schemas/teams"
PACKAGE_FILES = {"manifest.json", "color.png", "outline.png", "sv-se.json", "en-us.json"}
BOT_ID = "1b2c3d4e-5f60-4718-9abc-def012345678"
TEAMS_APP_ID = "9f8e7d6c-5b4a-4392-8170-fedcba987654"
ENV = {
    "MicrosoftAppId": BOT_ID,
    "MicrosoftAppType": "SingleTenant",
    "MALKOLL_PUBLIC_URL": "https://malkoll.kommun.example",
    "MALKOLL_PRIVACY_URL": "https://www.kommun.example/personuppgifter",
    "MALKOLL_TERMS_URL": "https://www.kommun.example/malkoll/villkor",
}
PACKAGE_ENV_NAMES = ("MicrosoftAppId", "MICROSOFT_APP_ID", "MALKOLL_TEAMS_APP_ID", "MALKOLL_PUBLIC_URL",
                     "MALKOLL_PUBLISHER", "MALKOLL_PUBLISHER_URL", "MALKOLL_PRIVACY_URL", "MALKOLL_TERMS_URL")

# What each command in the command lists must do when a user picks it (Teams sends the title as text).
OVERVIEW = "overview"  # "mina mål" is the main dialog's own phrase, matched before recognition
COMMAND_INTENTS = {
    "personal": [OVERVIEW, Intent.REPORT, Intent.BEHIND, Intent.LEFT_TO_REPORT, Intent.DEADLINE,
                 Intent.NOT_REPORTED, Intent.SUMMARY, Intent.EXPORT, Intent.MENU, Intent.HELP],
    "team": [Intent.SUMMARY, Intent.LINK_CHANNEL, Intent.HELP],
}


@pytest.fixture
def package_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The environment of an installation, in an empty directory (so no .env is read)."""
    monkeypatch.chdir(tmp_path)
    for name in PACKAGE_ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return tmp_path


def build(out: Path, *extra: str) -> int:
    return main(["manifest", "build", "--out", str(out), *extra])


@pytest.fixture
def package(package_env: Path) -> zipfile.ZipFile:
    out = package_env / "malkoll.zip"
    assert build(out, "--version", "1.4.2") == 0
    with zipfile.ZipFile(out) as archive:
        yield archive


def read_json(archive: zipfile.ZipFile, name: str) -> dict:
    return json.loads(archive.read(name).decode("utf-8"))


def unavailable(reason: str) -> None:
    """Skip locally, fail in CI: CI installs the schemas, so their absence there is a broken build."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def schema_path(version: str, name: str) -> Path:
    """An official schema from the npm package."""
    path = SCHEMAS / f"v{version}" / name
    if not path.is_file():
        unavailable(f"{path.relative_to(ROOT)} not found: install the pinned schemas with "
                    "`npm ci --prefix manifest/.npm`")
    return path


def schema_errors(document: dict, version: str, name: str) -> list[str]:
    """Errors from Python's jsonschema (draft 4, as the schemas declare)."""
    official = json.loads(schema_path(version, name).read_text(encoding="utf-8"))
    validator = Draft4Validator(official, format_checker=Draft4Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def node_errors(document: dict, version: str, name: str, tmp_path: Path) -> list[str]:
    """Errors from the npm package's own validator (ajv), run by node (manifest/validate.cjs)."""
    path = schema_path(version, name)
    node = shutil.which("node")
    if node is None:
        unavailable("node not found: the package's validator runs on Node.js")
    document_file = tmp_path / "document.json"
    document_file.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([node, str(SOURCE / "validate.cjs"), str(path), str(document_file)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)[str(document_file)]


# --- the package as built -------------------------------------------------------------------


def test_build_writes_exactly_the_package_files_with_the_ids_filled_in(package: zipfile.ZipFile) -> None:
    assert set(package.namelist()) == PACKAGE_FILES  # all at the zip's root, nothing else
    manifest = read_json(package, "manifest.json")
    assert manifest["id"] == BOT_ID  # no separate Teams app id: the bot's
    assert manifest["bots"][0]["botId"] == BOT_ID
    assert manifest["version"] == "1.4.2"
    assert manifest["validDomains"] == ["malkoll.kommun.example"]
    assert manifest["developer"]["privacyUrl"] == ENV["MALKOLL_PRIVACY_URL"]
    assert manifest["developer"]["termsOfUseUrl"] == ENV["MALKOLL_TERMS_URL"]
    assert manifest["developer"]["websiteUrl"] == ENV["MALKOLL_PUBLIC_URL"]
    assert "{{" not in package.read("manifest.json").decode("utf-8")
    for name in ("color.png", "outline.png", "sv-se.json", "en-us.json"):
        assert package.read(name) == (SOURCE / name).read_bytes()


def test_a_separate_teams_app_id_is_the_apps_id_and_the_bot_keeps_its_own(package_env, monkeypatch) -> None:
    monkeypatch.setenv("MALKOLL_TEAMS_APP_ID", TEAMS_APP_ID.upper())
    assert build(package_env / "app.zip") == 0
    with zipfile.ZipFile(package_env / "app.zip") as archive:
        manifest = read_json(archive, "manifest.json")
    assert (manifest["id"], manifest["bots"][0]["botId"]) == (TEAMS_APP_ID, BOT_ID)


def test_default_output_is_named_after_the_version(package_env) -> None:
    assert main(["manifest", "build", "--version", "2.0.1"]) == 0
    assert zipfile.ZipFile(package_env / "build" / "malkoll-teams-2.0.1.zip").namelist()


def test_the_same_settings_build_the_same_bytes(package_env) -> None:
    assert build(package_env / "a.zip", "--version", "1.0.0") == 0
    assert build(package_env / "b.zip", "--version", "1.0.0") == 0
    assert (package_env / "a.zip").read_bytes() == (package_env / "b.zip").read_bytes()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MicrosoftAppId", None, "MicrosoftAppId is not set"),
        ("MicrosoftAppId", "", "MicrosoftAppId is not set"),
        ("MicrosoftAppId", "malkoll-bot", "MicrosoftAppId 'malkoll-bot' is not a GUID"),
        ("MicrosoftAppId", "1b2c3d4e-5f60-4718-9abc-def01234567", "is not a GUID"),  # one digit short
        ("MicrosoftAppId", "00000000-0000-0000-0000-000000000000", "all-zero placeholder"),
        ("MALKOLL_TEAMS_APP_ID", "{app-id}", "MALKOLL_TEAMS_APP_ID '{app-id}' is not a GUID"),
        ("MALKOLL_PUBLIC_URL", "http://malkoll.kommun.example", "MALKOLL_PUBLIC_URL 'http://malkoll.kommun.example' is not an https URL"),
        ("MALKOLL_PUBLIC_URL", None, "MALKOLL_PUBLIC_URL is not set"),
        ("MALKOLL_PRIVACY_URL", None, "MALKOLL_PRIVACY_URL is not set"),
        ("MALKOLL_TERMS_URL", "villkor.html", "is not an https URL"),
    ],
)
def test_a_bad_or_missing_value_fails_with_one_clear_line_and_writes_nothing(
    package_env, monkeypatch, capsys, name: str, value: str | None, expected: str
) -> None:
    if value is None:
        monkeypatch.delenv(name)
    else:
        monkeypatch.setenv(name, value)
    assert build(package_env / "malkoll.zip") == 1
    err = capsys.readouterr().err
    assert err.startswith("malkoll: error: cannot build the Teams app package: ")
    assert expected in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (package_env / "malkoll.zip").exists()


def test_a_folder_without_the_sources_is_named(package_env, capsys) -> None:
    (package_env / "empty").mkdir()
    assert build(package_env / "malkoll.zip", "--source", str(package_env / "empty")) == 1
    assert "no manifest.json in" in capsys.readouterr().err
    assert not (package_env / "malkoll.zip").exists()


def test_every_problem_is_named_at_once(package_env, monkeypatch, capsys) -> None:
    monkeypatch.setenv("MicrosoftAppId", "x")
    monkeypatch.delenv("MALKOLL_PRIVACY_URL")
    assert build(package_env / "malkoll.zip", "--version", "1.0") == 1
    err = capsys.readouterr().err
    assert "MicrosoftAppId 'x'" in err and "MALKOLL_PRIVACY_URL" in err and "'1.0' is not MAJOR.MINOR.PATCH" in err


# --- the official schemas ---------------------------------------------------------------------


def test_manifest_is_on_a_current_schema_version() -> None:
    manifest = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))
    major, minor = map(int, manifest["manifestVersion"].split("."))
    assert (major, minor) >= (1, 19)
    assert manifest["$schema"].endswith(f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json")


MANIFEST_SCHEMA = "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = "MicrosoftTeams.Localization.schema.json"


def test_built_manifest_is_valid_against_the_official_schema(package: zipfile.ZipFile, tmp_path: Path) -> None:
    manifest = read_json(package, "manifest.json")
    version = manifest["manifestVersion"]
    assert schema_errors(manifest, version, MANIFEST_SCHEMA) == []
    assert node_errors(manifest, version, MANIFEST_SCHEMA, tmp_path) == []


def test_the_schema_checks_catch_a_broken_manifest(package: zipfile.ZipFile, tmp_path: Path) -> None:
    manifest = read_json(package, "manifest.json")
    version = manifest["manifestVersion"]
    manifest["bots"][0]["botId"] = "not-a-guid"
    manifest["description"]["short"] = "x" * 81
    assert len(schema_errors(manifest, version, MANIFEST_SCHEMA)) == 2
    assert len(node_errors(manifest, version, MANIFEST_SCHEMA, tmp_path)) == 2


@pytest.mark.parametrize("language_file", ["sv-se.json", "en-us.json"])
def test_language_file_is_valid_against_the_official_localization_schema(
    package: zipfile.ZipFile, tmp_path: Path, language_file: str
) -> None:
    version = read_json(package, "manifest.json")["manifestVersion"]
    strings = read_json(package, language_file)
    assert strings["$schema"].endswith(f"/v{version}/{LOCALIZATION_SCHEMA}")
    assert schema_errors(strings, version, LOCALIZATION_SCHEMA) == []
    assert node_errors(strings, version, LOCALIZATION_SCHEMA, tmp_path) == []


def test_the_schema_checks_catch_a_broken_language_file(package: zipfile.ZipFile, tmp_path: Path) -> None:
    version = read_json(package, "manifest.json")["manifestVersion"]
    strings = read_json(package, "en-us.json")
    strings["description.short"] = "x" * 81
    strings["bots[0].commandLists[3].commands[0].title"] = "a fourth command list"  # Teams allows three
    assert any("commandLists[3]" in error for error in schema_errors(strings, version, LOCALIZATION_SCHEMA))
    # The schema puts maxLength beside a $ref, which draft 4 says to ignore (jsonschema does) and
    # ajv applies: the package's validator is the stricter one, and the one Teams tooling uses.
    errors = node_errors(strings, version, LOCALIZATION_SCHEMA, tmp_path)
    assert len(errors) == 2 and any("description.short" in error for error in errors)


# --- content --------------------------------------------------------------------------------


def localizable_strings(manifest: dict) -> dict[str, str]:
    """The manifest's strings under the keys a language file uses for them."""
    strings = {f"{part}.{size}": manifest[part][size] for part in ("name", "description") for size in ("short", "full")}
    for i, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for j, command in enumerate(command_list["commands"]):
            for field in ("title", "description"):
                strings[f"bots[0].commandLists[{i}].commands[{j}].{field}"] = command[field]
    return strings


def test_swedish_is_the_default_and_english_translates_every_string() -> None:
    manifest = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))
    info = manifest["localizationInfo"]
    assert info["defaultLanguageTag"] == "sv-se"
    assert [(a["languageTag"], a["file"]) for a in info["additionalLanguages"]] == [("en-us", "en-us.json")]
    inline = localizable_strings(manifest)
    sv = json.loads((SOURCE / info["defaultLanguageFile"]).read_text(encoding="utf-8"))
    en = json.loads((SOURCE / "en-us.json").read_text(encoding="utf-8"))
    sv.pop("$schema"), en.pop("$schema")
    assert sv == inline  # the default language file says what the manifest says
    assert en.keys() == inline.keys()
    untranslated = [key for key in en if en[key] == sv[key] and key != "name.short"]
    assert untranslated == []
    assert all(value.strip() for value in en.values())


def test_descriptions_tell_an_admin_what_is_stored() -> None:
    sv = json.loads((SOURCE / "sv-se.json").read_text(encoding="utf-8"))["description.full"]
    en = json.loads((SOURCE / "en-us.json").read_text(encoding="utf-8"))["description.full"]
    for needle in ("Entra-objekt-id", "ändringslogg", "er egen databas", "Microsoft Graph"):
        assert needle in sv
    for needle in ("Entra object id", "audit log", "your own database", "Microsoft Graph"):
        assert needle in en


def test_bot_is_personal_and_team_with_a_command_list_for_each() -> None:
    bot = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))["bots"][0]
    assert bot["scopes"] == ["personal", "team"]
    assert [command_list["scopes"] for command_list in bot["commandLists"]] == [["personal"], ["team"]]
    # The Excel export is sent as a file in personal chat, which Teams allows only to bots that support files.
    assert bot["supportsFiles"] is True
    manifest = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))
    # "Add" installs it in personal chat, where managers report; in a team it comes as the bot.
    assert (manifest["defaultInstallScope"], manifest["defaultGroupCapability"]) == ("personal", {"team": "bot"})


@pytest.mark.parametrize("language_file", ["sv-se.json", "en-us.json"])
def test_every_command_does_what_its_description_says(language_file: str) -> None:
    strings = json.loads((SOURCE / language_file).read_text(encoding="utf-8"))
    language = language_file[:2]
    for i, scope in enumerate(("personal", "team")):
        for j, expected in enumerate(COMMAND_INTENTS[scope]):
            title = strings[f"bots[0].commandLists[{i}].commands[{j}].title"]
            if expected == OVERVIEW:
                assert fold(title) in {"mina mal", "my goals"}, title
                continue
            recognition = recognize(title)
            assert (recognition.intent, recognition.language) == (expected, language), title
        assert f"bots[0].commandLists[{i}].commands[{len(COMMAND_INTENTS[scope])}].title" not in strings


@pytest.mark.parametrize("language_file", ["sv-se.json", "en-us.json"])
def test_commands_fit_the_limits_every_teams_client_shows(language_file: str) -> None:
    # Earlier manifest schemas capped titles at 32 and descriptions at 128 characters; 1.22
    # allows more, but staying within the old limits keeps commands whole in any tool that still applies them.
    strings = json.loads((SOURCE / language_file).read_text(encoding="utf-8"))
    too_long = [value for key, value in strings.items() if key.startswith("bots[0]")
                and len(value) > (32 if key.endswith(".title") else 128)]
    assert too_long == []


# --- icons ----------------------------------------------------------------------------------


def pixels_of(image: Image.Image) -> list[tuple[int, ...]]:
    return [image.getpixel((x, y)) for y in range(image.height) for x in range(image.width)]


def test_color_icon_is_a_full_192_square_on_the_accent_colour() -> None:
    manifest = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))
    icon = Image.open(SOURCE / manifest["icons"]["color"])
    assert (icon.format, icon.size) == ("PNG", (192, 192))
    rgba = icon.convert("RGBA")
    assert rgba.getchannel("A").getextrema() == (255, 255)  # no transparent corners: a full square
    accent = tuple(int(manifest["accentColor"][i : i + 2], 16) for i in (1, 3, 5))
    for corner in ((0, 0), (191, 0), (0, 191), (191, 191)):
        assert rgba.getpixel(corner)[:3] == accent
    assert len(set(pixels_of(rgba))) > 2  # a mark is drawn on it


def test_outline_icon_is_only_a_white_mark_on_transparent() -> None:
    manifest = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))
    icon = Image.open(SOURCE / manifest["icons"]["outline"])
    assert (icon.format, icon.size, icon.mode) == ("PNG", (32, 32), "RGBA")
    pixels = pixels_of(icon)
    not_white = [p for p in pixels if p[3] > 0 and p[:3] != (255, 255, 255)]
    assert not_white == []
    transparent = sum(1 for p in pixels if p[3] == 0)
    solid = sum(1 for p in pixels if p[3] == 255)
    assert transparent > len(pixels) // 3  # a transparent background, not a filled square
    assert solid > 40  # and a mark that can be seen
    for corner in ((0, 31), (31, 31)):
        assert icon.getpixel(corner)[3] == 0


def test_committed_icons_are_the_ones_make_icons_draws() -> None:
    # A hand-edited PNG would drift from the generator and be lost the next time it runs.
    spec = importlib.util.spec_from_file_location("make_icons", SOURCE / "make_icons.py")
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    for drawn, committed in ((make_icons.color_icon(), "color.png"), (make_icons.outline_icon(), "outline.png")):
        on_disk = Image.open(SOURCE / committed)
        assert (drawn.mode, drawn.size) == (on_disk.mode, on_disk.size)
        assert drawn.tobytes() == on_disk.tobytes(), committed
