"""One validated settings object, from environment variables and `.env`.

Bot Framework keys keep the names Azure Bot Service documents (MicrosoftAppId,
MicrosoftAppPassword, MicrosoftAppType, MicrosoftAppTenantId), so an operator can
paste them from the portal. Secrets are SecretStr and never printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing_extensions import Annotated


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True)

    database_url: SecretStr | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url"))
    data_dir: Path = Field(default=Path("data"), validation_alias=AliasChoices("MALKOLL_DATA_DIR", "data_dir"))
    profile: str = Field(default="stockholm_ils", validation_alias=AliasChoices("MALKOLL_PROFILE", "profile"))
    timezone: str = Field(default="Europe/Stockholm", validation_alias=AliasChoices("MALKOLL_TIMEZONE", "timezone"))

    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("MALKOLL_HOST", "host"))
    port: int = Field(default=3978, validation_alias=AliasChoices("MALKOLL_PORT", "PORT", "port"))
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("MALKOLL_LOG_LEVEL", "log_level"))

    # Bot Framework / Entra. No app id = local mode (Playground, tests): no auth.
    app_id: str = Field(default="", validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFT_APP_ID", "app_id"))
    app_password: SecretStr = Field(
        default=SecretStr(""), validation_alias=AliasChoices("MicrosoftAppPassword", "MICROSOFT_APP_PASSWORD", "app_password")
    )
    app_type: Literal["MultiTenant", "SingleTenant", "UserAssignedMSI"] = Field(
        default="MultiTenant", validation_alias=AliasChoices("MicrosoftAppType", "MICROSOFT_APP_TYPE", "app_type")
    )
    app_tenant_id: str = Field(
        default="", validation_alias=AliasChoices("MicrosoftAppTenantId", "MICROSOFT_APP_TENANT_ID", "app_tenant_id")
    )
    # Entra tenants whose users may talk to Målkoll. Empty = only the tenants that
    # own an organisation in the database (never "everyone").
    allowed_tenants: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=AliasChoices("MALKOLL_ALLOWED_TENANTS", "allowed_tenants")
    )

    @field_validator("allowed_tenants", mode="before")
    @classmethod
    def _split_tenants(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL if set, else the embedded SQLite file in the data directory."""
        if self.database_url is not None and self.database_url.get_secret_value():
            return self.database_url.get_secret_value()
        return f"sqlite+aiosqlite:///{(self.data_dir / 'malkoll.db').resolve()}"

    @property
    def local_mode(self) -> bool:
        return not self.app_id
