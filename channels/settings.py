"""Channel settings (env prefix FIRSTLINE_CHANNELS_); each is documented in the README."""

from __future__ import annotations

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ChannelsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIRSTLINE_CHANNELS_", extra="ignore")

    # Shared secret the forwarder signs public posts with; unset = the public channel refuses every post.
    public_secret: SecretStr | None = None
    # Where agents' replies to public posts are POSTed (signed); unset = replies are marked undelivered.
    public_reply_url: str | None = None
    public_reply_secret: SecretStr | None = None  # defaults to public_secret
    max_post_bytes: int = 16 * 1024
    max_text_chars: int = 2000
    public_team: str | None = None  # route public posts to this team first (default: the usual routing)

    def public_key(self) -> str | None:
        return self.public_secret.get_secret_value() if self.public_secret else None

    def reply_key(self) -> str | None:
        return self.public_reply_secret.get_secret_value() if self.public_reply_secret else self.public_key()
