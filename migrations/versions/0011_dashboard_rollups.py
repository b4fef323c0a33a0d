"""dashboard rollups: counts and sums per UTC hour, per trigger and intent, durations, question ids, dirty hours

Revision ID: 0011
Revises: 0010

The experience dashboard reads whole hours from these tables and only the open edge of a range
from the raw tables (insights/rollup_figures.py), so a range of 100,000 conversations answers in
well under 500 ms. `firstline dashboard rebuild-rollups` fills them for existing history.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_hours',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    *[sa.Column(name, sa.Integer(), nullable=False) for name in (
        'conversations', 'chats', 'contained', 'ratings', 'rating_sum', 'rated_good', 'answers',
        'answers_rated', 'answers_yes', 'scored')],
    sa.Column('sentiment_sum', sa.Float(), nullable=False),
    sa.Column('negative', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hour'),
    sqlite_with_rowid=False,
    )
    op.create_table('dashboard_rollups',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('dim', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('metric', 'hour', 'dim'),  # each figure reads one metric's range
    sqlite_with_rowid=False,
    )
    op.create_table('dashboard_durations',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('metric', sa.String(length=32), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('hour', 'metric'),
    sqlite_with_rowid=False,
    )
    op.create_table('dashboard_unanswered',
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('hour', 'message_id'),
    sqlite_with_rowid=False,
    )
    op.create_table('dashboard_rollup_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('through', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('dashboard_dirty_hours',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_dashboard_dirty_hours_hour', 'dashboard_dirty_hours', ['hour'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_dashboard_dirty_hours_hour', table_name='dashboard_dirty_hours')
    op.drop_table('dashboard_dirty_hours')
    op.drop_table('dashboard_rollup_state')
    op.drop_table('dashboard_unanswered')
    op.drop_table('dashboard_durations')
    op.drop_table('dashboard_rollups')
    op.drop_table('dashboard_hours')
