"""Alembic environment: the URL comes from the caller (crm.schema.migrate) or the settings."""

from alembic import context
from sqlalchemy import engine_from_config, pool

import crm.models  # noqa: F401  (registers tables on Base.metadata)
from core.db import Base, normalise_url
from core.settings import get_settings

try:  # the knowledge base adds its own tables in a later revision
    import knowledge_base.models  # noqa: F401
except ImportError:  # pragma: no cover - only while that package is absent
    pass

# Surge alerts and notices (insights), posts of inbound channels (channels): issue 11.
import channels.models  # noqa: F401,E402
import insights.models  # noqa: F401,E402

config = context.config
url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
config.set_main_option("sqlalchemy.url", normalise_url(url))
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        engine = engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                    poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
    else:
        _run(connectable)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    # render_as_batch: SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
