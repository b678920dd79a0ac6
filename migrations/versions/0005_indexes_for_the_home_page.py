"""indexes for the home page: eligibilities to renew, running contracts, six-month situations

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 19:55:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain CREATE INDEX (no batch copy of the tables): SQLite and PostgreSQL both build them in place.
    op.create_index('ix_eligibility_validated_on_participant', 'eligibility', ['validated_on', 'participant_id'])
    op.create_index('ix_eligibility_participant_validated_on', 'eligibility', ['participant_id', 'validated_on'])
    op.create_index('ix_employmentcontract_actual_end_start', 'employmentcontract', ['actual_end', 'start_date'])
    op.create_index(
        'ix_employmentcontract_six_month_due',
        'employmentcontract',
        ['actual_end', 'in_charge'],
        sqlite_where=sa.text('outcome_6m IS NULL'),
        postgresql_where=sa.text('outcome_6m IS NULL'),
    )


def downgrade() -> None:
    op.drop_index('ix_employmentcontract_six_month_due', table_name='employmentcontract')
    op.drop_index('ix_employmentcontract_actual_end_start', table_name='employmentcontract')
    op.drop_index('ix_eligibility_participant_validated_on', table_name='eligibility')
    op.drop_index('ix_eligibility_validated_on_participant', table_name='eligibility')
