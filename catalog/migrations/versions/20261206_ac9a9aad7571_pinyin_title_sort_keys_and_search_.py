"""pinyin title sort keys and search vocabulary

Revision ID: ac9a9aad7571
Revises: 3e0fb86f4e74
Create Date: 2026-12-06 00:12:19.180268

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'ac9a9aad7571'
down_revision = '3e0fb86f4e74'
branch_labels = None
depends_on = None


TABLES = ("course_releases", "courses", "microlectures")


def upgrade():
    op.create_table('search_vocabulary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_vocabulary')),
    sa.UniqueConstraint('term', name=op.f('uq_search_vocabulary_term'))
    )
    sort_key = sa.String(length=255).with_variant(sa.String(length=255, collation='C'), 'postgresql')
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('title_sort', sort_key, nullable=False, server_default='')
            )
    # the existing titles' keys, computed as the models compute them
    from search.text import pinyin_sort_key

    bind = op.get_bind()
    for table in TABLES:
        rows = bind.execute(sa.text(f"SELECT id, title FROM {table}")).all()
        for start in range(0, len(rows), 1000):
            bind.execute(
                sa.text(f"UPDATE {table} SET title_sort = :key WHERE id = :id"),
                [{"id": i, "key": pinyin_sort_key(t or "")} for i, t in rows[start:start + 1000]],
            )
    op.create_index('ix_course_releases_title_sort', 'course_releases', ['title_sort', 'id'])
    op.create_index('ix_microlectures_title_sort', 'microlectures', ['title_sort', 'id'])


def downgrade():
    op.drop_index('ix_microlectures_title_sort', table_name='microlectures')
    op.drop_index('ix_course_releases_title_sort', table_name='course_releases')
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('title_sort')
    op.drop_table('search_vocabulary')
