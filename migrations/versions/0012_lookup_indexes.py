"""indexes for the per-turn lookups: a conversation's cases, handoffs accepted in a time window

Revision ID: 0012
Revises: 0011

Under 200 customers for 10 minutes in production mode, PostgreSQL's CPU grew from under 1 to about
10 ms per turn: every handoff looks up the conversation's open case (cases.conversation_id, five
places) and the recent pace of acceptances (handoffs.accepted_at), and both were sequential scans
of tables that grow with every handoff (8,401 scans reading 10.9 million case rows by minute nine).
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_cases_conversation_id', 'cases', ['conversation_id'])
    op.create_index('ix_handoffs_accepted_at', 'handoffs', ['accepted_at'])


def downgrade() -> None:
    op.drop_index('ix_handoffs_accepted_at', table_name='handoffs')
    op.drop_index('ix_cases_conversation_id', table_name='cases')
