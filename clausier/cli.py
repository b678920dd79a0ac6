"""Command line for admin tasks: ``python -m clausier --help``. Calls the same services as the pages."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from pathlib import Path

from clausier import config, db, incidents
from clausier.errors import DomainError, ValidationError
from models.enums import Role


def _engine():
    return db.get_engine()


def cmd_upgrade(args: argparse.Namespace) -> int:
    from clausier.setup import prepare_database

    engine = _engine()
    report = prepare_database(engine)
    print(f"Base de données : {engine.url.render_as_string(hide_password=True)}")
    print(f"Schéma à jour (révision {db.current_revision(engine)}).")
    if report.total():
        print(
            f"Données de référence chargées : {report.trades} métiers ROME, {report.communes} communes, {report.qpv} QPV, "
            f"{report.work_kinds} natures de travaux, {report.criteria} critères d'éligibilité, "
            f"{report.contract_types} types de contrat, {report.settings} paramètres."
        )
    return 0


def _read_password(args: argparse.Namespace) -> tuple[str, str]:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        return password, password
    return getpass.getpass("Mot de passe : "), getpass.getpass("Mot de passe (confirmation) : ")


def cmd_create_user(args: argparse.Namespace) -> int:
    from clausier.services import users
    from clausier.setup import prepare_database

    engine = _engine()
    prepare_database(engine)
    password, password2 = _read_password(args)
    try:
        with db.session_scope(engine) as session:
            user = users.create_user(
                session,
                login=args.login,
                name=args.name,
                email=args.email,
                password=password,
                password2=password2,
                role=Role(args.role),
                by="ligne de commande",
                temporary_password=args.temporary,
            )
            login = user.login
    except ValidationError as error:
        for message in error.errors.values():
            print(f"Erreur : {message}", file=sys.stderr)
        return 2
    print(f"Utilisateur « {login} » créé ({Role(args.role).label}).")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from clausier import demo
    from clausier.setup import prepare_database

    engine = _engine()
    prepare_database(engine)
    try:
        report = demo.generate(engine, size=args.size, seed=args.seed)
    except (ValueError, DomainError) as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    print(f"Données de démonstration (taille {args.size}, graine {args.seed}) chargées :")
    print(report.summary() if hasattr(report, "summary") else report)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from clausier.services import backup

    target = Path(args.to) if args.to else config.DATA_DIR / "backups"
    try:
        path = backup.backup(_engine(), target)
    except (DomainError, backup.BackupNotSupported) as error:
        print(str(error), file=sys.stderr)
        return 2
    print(f"Sauvegarde écrite : {path}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from clausier.services import backup

    source = Path(args.file)
    if not args.yes:
        answer = input(f"Remplacer toutes les données actuelles par « {source} » ? Tapez « oui » : ")
        if answer.strip().lower() != "oui":
            print("Restauration annulée.")
            return 1
    try:
        result = backup.restore(_engine(), source)
    except (DomainError, backup.BackupNotSupported) as error:
        print(str(error), file=sys.stderr)
        return 2
    print(f"Base restaurée depuis {source}.")
    if result:
        print(f"Copie de sécurité de la base remplacée : {result}")
    return 0


def cmd_import_hours(args: argparse.Namespace) -> int:
    """Same checks and report as the import page; writes only without --dry-run, all rows or none."""
    from datetime import date

    from clausier.services import import_hours, users

    data = _read_input(args.file)
    if data is None:
        return 2
    name = Path(args.file).name
    with db.session_scope(_engine()) as session:
        try:
            preview = import_hours.preview_file(session, data, name, date.today(), sheet=args.sheet)
        except DomainError as error:
            print(f"Fichier refusé : {error}", file=sys.stderr)
            return 2
        print(preview.summary())
        for warning in preview.warnings:
            print(f"Attention : {warning}")
        for e in preview.errors:
            print(f"ligne {e.line}, colonne « {e.column} », valeur « {e.value} » : {e.reason}")
        if preview.error_count > len(preview.errors):
            print(f"… et {preview.error_count - len(preview.errors)} autre(s) erreur(s) non affichée(s).")
        if preview.error_count:
            print("Fichier refusé : rien n'a été enregistré.", file=sys.stderr)
            return 1
        if args.dry_run:
            print("Essai à blanc : rien n'a été enregistré.")
            return 0
        user = users.current_user(session, args.user)
        if user is None:
            print(f"Utilisateur « {args.user} » inconnu ou inactif.", file=sys.stderr)
            return 2
        try:
            batch = import_hours.apply(session, preview, user)
        except DomainError as error:  # the import's own writes are undone; its audit line is kept
            print(f"Fichier refusé : {error}", file=sys.stderr)
            return 1
        print(f"Import n° {batch.id} enregistré : {batch.rows_added} ajoutée(s), {batch.rows_changed} modifiée(s).")
    return 0


def _read_input(file_name: str) -> bytes | None:
    """The bytes of a file named on the command line, or None after a French message."""
    path = Path(file_name)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        print(f"Fichier introuvable : « {file_name} ».", file=sys.stderr)
    except IsADirectoryError:
        print(f"« {file_name} » est un dossier, pas un fichier.", file=sys.stderr)
    except PermissionError:
        print(f"Lecture de « {file_name} » refusée (droits du fichier).", file=sys.stderr)
    except OSError as error:
        print(f"Lecture de « {file_name} » impossible : {error.strerror or error}.", file=sys.stderr)
    return None


def cmd_anonymise(args: argparse.Namespace) -> int:
    """GDPR retention (DESIGN §6): list the participants with no activity for « retention_years » and, with
    --apply, anonymise them all in one transaction, as the admin named by --user."""
    from datetime import date

    from clausier.services import participants, users

    with db.session_scope(_engine()) as session:
        user = users.current_user(session, args.user)
        if user is None or not user.can(Role.ADMIN):
            print(f"« {args.user} » n'est pas un administrateur actif.", file=sys.stderr)
            return 2
        today = date.today()
        rows = participants.retention_candidates(session, today)
        limit = participants.retention_limit(session, today)
        print(f"{len(rows)} participant(s) sans activité depuis le {limit:%d/%m/%Y}.")
        if not args.apply:
            print("Essai à blanc : personne n'a été anonymisé (ajoutez --apply).")
            return 0
        done = participants.anonymise_expired(session, user, [r.participant_id for r in rows], today)
        print(f"{done} participant(s) anonymisé(s).")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """The values kept for speed against what they summarise: the hours totals per commitment and month against
    the hours, each running contract's next follow-up due against its log. Exit status 1 when one differs (after
    a write made outside the application, say); --repair computes them all again in one transaction."""
    from clausier.formatting import fmt_hours
    from clausier.services import derived

    with db.session_scope(_engine()) as session:
        found = derived.mismatches(session)
        hours, dues = found["heures"], found["suivis"]
        print(f"Totaux d'heures conservés : {_verdict(len(hours))}.")
        print(f"Prochains suivis conservés sur les contrats : {_verdict(len(dues))}.")
        for commitment_id, month, kept, summed in hours[:10]:
            when = f"{month:%m/%Y}" if month else "toutes périodes"
            kept_h, summed_h = fmt_hours(kept, 2), fmt_hours(summed, 2)
            print(f"  engagement n° {commitment_id}, {when} : {kept_h} conservées, {summed_h} saisies")
        for contract_id, kept, computed in dues[:10]:
            print(f"  contrat n° {contract_id} : {_due_text(kept)} conservé, {_due_text(computed)} d'après le journal")
        if not hours and not dues:
            return 0
        if not args.repair:
            print("Relancez avec --repair pour les recalculer.")
            return 1
        derived.rebuild_all(session)
        print("Recalculés.")
    return 0


def _verdict(count: int) -> str:
    return "à jour" if count == 0 else f"{count} écart(s)"


def _due_text(due) -> str:
    on, kind = due
    return "rien" if on is None else f"{on:%d/%m/%Y} ({kind})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m clausier",
        description="Clausier — tâches d'administration (base de données, utilisateurs, démonstration, sauvegardes). "
        "La base utilisée est celle de DATABASE_URL, sinon data/clausier.db.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")

    p = sub.add_parser("upgrade", help="mettre le schéma à jour (Alembic) et charger les données de référence")
    p.set_defaults(func=cmd_upgrade)

    p = sub.add_parser("create-user", help="créer un utilisateur")
    p.add_argument("--login", required=True, help="identifiant (minuscules, chiffres, . _ -)")
    p.add_argument("--name", required=True, help="nom et prénom")
    p.add_argument("--email", required=True)
    p.add_argument("--role", choices=[r.value for r in Role], default=Role.SAISIE.value)
    p.add_argument("--password-stdin", action="store_true", help="lire le mot de passe sur l'entrée standard")
    p.add_argument("--temporary", action="store_true", help="l'utilisateur devra changer son mot de passe")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("demo", help="charger un territoire de démonstration (base vide)")
    p.add_argument(
        "--size",
        choices=["S", "M", "L"],
        default="S",
        help="S : une équipe sur un an ; M : dix ans ; L : une plateforme régionale",
    )
    p.add_argument("--seed", type=int, default=1, help="graine (même graine, mêmes données)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("import-hours", help="importer un relevé d'heures (CSV ou .xlsx)")
    p.add_argument("file", metavar="FICHIER")
    p.add_argument("--sheet", help="feuille du classeur Excel (défaut : la première)")
    p.add_argument("--dry-run", action="store_true", help="vérifier seulement, sans rien enregistrer")
    p.add_argument("--user", default="admin", help="identifiant de l'utilisateur qui importe (rôle saisie)")
    p.set_defaults(func=cmd_import_hours)

    p = sub.add_parser("anonymise", help="RGPD : anonymiser les participants sans activité depuis la durée fixée")
    p.add_argument("--apply", action="store_true", help="anonymiser (sans cette option : compter seulement)")
    p.add_argument("--user", default="admin", help="identifiant de l'administrateur qui anonymise")
    p.set_defaults(func=cmd_anonymise)

    p = sub.add_parser("check", help="comparer les totaux d'heures et les prochains suivis conservés à leurs sources")
    p.add_argument("--repair", action="store_true", help="recalculer ce qui diffère")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("backup", help="sauvegarder la base (SQLite, à chaud)")
    p.add_argument("--to", help="dossier ou fichier de destination (défaut : data/backups/)")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restaurer une sauvegarde (remplace toutes les données)")
    p.add_argument("file", help="fichier de sauvegarde .db")
    p.add_argument("--yes", action="store_true", help="ne pas demander de confirmation")
    p.set_defaults(func=cmd_restore)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Every command ends with a French message: a refusal says why (exit 2), an unexpected error apologises
    with a reference whose traceback goes to the log (exit 70), never a bare traceback."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except DomainError as error:
        print(str(error), file=sys.stderr)
        return 2
    except (KeyboardInterrupt, EOFError):
        print("Commande interrompue : rien n'a été enregistré à moitié.", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 — the last line of defence of a command
        print(incidents.apology(incidents.report(error)), file=sys.stderr)
        return 70
