"""Annuaire ESS / SIAE: the ESS and SIAE structures by ROME trade, with their contacts, as a PDF brochure the team
hands to buyers and companies preparing reserved markets (L2113-12/13), insertion markets or subcontracting.

The structures are those of ``clausier.services.partners.structures_by_trade`` (the « Structures ESS / SIAE par
métier » tab of the Partenaires page): partners of kind ESS, SIAE or GEIQ with their trades, and companies of kind
EI, ETTI, AI, ACI, ESS, EA or ESAT with the trades seen in their work. A structure working in several trades is
listed under each; the structures with no trade known come last.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlmodel import Session, col, select

from clausier.formatting import fmt_date, fmt_number
from clausier.reports.pdf import PdfDocument
from clausier.rules.siret import format_siret
from clausier.services import partners
from clausier.services.partners import Structure
from models import Trade

TITLE = "Annuaire des structures de l'ESS et de l'IAE par métier"
NO_TRADE = "Métiers non précisés"
COLUMNS = ["Structure", "Type", "Commune", "Contact", "E-mail", "Téléphone"]


@dataclass(frozen=True)
class Directory:
    pdf: bytes
    page_count: int
    file_name: str
    structures: int
    trades: int


def _frame(structures: list[Structure]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Structure": [s.name + (f" (SIRET {format_siret(s.siret)})" if s.siret else "") for s in structures],
            "Type": [s.kind_label for s in structures],
            "Commune": [s.commune for s in structures],
            "Contact": [s.contact_name for s in structures],
            "E-mail": [s.contact_email for s in structures],
            "Téléphone": [s.contact_phone for s in structures],
        },
        columns=COLUMNS,
    )


def build(session: Session, today: date, trade_code: str | None = None) -> Directory:
    """The brochure of every structure (or of one trade's), grouped by ROME domain and trade."""
    found = partners.structures_by_trade(session, trade_code)
    by_trade: dict[str, list[Structure]] = defaultdict(list)
    without: list[Structure] = []
    for structure in found:
        codes = [t.code for t in structure.trades if trade_code is None or t.code == trade_code]
        for code in codes:
            by_trade[code].append(structure)
        if not structure.trades:
            without.append(structure)
    trades = {
        code: (label, domain)
        for code, label, domain in session.exec(
            select(Trade.code, Trade.label, Trade.domain).where(col(Trade.code).in_(sorted(by_trade)))
        )
    }

    subtitle = ["À l'usage des acheteurs et des entreprises : marchés réservés, sous-traitance et cotraitance"]
    if trade_code:
        label = trades.get(trade_code, ("", ""))[0]
        subtitle.append(f"Métier : {trade_code} – {label}")
    subtitle.append(f"Situation au {fmt_date(today)}")
    doc = PdfDocument(TITLE, subtitle)
    doc.paragraph(
        "Les structures de l'insertion par l'activité économique (SIAE : entreprises d'insertion, entreprises de "
        "travail temporaire d'insertion, associations intermédiaires, ateliers et chantiers d'insertion), les "
        "entreprises adaptées, les ESAT, les GEIQ et les autres structures de l'économie sociale et solidaire "
        "peuvent répondre aux marchés réservés (articles L2113-12 et L2113-13 du code de la commande publique), "
        "être cotraitantes ou sous-traitantes d'une entreprise attributaire, ou mettre du personnel à sa "
        "disposition pour réaliser les heures d'insertion d'une clause sociale."
    )
    doc.key_figures(
        [
            ("Structures", fmt_number(len(found))),
            ("Métiers couverts", fmt_number(len(by_trade))),
            ("Sans métier précisé", fmt_number(len(without))),
        ]
    )
    if not found:
        doc.paragraph("Aucune structure de l'ESS ou de l'IAE n'est enregistrée pour ce choix.")
    else:
        ordered = sorted(by_trade, key=lambda code: (trades.get(code, ("", "~"))[1], code))
        doc.table(
            pd.DataFrame(
                {
                    "Métier": [f"{code} – {trades.get(code, ('', ''))[0]}" for code in ordered],
                    "Structures": [len(by_trade[code]) for code in ordered],
                }
            ),
            title="Sommaire : structures par métier",
        )
        domain = None
        for code in ordered:
            label, trade_domain = trades.get(code, ("", ""))
            if trade_domain != domain:
                domain = trade_domain
                doc.heading(domain or "Autres métiers", level=1)
            doc.heading(f"{code} – {label}", level=2)
            doc.table(_frame(by_trade[code]))
        if without and trade_code is None:
            doc.heading(NO_TRADE, level=1)
            doc.note("Structures enregistrées sans métier : ajoutez-leur des métiers dans la page Partenaires.")
            doc.table(_frame(without))
    doc.note(
        "Source : annuaire des partenaires et entreprises de Clausier (contacts professionnels). Pour une mise à "
        "jour, adressez-vous à l'équipe des facilitateurs de la clause sociale."
    )
    pdf = doc.build()
    suffix = f"-{trade_code}" if trade_code else ""
    return Directory(
        pdf=pdf,
        page_count=doc.page_count or 0,
        file_name=f"annuaire-ess-siae{suffix}-{today.isoformat()}.pdf",
        structures=len(found),
        trades=len(by_trade),
    )
