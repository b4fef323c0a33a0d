"""promises on cases, follow-up attempts, team leads (issue 10)

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('promise_kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('promise_text', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('promised_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('promise_version', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('followup_stage', sa.String(length=16), nullable=False, server_default=''))
    op.create_table('followup_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('promise_version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('target', sa.String(length=320), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.Column('retry_no', sa.Integer(), nullable=False),
    sa.Column('retry_state', sa.String(length=16), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('followup_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_attempts_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_attempts_agent_id'), ['agent_id'], unique=False)
    op.create_table('team_leads',
    sa.Column('team', sa.String(length=64), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team')
    )


def downgrade() -> None:
    op.drop_table('team_leads')
    with op.batch_alter_table('followup_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_attempts_agent_id'))
        batch_op.drop_index(batch_op.f('ix_followup_attempts_case_id'))
    op.drop_table('followup_attempts')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('followup_stage')
        batch_op.drop_column('promise_version')
        batch_op.drop_column('promised_at')
        batch_op.drop_column('promise_text')
        batch_op.drop_column('promise_kind')
