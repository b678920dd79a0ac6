"""Enumerations of the data model, each with its French labels (one mapping used by forms, tables and exports)."""

from __future__ import annotations

from enum import Enum

import sqlalchemy as sa


class LabelledEnum(str, Enum):
    """A string enum whose members carry a French label (``member.label``)."""

    @property
    def label(self) -> str:
        return LABELS[type(self)][self]

    @classmethod
    def choices(cls) -> list[LabelledEnum]:
        return list(cls)

    @classmethod
    def from_label(cls, label: str) -> LabelledEnum:
        for member in cls:
            if member.label == label:
                return member
        raise ValueError(f"Valeur inconnue : {label}")


def enum_type(enum_cls: type[Enum], name: str | None = None) -> sa.Enum:
    """Stored as its value in a VARCHAR with a CHECK constraint, identical on SQLite and PostgreSQL."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 10,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        name=name or enum_cls.__name__.lower(),
    )


class Role(LabelledEnum):
    ADMIN = "admin"
    SAISIE = "saisie"
    LECTURE = "lecture"


class BuyerKind(LabelledEnum):
    STATE = "etat"
    LOCAL_AUTHORITY = "collectivite"
    INTERCOMMUNAL = "epci"
    SOCIAL_LANDLORD = "bailleur_social"
    HOSPITAL = "hopital"
    PUBLIC_BODY = "etablissement_public"
    PRIVATE = "prive"


class OperationStatus(LabelledEnum):
    SPOTTED = "reperee"
    STUDY = "a_l_etude"
    CLAUSE_INCLUDED = "clause_integree"
    RUNNING = "en_cours"
    FINISHED = "terminee"


class LegalBasis(LabelledEnum):
    EXECUTION_CONDITION = "l2112_2"
    RESERVED_MARKET = "l2113_12_13"
    INSERTION_MARKET = "marche_insertion"
    AWARD_CRITERION = "critere_attribution"
    CCAG_2021 = "ccag_2021_16_1"
    PRIVATE_CONTRACT = "contrat_prive"


class ClauseKind(LabelledEnum):
    HOURS = "heures"
    SHARE_OF_HOURS = "part_heures"


class CompanyKind(LabelledEnum):
    ORDINARY = "classique"
    EI = "ei"
    ETTI = "etti"
    AI = "ai"
    ACI = "aci"
    GEIQ = "geiq"
    TEMP_AGENCY = "interim"
    ESS = "ess"
    EA = "ea"
    ESAT = "esat"


class CompanySize(LabelledEnum):
    MICRO = "micro"
    SMALL = "pme"
    MEDIUM = "eti"
    LARGE = "ge"


class Modality(LabelledEnum):
    DIRECT_HIRE = "embauche_directe"
    PROVISION = "mise_a_disposition"
    SUBCONTRACTING = "sous_traitance"
    TRAINING = "formation"


class Sex(LabelledEnum):
    FEMALE = "F"
    MALE = "M"


class QualificationLevel(LabelledEnum):
    NONE = "sans"
    LEVEL_3 = "3"
    LEVEL_4 = "4"
    LEVEL_5 = "5"
    LEVEL_6_PLUS = "6+"


class ParticipantStatus(LabelledEnum):
    ACTIVE = "actif"
    IN_EMPLOYMENT = "en_emploi"
    EXITED = "sorti"


class ExperienceLevel(LabelledEnum):
    NONE = "aucune"
    BEGINNER = "debutant"
    EXPERIENCED = "experimente"
    CONFIRMED = "confirme"


class OfferChannel(LabelledEnum):
    CANDIDATHEQUE = "niveau_1"
    ANTENNAS = "niveau_2"


class OfferStatus(LabelledEnum):
    OPEN = "ouverte"
    FILLED = "pourvue"
    CANCELLED = "annulee"


class CandidacyStatus(LabelledEnum):
    POSITIONED = "positionne"
    CHECKED = "verifie"
    VALIDATED = "valide"
    PRESENTED = "presente"
    HIRED = "retenu"
    NOT_HIRED = "non_retenu"
    WITHDRAWN = "desiste"


class FollowUpKind(LabelledEnum):
    CALL = "appel"
    MAIL = "mail"
    SITE_VISIT = "visite"
    MEETING = "entretien"


class ContractOutcome(LabelledEnum):
    COMPLETED = "terme"
    HIRED_ON = "embauche"
    EARLY_END_EMPLOYER = "rupture_employeur"
    EARLY_END_EMPLOYEE = "rupture_salarie"
    TRIAL_END = "fin_periode_essai"
    OTHER = "autre"


class SixMonthOutcome(LabelledEnum):
    SUSTAINABLE_JOB = "emploi_durable"
    TRANSITIONAL_JOB = "emploi_transition"
    QUALIFYING_TRAINING = "formation_qualifiante"
    NO_SOLUTION = "sans_solution"


class PartnerKind(LabelledEnum):
    FRANCE_TRAVAIL = "france_travail"
    DEPARTEMENT = "departement"
    MISSION_LOCALE = "mission_locale"
    TEMP_AGENCY = "interim"
    SIAE = "siae"
    GEIQ = "geiq"
    TRAINING_BODY = "organisme_formation"
    ESS = "ess"
    MAISON_EMPLOI = "maison_emploi"
    OTHER = "autre"


class MeetingKind(LabelledEnum):
    TECHNICAL_COMMITTEE = "comite_technique"
    STEERING_COMMITTEE = "comite_pilotage"
    SITE_LAUNCH = "lancement_chantier"
    ESS_WORKING_GROUP = "groupe_ess"
    INFORMATION_SESSION = "information_collective"


class ImportKind(LabelledEnum):
    HOURS = "heures"
    PARTICIPANTS = "participants"
    DECP = "decp"


class SessionEnd(LabelledEnum):
    """Why a login session ended (DESIGN §6)."""

    LOGOUT = "deconnexion"
    PASSWORD_CHANGED = "mot_de_passe_change"
    PASSWORD_RESET = "mot_de_passe_reinitialise"
    ROLE_CHANGED = "role_change"
    DEACTIVATED = "compte_desactive"
    EXPIRED = "expiree"
    IDLE = "inactivite"


class TrainingStatus(LabelledEnum):
    REGISTERED = "inscrit"
    COMPLETED = "termine"
    DROPPED = "abandon"


LABELS: dict[type, dict] = {
    Role: {Role.ADMIN: "Administrateur", Role.SAISIE: "Saisie", Role.LECTURE: "Lecture"},
    BuyerKind: {
        BuyerKind.STATE: "État",
        BuyerKind.LOCAL_AUTHORITY: "Collectivité territoriale",
        BuyerKind.INTERCOMMUNAL: "Intercommunalité",
        BuyerKind.SOCIAL_LANDLORD: "Bailleur social",
        BuyerKind.HOSPITAL: "Établissement de santé",
        BuyerKind.PUBLIC_BODY: "Établissement public",
        BuyerKind.PRIVATE: "Maître d'ouvrage privé",
    },
    OperationStatus: {
        OperationStatus.SPOTTED: "Repérée",
        OperationStatus.STUDY: "À l'étude",
        OperationStatus.CLAUSE_INCLUDED: "Clause intégrée",
        OperationStatus.RUNNING: "En cours",
        OperationStatus.FINISHED: "Terminée",
    },
    LegalBasis: {
        LegalBasis.EXECUTION_CONDITION: "Condition d'exécution (L2112-2)",
        LegalBasis.RESERVED_MARKET: "Marché réservé (L2113-12/13)",
        LegalBasis.INSERTION_MARKET: "Marché d'insertion",
        LegalBasis.AWARD_CRITERION: "Critère d'attribution",
        LegalBasis.CCAG_2021: "Clause type CCAG 2021 art. 16.1",
        LegalBasis.PRIVATE_CONTRACT: "Contrat privé",
    },
    ClauseKind: {ClauseKind.HOURS: "Nombre d'heures", ClauseKind.SHARE_OF_HOURS: "Part des heures travaillées"},
    CompanyKind: {
        CompanyKind.ORDINARY: "Entreprise classique",
        CompanyKind.EI: "Entreprise d'insertion (EI)",
        CompanyKind.ETTI: "Entreprise de travail temporaire d'insertion (ETTI)",
        CompanyKind.AI: "Association intermédiaire (AI)",
        CompanyKind.ACI: "Atelier et chantier d'insertion (ACI)",
        CompanyKind.GEIQ: "GEIQ",
        CompanyKind.TEMP_AGENCY: "Agence d'intérim",
        CompanyKind.ESS: "Structure de l'ESS",
        CompanyKind.EA: "Entreprise adaptée (EA)",
        CompanyKind.ESAT: "ESAT",
    },
    CompanySize: {
        CompanySize.MICRO: "Microentreprise (< 10)",
        CompanySize.SMALL: "PME (10 à 249)",
        CompanySize.MEDIUM: "ETI (250 à 4 999)",
        CompanySize.LARGE: "Grande entreprise (5 000 et plus)",
    },
    Modality: {
        Modality.DIRECT_HIRE: "Embauche directe",
        Modality.PROVISION: "Mise à disposition (ETTI, AI, GEIQ, intérim)",
        Modality.SUBCONTRACTING: "Sous-traitance / cotraitance (SIAE, EA, ESAT)",
        Modality.TRAINING: "Formation",
    },
    Sex: {Sex.FEMALE: "Femme", Sex.MALE: "Homme"},
    QualificationLevel: {
        QualificationLevel.NONE: "Sans qualification (niveau 1-2)",
        QualificationLevel.LEVEL_3: "Niveau 3 (CAP, BEP)",
        QualificationLevel.LEVEL_4: "Niveau 4 (Bac)",
        QualificationLevel.LEVEL_5: "Niveau 5 (Bac+2)",
        QualificationLevel.LEVEL_6_PLUS: "Niveau 6 et plus (Bac+3 et plus)",
    },
    ParticipantStatus: {
        ParticipantStatus.ACTIVE: "Disponible",
        ParticipantStatus.IN_EMPLOYMENT: "En emploi",
        ParticipantStatus.EXITED: "Sorti du dispositif",
    },
    ExperienceLevel: {
        ExperienceLevel.NONE: "Aucune",
        ExperienceLevel.BEGINNER: "Débutant",
        ExperienceLevel.EXPERIENCED: "Expérimenté",
        ExperienceLevel.CONFIRMED: "Confirmé",
    },
    OfferChannel: {
        OfferChannel.CANDIDATHEQUE: "Niveau 1 – Candidathèque",
        OfferChannel.ANTENNAS: "Niveau 2 – Conseillers des antennes",
    },
    OfferStatus: {OfferStatus.OPEN: "Ouverte", OfferStatus.FILLED: "Pourvue", OfferStatus.CANCELLED: "Annulée"},
    CandidacyStatus: {
        CandidacyStatus.POSITIONED: "Positionné",
        CandidacyStatus.CHECKED: "Vérifié",
        CandidacyStatus.VALIDATED: "Validé",
        CandidacyStatus.PRESENTED: "Présenté à l'employeur",
        CandidacyStatus.HIRED: "Retenu",
        CandidacyStatus.NOT_HIRED: "Non retenu",
        CandidacyStatus.WITHDRAWN: "Désisté",
    },
    FollowUpKind: {
        FollowUpKind.CALL: "Appel",
        FollowUpKind.MAIL: "Mail",
        FollowUpKind.SITE_VISIT: "Visite sur site",
        FollowUpKind.MEETING: "Entretien",
    },
    ContractOutcome: {
        ContractOutcome.COMPLETED: "Contrat mené à son terme",
        ContractOutcome.HIRED_ON: "Embauche à l'issue",
        ContractOutcome.EARLY_END_EMPLOYER: "Rupture à l'initiative de l'employeur",
        ContractOutcome.EARLY_END_EMPLOYEE: "Rupture à l'initiative du salarié",
        ContractOutcome.TRIAL_END: "Fin de période d'essai",
        ContractOutcome.OTHER: "Autre",
    },
    SixMonthOutcome: {
        SixMonthOutcome.SUSTAINABLE_JOB: "Emploi durable",
        SixMonthOutcome.TRANSITIONAL_JOB: "Emploi de transition",
        SixMonthOutcome.QUALIFYING_TRAINING: "Formation qualifiante",
        SixMonthOutcome.NO_SOLUTION: "Sans solution",
    },
    PartnerKind: {
        PartnerKind.FRANCE_TRAVAIL: "France Travail",
        PartnerKind.DEPARTEMENT: "Département",
        PartnerKind.MISSION_LOCALE: "Mission Locale",
        PartnerKind.TEMP_AGENCY: "Agence d'intérim",
        PartnerKind.SIAE: "SIAE",
        PartnerKind.GEIQ: "GEIQ",
        PartnerKind.TRAINING_BODY: "Organisme de formation",
        PartnerKind.ESS: "Structure de l'ESS",
        PartnerKind.MAISON_EMPLOI: "Maison de l'Emploi",
        PartnerKind.OTHER: "Autre",
    },
    MeetingKind: {
        MeetingKind.TECHNICAL_COMMITTEE: "Comité technique",
        MeetingKind.STEERING_COMMITTEE: "Comité de pilotage",
        MeetingKind.SITE_LAUNCH: "Réunion de lancement de chantier",
        MeetingKind.ESS_WORKING_GROUP: "Groupe de travail ESS",
        MeetingKind.INFORMATION_SESSION: "Information collective",
    },
    ImportKind: {ImportKind.HOURS: "Relevé d'heures", ImportKind.PARTICIPANTS: "Participants", ImportKind.DECP: "DECP"},
    SessionEnd: {
        SessionEnd.LOGOUT: "déconnexion",
        SessionEnd.PASSWORD_CHANGED: "mot de passe changé",
        SessionEnd.PASSWORD_RESET: "mot de passe réinitialisé par un administrateur",
        SessionEnd.ROLE_CHANGED: "rôle modifié",
        SessionEnd.DEACTIVATED: "compte désactivé",
        SessionEnd.EXPIRED: "durée maximale atteinte",
        SessionEnd.IDLE: "inactivité prolongée",
    },
    TrainingStatus: {
        TrainingStatus.REGISTERED: "Inscrit",
        TrainingStatus.COMPLETED: "Terminé",
        TrainingStatus.DROPPED: "Abandon",
    },
}
