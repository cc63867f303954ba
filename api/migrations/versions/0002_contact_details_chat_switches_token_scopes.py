"""Since release 427aa63: contact details, chat switches, token expiry and scopes, message indexes.

Encrypted contact details of forms, the citizen chat's kill switches, API tokens with an expiry and
scopes, and two indexes for reading a conversation's messages in order and by author.

Only what is not there yet is added: a database started by a working state between 427aa63 and
the first migration already has some of it (create_all and the start-up code of that time).
The new columns are nullable and old tokens are read without them (api/services/users.py), so
old rows need no server defaults.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    database = sa.inspect(op.get_bind())
    if not database.has_table("chat_switches"):
        op.create_table(
            "chat_switches",
            sa.Column("name", sa.String(length=16), nullable=False),
            sa.Column("enabled", sa.Boolean(), nullable=False),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("changed_by", sa.String(length=64), nullable=False),
            sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )
    if not database.has_table("contact_details"):
        op.create_table(
            "contact_details",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("conversation_id", sa.String(length=64), nullable=False),
            sa.Column("escalation_id", sa.Integer(), nullable=True),
            sa.Column("kind", sa.String(length=16), nullable=False),
            sa.Column("ciphertext", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.ForeignKeyConstraint(["conversation_id"], ["conversations.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(["escalation_id"], ["escalations.id"], ondelete="CASCADE"),
            sa.PrimaryKeyConstraint("id"),
        )
    indexes = {
        ("contact_details", op.f("ix_contact_details_conversation_id")): ["conversation_id"],
        ("contact_details", op.f("ix_contact_details_escalation_id")): ["escalation_id"],
        ("messages", "messages_by_author"): ["conversation_id", "author", "id"],
        ("messages", "messages_in_order"): ["conversation_id", "id"],
    }
    for (table, name), columns in indexes.items():
        if name not in {index["name"] for index in database.get_indexes(table)}:
            op.create_index(name, table, columns, unique=False)
    token_columns = {column["name"] for column in database.get_columns("api_tokens")}
    with op.batch_alter_table("api_tokens") as batch_op:
        if "expires_at" not in token_columns:
            batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        if "scopes" not in token_columns:
            batch_op.add_column(sa.Column("scopes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("scopes")
        batch_op.drop_column("expires_at")
    op.drop_index("messages_in_order", table_name="messages")
    op.drop_index("messages_by_author", table_name="messages")
    op.drop_table("contact_details")  # with its indexes
    op.drop_table("chat_switches")
