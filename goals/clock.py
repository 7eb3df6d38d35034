"""Time as an injected dependency: services never call datetime.now() themselves."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo


class SystemClock:
    """The real clock in the municipality's time zone (Europe/Stockholm by default)."""

    def __init__(self, tz: str | tzinfo = "Europe/Stockholm") -> None:
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def today(self) -> date:
        return self.now().date()


class FixedClock:
    """A clock that says what it is told; for tests and `--at` runs."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at
        self.tz = at.tzinfo

    def now(self) -> datetime:
        return self.at

    def today(self) -> date:
        return self.at.date()
