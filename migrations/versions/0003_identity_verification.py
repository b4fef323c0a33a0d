"""identity verification: challenges and attempts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('verification_challenges',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('visitor_id', sa.String(length=32), nullable=False),
    sa.Column('claim_kind', sa.String(length=32), nullable=False),
    sa.Column('claim_key', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=32), nullable=True),
    sa.Column('identity_id', sa.Integer(), nullable=True),
    sa.Column('code_channel', sa.String(length=16), nullable=True),
    sa.Column('code_hash', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('delivery', sa.JSON(), nullable=False),
    sa.Column('superseded', sa.Boolean(), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('verified_method', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['visitor_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['identity_id'], ['identities.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verification_challenges', schema=None) as batch_op:
        batch_op.create_index('ix_verification_challenges_claim_key_created', ['claim_key', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_verification_challenges_conversation_id'), ['conversation_id'],
                              unique=False)

    op.create_table('verification_attempts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('challenge_id', sa.String(length=32), nullable=False),
    sa.Column('claim_key', sa.String(length=64), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['challenge_id'], ['verification_challenges.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('verification_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_verification_attempts_claim_key_route', ['claim_key', 'route', 'created_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('verification_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_attempts_claim_key_route')
    op.drop_table('verification_attempts')
    with op.batch_alter_table('verification_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verification_challenges_conversation_id'))
        batch_op.drop_index('ix_verification_challenges_claim_key_created')
    op.drop_table('verification_challenges')
