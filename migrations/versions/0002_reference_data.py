"""Reference data: the four dialogues and the five JVAP domains.

Revision ID: 0002_reference_data
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_reference_data"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

DIALOGUES = [
    ("rabat", "Rabat Process", "Processus de Rabat",
     "Euro-African dialogue on migration and development (Central, West and North Africa, Europe).",
     "Dialogue euro-africain sur la migration et le développement (Afrique centrale, de l'Ouest et du Nord, Europe)."),
    ("khartoum", "Khartoum Process", "Processus de Khartoum",
     "EU–Horn of Africa migration route initiative.",
     "Initiative UE–Corne de l'Afrique sur la route migratoire."),
    ("jvap", "Joint Valletta Action Plan (JVAP)", "Plan d'action conjoint de La Valette (PACV)",
     "The Joint Valletta Action Plan and its follow-up.",
     "Le Plan d'action conjoint de La Valette et son suivi."),
    ("c2cmmd", "Continent-to-Continent Migration and Mobility Dialogue (C2CMMD)",
     "Dialogue continent à continent sur la migration et la mobilité (C2CMMD)",
     "The AU–EU Continent-to-Continent Migration and Mobility Dialogue.",
     "Le dialogue UA–UE continent à continent sur la migration et la mobilité."),
]

DOMAINS = [
    (1, "Development benefits of migration and addressing root causes of irregular migration and forced displacement",
     "Avantages de la migration en matière de développement et lutte contre les causes profondes de la migration "
     "irrégulière et du phénomène des personnes déplacées"),
    (2, "Legal migration and mobility", "Migration légale et mobilité"),
    (3, "Protection and asylum", "Protection et asile"),
    (4, "Prevention of and fight against irregular migration, migrant smuggling and trafficking in human beings",
     "Prévention de la migration irrégulière, du trafic de migrants et de la traite des êtres humains, et lutte "
     "contre ces phénomènes"),
    (5, "Return, readmission and reintegration", "Retour, réadmission et réintégration"),
]


def upgrade():
    dialogues = sa.table(
        "dialogues",
        sa.column("code", sa.String), sa.column("name_en", sa.String), sa.column("name_fr", sa.String),
        sa.column("description_en", sa.Text), sa.column("description_fr", sa.Text),
    )
    domains = sa.table(
        "jvap_domains", sa.column("number", sa.Integer), sa.column("name_en", sa.String), sa.column("name_fr", sa.String)
    )
    op.bulk_insert(dialogues, [
        {"code": c, "name_en": en, "name_fr": fr, "description_en": den, "description_fr": dfr}
        for c, en, fr, den, dfr in DIALOGUES
    ])
    op.bulk_insert(domains, [{"number": n, "name_en": en, "name_fr": fr} for n, en, fr in DOMAINS])


def downgrade():
    op.execute("DELETE FROM jvap_domains")
    op.execute("DELETE FROM dialogues")
