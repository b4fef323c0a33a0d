"""indexes for the experience dashboard's aggregations

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:00:00

Every dashboard figure reads one date range of conversations, messages or handoffs. These indexes
let both databases read a range from an index that holds the columns the figure needs (SQLite
then never touches the wide message rows with their NLU parse), and the expression index finds
bot answers of one kind (kb_answer, fallback, ...) without reading every message's JSON.
See bench/dashboard.py for the figures with and without them.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_conversations_created', 'conversations', ['created_at', 'rating', 'id'])
    op.create_index('ix_messages_sender_created', 'messages', ['sender', 'created_at', 'intent', 'sentiment'])
    op.create_index('ix_messages_conversation_sender', 'messages', ['conversation_id', 'sender', 'created_at'])
    op.create_index('ix_handoffs_created', 'handoffs', ['created_at', 'trigger'])
    # Spelled exactly as insights.sql.json_text compiles, or the planners do not use it.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("CREATE INDEX ix_messages_kind_created ON messages (json_extract(meta, '$.kind'), created_at)")
    else:
        op.execute("CREATE INDEX ix_messages_kind_created ON messages ((meta ->> 'kind'), created_at)")


def downgrade() -> None:
    op.execute('DROP INDEX ix_messages_kind_created')
    op.drop_index('ix_handoffs_created', table_name='handoffs')
    op.drop_index('ix_messages_conversation_sender', table_name='messages')
    op.drop_index('ix_messages_sender_created', table_name='messages')
    op.drop_index('ix_conversations_created', table_name='conversations')
