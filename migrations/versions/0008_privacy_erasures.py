"""privacy: the audit record of customer erasures

Revision ID: 0008
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('privacy_erasures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=False),
    sa.Column('erased_by', sa.String(length=64), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_privacy_erasures_customer_id'), 'privacy_erasures', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_privacy_erasures_customer_id'), table_name='privacy_erasures')
    op.drop_table('privacy_erasures')
