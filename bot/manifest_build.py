"""`malkoll manifest build`: the Teams app package an IT department uploads.

    malkoll manifest build [--out FILE] [--version X.Y.Z] [--source DIR]

Reads the sources in manifest/ (manifest.json template, sv-se.json and en-us.json,
color.png, outline.png), fills in what differs per installation and writes one zip
with every file at its root, which is what Teams admin centre accepts.

What is filled in, and from where (environment or `.env`, like the bot's settings):

    bots[0].botId            MicrosoftAppId: the Azure Bot's Microsoft App ID (required)
    id                       MALKOLL_TEAMS_APP_ID, else MicrosoftAppId. The Teams app id
                             names the app in the catalogue and may differ from the bot id
                             (e.g. when an earlier package was made in Developer Portal).
    validDomains             the host of MALKOLL_PUBLIC_URL, the https address the bot runs at
    developer.privacyUrl     MALKOLL_PRIVACY_URL: your organisation's privacy notice
    developer.termsOfUseUrl  MALKOLL_TERMS_URL
    developer.name           MALKOLL_PUBLISHER (default "Målkoll")
    developer.websiteUrl     MALKOLL_PUBLISHER_URL, else MALKOLL_PUBLIC_URL
    version                  --version, else the installed malkoll package's version

Every problem is reported at once, in one line, before anything is written.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SOURCE_DIR = Path(__file__).resolve().parents[1] / "manifest"
DEFAULT_OUT_DIR = Path("build")
# The schema's own GUID pattern (definitions.guid); the all-zero GUID is a placeholder, never an id.
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_NIL_GUID = "00000000-0000-0000-0000-000000000000"
# Teams compares versions as MAJOR.MINOR.PATCH numbers and wants a larger one on every update.
_VERSION = re.compile(r"^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$")
_PLACEHOLDER = re.compile(r"\{\{[A-Z_]+\}\}")
# Zip entries get one fixed time so the same inputs give the same bytes.
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ManifestError(Exception):
    """The package cannot be built; the message lists every reason."""


class PackageSettings(BaseSettings):
    """The installation-specific values beyond the bot's own Settings."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    teams_app_id: str = Field(default="", validation_alias=AliasChoices("MALKOLL_TEAMS_APP_ID", "teams_app_id"))
    public_url: str = Field(default="", validation_alias=AliasChoices("MALKOLL_PUBLIC_URL", "public_url"))
    publisher: str = Field(default="Målkoll", validation_alias=AliasChoices("MALKOLL_PUBLISHER", "publisher"))
    publisher_url: str = Field(default="", validation_alias=AliasChoices("MALKOLL_PUBLISHER_URL", "publisher_url"))
    privacy_url: str = Field(default="", validation_alias=AliasChoices("MALKOLL_PRIVACY_URL", "privacy_url"))
    terms_url: str = Field(default="", validation_alias=AliasChoices("MALKOLL_TERMS_URL", "terms_url"))


@dataclass(frozen=True)
class PackageValues:
    """Checked values, ready to go into manifest.json."""

    teams_app_id: str
    bot_id: str
    version: str
    valid_domain: str
    publisher: str
    publisher_url: str
    privacy_url: str
    terms_url: str


def package_values(*, bot_id: str, package: PackageSettings, version: str | None = None) -> PackageValues:
    """Checks everything and returns the values, or raises ManifestError naming every problem."""
    problems: list[str] = []
    bot_id = bot_id.strip()
    teams_app_id = package.teams_app_id.strip() or bot_id
    _check_guid(problems, "MicrosoftAppId", bot_id, what="the Azure Bot's Microsoft App ID")
    if package.teams_app_id.strip():
        _check_guid(problems, "MALKOLL_TEAMS_APP_ID", teams_app_id, what="the Teams app id")

    version = (version or _installed_version()).strip()
    if not _VERSION.match(version):
        problems.append(f"version {version!r} is not MAJOR.MINOR.PATCH numbers (e.g. 1.0.3)")

    public_host = _check_https(problems, "MALKOLL_PUBLIC_URL", package.public_url,
                               what="the https address the bot is reached at, e.g. https://malkoll.kommun.se")
    publisher = package.publisher.strip()
    if not publisher or len(publisher) > 32:
        problems.append(f"MALKOLL_PUBLISHER must be 1 to 32 characters, got {len(publisher)}")
    publisher_url = package.publisher_url.strip() or package.public_url.strip()
    if package.publisher_url.strip():
        _check_https(problems, "MALKOLL_PUBLISHER_URL", publisher_url, what="your organisation's website")
    _check_https(problems, "MALKOLL_PRIVACY_URL", package.privacy_url,
                 what="your organisation's privacy notice, personuppgiftspolicy")
    _check_https(problems, "MALKOLL_TERMS_URL", package.terms_url, what="the terms of use for Målkoll")

    if problems:
        raise ManifestError("cannot build the Teams app package: " + "; ".join(problems))
    return PackageValues(
        teams_app_id=teams_app_id.lower(), bot_id=bot_id.lower(), version=version, valid_domain=public_host or "",
        publisher=publisher, publisher_url=publisher_url, privacy_url=package.privacy_url.strip(),
        terms_url=package.terms_url.strip(),
    )


def _check_guid(problems: list[str], name: str, value: str, *, what: str) -> None:
    if not value:
        problems.append(f"{name} is not set ({what}, a GUID like 1b2c3d4e-0000-4000-8000-00000000abcd)")
    elif not _GUID.match(value):
        problems.append(f"{name} {value!r} is not a GUID ({what}, e.g. 1b2c3d4e-0000-4000-8000-00000000abcd)")
    elif value == _NIL_GUID:
        problems.append(f"{name} is the all-zero placeholder GUID, not {what}")


def _check_https(problems: list[str], name: str, value: str, *, what: str) -> str | None:
    """The URL's host (with port, if any) when it is an https URL, else None and a problem."""
    value = value.strip()
    if not value:
        problems.append(f"{name} is not set ({what})")
        return None
    try:
        parts = urlsplit(value)
        host = parts.netloc if parts.hostname else ""
    except ValueError:
        parts, host = None, ""
    if parts is None or parts.scheme != "https" or not host or "@" in host:
        problems.append(f"{name} {value!r} is not an https URL ({what})")
        return None
    return host.lower()


def _installed_version() -> str:
    try:
        return metadata.version("malkoll")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def build_manifest(values: PackageValues, *, source: Path = SOURCE_DIR) -> dict[str, Any]:
    """manifest.json with the installation's values filled in."""
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    manifest["id"] = values.teams_app_id
    manifest["version"] = values.version
    manifest["bots"][0]["botId"] = values.bot_id
    manifest["validDomains"] = [values.valid_domain]
    manifest["developer"].update(
        name=values.publisher, websiteUrl=values.publisher_url, privacyUrl=values.privacy_url,
        termsOfUseUrl=values.terms_url,
    )
    left = sorted(set(_PLACEHOLDER.findall(json.dumps(manifest, ensure_ascii=False))))
    if left:  # the template gained a placeholder this builder does not know
        raise ManifestError(f"manifest/manifest.json has placeholders nobody fills in: {', '.join(left)}")
    return manifest


def package_files(manifest: dict[str, Any]) -> list[str]:
    """The files beside manifest.json that the manifest refers to: icons and language files."""
    names = [manifest["icons"]["color"], manifest["icons"]["outline"]]
    localization = manifest.get("localizationInfo", {})
    if "defaultLanguageFile" in localization:
        names.append(localization["defaultLanguageFile"])
    names += [language["file"] for language in localization.get("additionalLanguages", [])]
    return names


def write_package(values: PackageValues, out: Path, *, source: Path = SOURCE_DIR) -> list[str]:
    """Writes the zip (every entry at its root) and returns its entry names."""
    manifest = build_manifest(values, source=source)
    others = package_files(manifest)
    missing = [name for name in others if not (source / name).is_file()]
    if missing:
        raise ManifestError(f"missing in {source}: {', '.join(missing)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    entries = {"manifest.json": (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")}
    entries.update((name, (source / name).read_bytes()) for name in others)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            package.writestr(info, data)
    return list(entries)


def add_manifest_parser(commands) -> None:
    manifest = commands.add_parser("manifest", help="the Teams app package")
    actions = manifest.add_subparsers(dest="manifest_command", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write the zip to upload in Teams admin centre")
    build.add_argument("--out", type=Path, help="zip file to write (default: build/malkoll-teams-VERSION.zip)")
    build.add_argument("--source", type=Path, default=SOURCE_DIR,
                       help="folder with manifest.json, the language files and icons (default: %(default)s)")
    build.add_argument("--version", dest="package_version", help="app version, MAJOR.MINOR.PATCH "
                       "(default: the malkoll package's; raise it for every update you upload)")


def run_manifest(settings, args) -> None:
    """`malkoll manifest build`; problems become CommandFailed (one line, exit code 1)."""
    from pydantic import ValidationError

    from bot.cli import CommandFailed

    try:
        values = package_values(bot_id=settings.app_id, package=PackageSettings(), version=args.package_version)
        out = args.out or DEFAULT_OUT_DIR / f"malkoll-teams-{values.version}.zip"
        if not (args.source / "manifest.json").is_file():
            raise ManifestError(f"no manifest.json in {args.source}: run in a checkout of Målkoll or pass --source DIR")
        entries = write_package(values, out, source=args.source)
    except ValidationError as error:
        raise CommandFailed(f"invalid settings: {error.errors()[0]['msg']}") from None
    except (ManifestError, OSError) as error:
        raise CommandFailed(str(error)) from None
    print(f"Wrote {out} ({', '.join(entries)}): Teams app id {values.teams_app_id}, bot id {values.bot_id}, "
          f"version {values.version}, valid domain {values.valid_domain}.")
    print("Upload it in Teams admin centre: Teams apps > Manage apps > Upload new app.")
