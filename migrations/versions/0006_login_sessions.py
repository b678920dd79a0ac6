"""login sessions: one row per login, found by the SHA-256 of the random token the signed cookie carries

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:40:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A new table: the cookies issued before this revision carry no session token and open nothing any more
    # (everyone logs in once again).
    op.create_table('loginsession',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('end_reason', sa.Enum('deconnexion', 'mot_de_passe_change', 'mot_de_passe_reinitialise', 'role_change', 'compte_desactive', 'expiree', 'inactivite', name='sessionend', native_enum=False, create_constraint=True, length=35), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_loginsession_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_loginsession'))
    )
    with op.batch_alter_table('loginsession', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_loginsession_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('loginsession', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_loginsession_user_id'))

    op.drop_table('loginsession')
