"""Catalogues of the demo territory (Communauté urbaine de Dunkerque): names, places, lots, trades.

Everything here is plain data read by ``clausier.demo``. People, companies and contacts are fictional;
phone numbers are in the ranges ARCEP keeps for fiction, e-mail addresses under ``example.org``.
"""

from __future__ import annotations

# Catalogues stay compact (one list on a few lines) rather than one name a line.
# fmt: off

# --- Territory ------------------------------------------------------------------------------------------------

# Rough population of each commune (weights for where people live and where operations take place).
COMMUNE_WEIGHTS: dict[str, int] = {
    "Dunkerque": 87000,
    "Coudekerque-Branche": 20500,
    "Grande-Synthe": 20000,
    "Gravelines": 11000,
    "Téteghem-Coudekerque-Village": 8000,
    "Cappelle-la-Grande": 7700,
    "Bourbourg": 7000,
    "Loon-Plage": 6200,
    "Grand-Fort-Philippe": 5000,
    "Bray-Dunes": 4500,
    "Ghyvelde": 4300,
    "Leffrinckoucke": 4300,
    "Armbouts-Cappel": 2800,
    "Spycker": 1800,
    "Zuydcoote": 1700,
    "Craywick": 700,
    "Saint-Georges-sur-l'Aa": 350,
}
DEFAULT_COMMUNE_WEIGHT = 2000

# INSEE codes missing from the shipped list (used to build a town hall's SIREN).
KNOWN_INSEE = {"Gravelines": "59273"}

# Priority neighbourhoods whose commune is not in the reference list: keyword of the name → commune.
QPV_COMMUNES = {"Albeck": "Grande-Synthe"}
QPV_DEFAULT_COMMUNE = "Dunkerque"

DUNKERQUE_QUARTERS = [
    "Malo-les-Bains", "Rosendaël", "Petite-Synthe", "Saint-Pol-sur-Mer", "Fort-Mardyck", "Mardyck", "Basse-Ville",
    "Citadelle", "Grand Large", "Soubise", "Jeu de Mail", "Île Jeanty", "Banc Vert", "Carré de la Vieille",
    "Dunkerque-Centre", "Neptune", "Excentric", "Pont-Loby",
]

STREETS = [
    "rue de la République", "avenue de Rosendaël", "rue du Jeu de Mail", "rue Carnot", "boulevard Sainte-Barbe",
    "rue de Lille", "rue des Fusillés", "avenue des Bains", "rue Jean Jaurès", "rue de la Paix", "rue Victor Hugo",
    "place de la Gare", "rue du Président Wilson", "avenue de la Mer", "rue Paul Machy", "rue de Bergues",
    "rue de l'Égalité", "rue Lamartine", "avenue Kléber", "rue du Kruysbellaert", "rue de Cassel", "rue Gambetta",
    "chemin des Wateringues", "rue des Pêcheurs", "route de Bourbourg", "rue Jeanne d'Arc", "avenue de Petite-Synthe",
    "rue Albert Mahieu", "rue de la Concorde", "boulevard de l'Europe",
]

PERSONS = [
    "Jean Bart", "Lucie Aubrac", "Jules Ferry", "Jean Jaurès", "Victor Hugo", "Simone Veil", "Marie Curie",
    "Louise Michel", "Lamartine", "Paul Machy", "Anne Frank", "Guy Môquet", "Jacques Prévert", "Albert Camus",
    "Pablo Neruda", "Nelson Mandela", "Gaston Berger", "Rosa Parks", "Jean Zay", "Olympe de Gouges",
    "Marguerite Yourcenar", "Jean Moulin", "Joséphine Baker", "Gisèle Halimi",
]

RESIDENCES = [
    "des Glacis", "du Banc Vert", "Jean Bart", "Lamartine", "de l'Île Jeanty", "du Carré de la Vieille",
    "des Nouvelles Synthes", "du Moulin", "de l'Albeck", "Europe", "des Dunes", "du Courghain", "Degroote",
    "du Petit Steendam", "Soubise", "des Pêcheurs", "du Jeu de Mail", "du Kruysbellaert", "des Tilleuls",
    "des Acacias", "Les Peupliers", "du Phare", "de la Citadelle", "Les Mouettes",
]

PROGRAMMES = [
    "Les Terrasses du Grand Large", "Le Clos des Dunes", "Les Jardins de Malo", "Le Carré Jean Bart",
    "Les Rives du Canal", "Horizon Mer", "Le Domaine des Moëres", "Les Hauts de Rosendaël", "Le Quai des Docks",
    "Les Allées du Môle", "Cap Opale", "Le Belvédère", "Les Balcons du Port", "L'Écrin de Malo",
]

# --- Buyers ---------------------------------------------------------------------------------------------------

# name, kind (BuyerKind value), commune, weight in the choice of an operation's buyer, SIREN or None
BUYERS: list[tuple[str, str, str | None, int, str | None]] = [
    ("Communauté urbaine de Dunkerque", "epci", "Dunkerque", 22, "245900428"),
    ("Ville de Dunkerque", "collectivite", "Dunkerque", 12, None),
    ("Partenord Habitat", "bailleur_social", "Dunkerque", 8, None),
    ("Flandre Opale Habitat", "bailleur_social", "Dunkerque", 8, None),
    ("Ville de Grande-Synthe", "collectivite", "Grande-Synthe", 5, None),
    ("Ville de Coudekerque-Branche", "collectivite", "Coudekerque-Branche", 4, None),
    ("Centre hospitalier de Dunkerque", "hopital", "Dunkerque", 3, None),
    ("Département du Nord", "collectivite", None, 4, "225900018"),
    ("Grand Port Maritime de Dunkerque", "etablissement_public", "Dunkerque", 3, None),
    ("Ville de Gravelines", "collectivite", "Gravelines", 3, None),
    ("Habitat du Nord", "bailleur_social", None, 4, None),
    ("Région Hauts-de-France", "collectivite", None, 3, None),
    ("Ville de Cappelle-la-Grande", "collectivite", "Cappelle-la-Grande", 2, None),
    ("Vilogia", "bailleur_social", None, 3, None),
    ("Ville de Téteghem-Coudekerque-Village", "collectivite", "Téteghem-Coudekerque-Village", 2, None),
    ("SIA Habitat", "bailleur_social", None, 2, None),
    ("Ville de Bourbourg", "collectivite", "Bourbourg", 2, None),
    ("Ville de Loon-Plage", "collectivite", "Loon-Plage", 2, None),
    ("Université du Littoral Côte d'Opale", "etablissement_public", "Dunkerque", 2, None),
    ("Cottage Social des Flandres", "bailleur_social", None, 2, None),
    ("Ville de Leffrinckoucke", "collectivite", "Leffrinckoucke", 1, None),
    ("Ville de Bray-Dunes", "collectivite", "Bray-Dunes", 1, None),
    ("Ville de Ghyvelde", "collectivite", "Ghyvelde", 1, None),
    ("Ville de Grand-Fort-Philippe", "collectivite", "Grand-Fort-Philippe", 1, None),
    ("Direction interdépartementale des routes Nord", "etat", None, 1, None),
    ("Syndicat de l'eau du Dunkerquois", "etablissement_public", "Dunkerque", 2, None),
    ("CCAS de Dunkerque", "etablissement_public", "Dunkerque", 1, None),
    ("Ville d'Armbouts-Cappel", "collectivite", "Armbouts-Cappel", 1, None),
    ("Ville de Zuydcoote", "collectivite", "Zuydcoote", 1, None),
    ("Ville de Spycker", "collectivite", "Spycker", 1, None),
    ("Établissement public de santé mentale des Flandres", "hopital", None, 1, None),
    ("Service départemental d'incendie et de secours du Nord", "etablissement_public", None, 1, None),
    ("Syndicat mixte des transports du Dunkerquois", "etablissement_public", "Dunkerque", 1, None),
    ("Ville de Craywick", "collectivite", "Craywick", 1, None),
    ("Ville de Saint-Georges-sur-l'Aa", "collectivite", "Saint-Georges-sur-l'Aa", 1, None),
]

BUYER_CONTACT_ROLES = [
    "chargée de mission clauses sociales", "responsable de la commande publique", "chef de projet",
    "directeur du patrimoine", "responsable des marchés", "chargé d'opération",
]

# --- Operations and lots --------------------------------------------------------------------------------------

# Operation families: kind of work of the operation, templates of names, lot catalogue, duration in months.
# Templates use {person}, {residence}, {quarter}, {commune}, {n}, {programme}.
OPERATION_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "building": {
        "epci": [
            "Construction du centre aquatique de {quarter}", "Réhabilitation de l'hôtel communautaire",
            "Construction d'une pépinière d'entreprises – {quarter}", "Rénovation énergétique de la piscine de {commune}",
            "Construction d'un pôle culturel – {quarter}", "Extension du dépôt de bus de {commune}",
        ],
        "collectivite": [
            "Construction du groupe scolaire {person}", "Extension de l'école {person}",
            "Rénovation de la salle des sports {person}", "Réhabilitation de la médiathèque de {commune}",
            "Construction d'une maison de quartier – {quarter}", "Restructuration de l'hôtel de ville de {commune}",
            "Rénovation énergétique de l'école maternelle {person}", "Construction d'un multi-accueil petite enfance",
        ],
        "bailleur_social": [
            "Construction de {n} logements locatifs sociaux – {quarter}",
            "Réhabilitation thermique de {n} logements – résidence {residence}",
            "Résidentialisation de la résidence {residence}", "Démolition et reconstruction – résidence {residence}",
            "Réhabilitation de {n} logements individuels – {quarter}",
        ],
        "hopital": [
            "Extension du service des urgences", "Rénovation de l'unité de soins de suite",
            "Construction d'un bâtiment de consultations", "Restructuration du plateau technique",
        ],
        "etablissement_public": [
            "Construction d'un bâtiment d'enseignement – {quarter}", "Rénovation des bureaux de la capitainerie",
            "Construction d'un centre d'incendie et de secours", "Réhabilitation d'un hangar portuaire",
        ],
        "etat": ["Rénovation du centre d'entretien et d'intervention de {commune}"],
        "prive": ["Programme « {programme} » – {n} logements", "Résidence seniors « {programme} »"],
    },
    "vrd": {
        "epci": [
            "Requalification de la place {person}", "Aménagement des berges du canal – {quarter}",
            "Extension du réseau de chaleur – {quarter}", "Aménagement de pistes cyclables – {quarter}",
            "Travaux de voirie – {street}", "Aménagement du pôle d'échanges de {commune}",
        ],
        "collectivite": [
            "Réfection de la voirie – {street}", "Aménagement du parvis de l'école {person}",
            "Requalification du centre-bourg de {commune}", "Aménagement d'un city-stade – {quarter}",
        ],
        "bailleur_social": ["Aménagement des espaces extérieurs – résidence {residence}"],
        "etablissement_public": [
            "Réfection des quais – bassin {n}", "Renouvellement des réseaux d'eau potable – {quarter}",
            "Aménagement d'un parking relais à {commune}",
        ],
        "etat": ["Réfection de chaussée – RN 225, section de {commune}"],
        "hopital": ["Réaménagement des parkings du centre hospitalier"],
        "prive": ["Viabilisation du lotissement « {programme} »"],
    },
    "services": {
        "epci": [
            "Entretien des espaces verts communautaires – secteur {n}", "Nettoyage des bâtiments communautaires",
            "Collecte des encombrants et dépôts sauvages", "Propreté des plages de la Digue de Mer",
        ],
        "collectivite": [
            "Entretien des espaces verts de {commune}", "Nettoyage des écoles et bâtiments communaux de {commune}",
            "Fauchage et entretien des fossés – {commune}", "Restauration scolaire de {commune}",
        ],
        "bailleur_social": [
            "Nettoyage des parties communes – secteur {quarter}", "Entretien des espaces verts du patrimoine – {quarter}",
        ],
        "hopital": ["Nettoyage des locaux hospitaliers", "Entretien des espaces verts du centre hospitalier"],
        "etablissement_public": ["Nettoyage des locaux administratifs", "Entretien des espaces verts du port"],
        "etat": ["Entretien des dépendances vertes – {commune}"],
        "prive": ["Entretien des espaces verts de la résidence « {programme} »"],
    },
}

# Templates of the buyers whose work is not that of a town hall: buyer name → family → templates.
BUYER_TEMPLATES: dict[str, dict[str, list[str]]] = {
    "Département du Nord": {
        "building": ["Reconstruction du collège {person}", "Rénovation énergétique du collège {person}"],
        "vrd": ["Entretien des routes départementales – secteur de {commune}", "Réfection de la RD 601 à {commune}"],
        "services": ["Nettoyage des collèges du Dunkerquois", "Fauchage des accotements – secteur de {commune}"],
    },
    "Région Hauts-de-France": {
        "building": ["Rénovation du lycée {person}", "Construction d'un atelier au lycée professionnel {person}"],
        "vrd": ["Aménagement des abords du lycée {person}"],
        "services": ["Nettoyage des lycées du littoral", "Entretien des espaces verts du lycée {person}"],
    },
    "Grand Port Maritime de Dunkerque": {
        "building": ["Réhabilitation d'un hangar portuaire", "Rénovation des bureaux de la capitainerie"],
        "vrd": ["Réfection des quais – bassin {n}", "Aménagement des voiries portuaires – môle {n}"],
        "services": ["Entretien des espaces verts du port", "Nettoyage des locaux portuaires"],
    },
}

# label, ROME code, kind of work — in the order of a building file (lots are numbered in this order)
BUILDING_LOTS: list[tuple[str, str, str]] = [
    ("Désamiantage – démolition – curage", "F1704", "demolition"),
    ("Gros œuvre – maçonnerie", "F1703", "gros_oeuvre"),
    ("Fondations spéciales – béton armé", "F1701", "gros_oeuvre"),
    ("Charpente – couverture", "F1610", "second_oeuvre"),
    ("Étanchéité", "F1613", "second_oeuvre"),
    ("Menuiseries extérieures", "F1607", "second_oeuvre"),
    ("Serrurerie – métallerie", "F1502", "charpente_metal"),
    ("Ravalement – isolation thermique par l'extérieur", "F1611", "second_oeuvre"),
    ("Plâtrerie – cloisons – faux plafonds", "F1601", "second_oeuvre"),
    ("Menuiseries intérieures", "F1604", "second_oeuvre"),
    ("Revêtements de sols souples", "F1609", "second_oeuvre"),
    ("Carrelage – faïence", "F1608", "second_oeuvre"),
    ("Peinture – revêtements muraux", "F1606", "peinture"),
    ("Électricité courants forts et faibles", "F1602", "lots_techniques"),
    ("Plomberie – chauffage – ventilation", "F1603", "lots_techniques"),
    ("VRD – aménagements extérieurs", "F1702", "vrd"),
    ("Espaces verts – plantations", "A1203", "espaces_verts"),
]

VRD_LOTS: list[tuple[str, str, str]] = [
    ("Terrassements généraux", "F1302", "vrd"),
    ("Voirie – chaussées – bordures", "F1702", "vrd"),
    ("Réseaux d'assainissement", "F1705", "vrd"),
    ("Réseaux secs – éclairage public", "F1605", "lots_techniques"),
    ("Signalisation – mobilier urbain", "F1704", "vrd"),
    ("Plantations – espaces verts", "A1203", "espaces_verts"),
]

SERVICE_LOTS: dict[str, list[tuple[str, str, str]]] = {
    "nettoyage": [
        ("Nettoyage des locaux – secteur {n}", "K2204", "nettoyage"),
        ("Nettoyage de la vitrerie", "K2204", "nettoyage"),
        ("Nettoyage des espaces extérieurs", "K2303", "nettoyage"),
    ],
    "espaces_verts": [
        ("Entretien des espaces verts – secteur {n}", "A1203", "espaces_verts"),
        ("Tonte et fauchage", "A1203", "espaces_verts"),
        ("Élagage et abattage", "A1201", "espaces_verts"),
    ],
    "collecte_dechets": [
        ("Collecte des encombrants", "K2303", "collecte_dechets"),
        ("Tri et valorisation des déchets", "K2304", "collecte_dechets"),
    ],
    "services": [
        ("Restauration collective", "G1602", "services"),
        ("Gardiennage et surveillance", "K2503", "services"),
    ],
}
# Weight of each service family in service operations (matched to the templates' wording when possible).
SERVICE_FAMILY_WEIGHTS = {"nettoyage": 40, "espaces_verts": 40, "collecte_dechets": 12, "services": 8}

# Trades close to a lot's trade, for the occasional helper on a site.
RELATED_TRADES: dict[str, list[str]] = {
    "F1703": ["F1704", "F1701"], "F1701": ["F1703", "F1704"], "F1704": ["F1703", "F1702"],
    "F1702": ["F1705", "F1704", "F1302"], "F1705": ["F1702", "F1704"], "F1302": ["F1702", "F1704"],
    "F1601": ["F1606", "F1604"], "F1606": ["F1601", "F1609"], "F1604": ["F1607", "F1601"],
    "F1607": ["F1604", "F1502"], "F1608": ["F1609", "F1606"], "F1609": ["F1608", "F1606"],
    "F1610": ["F1613", "F1501"], "F1613": ["F1610", "F1611"], "F1611": ["F1613", "F1606"],
    "F1502": ["F1607", "F1704"], "F1602": ["F1605", "F1603"], "F1603": ["F1602"], "F1605": ["F1602", "F1702"],
    "A1203": ["A1202", "A1201"], "A1201": ["A1203"], "K2204": ["K2303"], "K2303": ["K2204", "A1203"],
    "K2304": ["K2303", "N1105"], "G1602": ["G1603"], "K2503": ["M1601"],
}

# Licences and certificates a trade usually asks for (offers' requirements, participants' licences).
TRADE_REQUIREMENTS: dict[str, list[str]] = {
    "F1302": ["B", "CACES R482"], "F1702": ["B"], "F1705": ["B"], "F1704": ["CACES R482"], "F1611": ["CACES R486"],
    "F1610": ["CACES R486"], "A1203": ["B"], "A1201": ["B", "CACES R486"], "K2303": ["B"], "K2304": ["CACES R489"],
    "F1605": ["B", "CACES R486"],
}

# NAF code and label by kind of work (the sector of ordinary companies).
SECTORS: dict[str, list[str]] = {
    "gros_oeuvre": ["4399C – Travaux de maçonnerie générale et gros œuvre de bâtiment", "4120B – Construction d'autres bâtiments"],
    "second_oeuvre": [
        "4331Z – Travaux de plâtrerie", "4332A – Travaux de menuiserie bois et PVC", "4391B – Travaux de couverture",
        "4333Z – Travaux de revêtement des sols et des murs", "4329A – Travaux d'isolation", "4399A – Travaux d'étanchéification",
    ],
    "peinture": ["4334Z – Travaux de peinture et vitrerie"],
    "charpente_metal": ["4332B – Travaux de menuiserie métallique et serrurerie", "4391A – Travaux de charpente"],
    "lots_techniques": [
        "4321A – Travaux d'installation électrique dans tous locaux", "4322B – Travaux d'installation d'équipements thermiques",
        "4322A – Travaux d'installation d'eau et de gaz en tous locaux",
    ],
    "demolition": ["4311Z – Travaux de démolition"],
    "vrd": ["4211Z – Construction de routes et autoroutes", "4221Z – Construction de réseaux pour fluides", "4312A – Travaux de terrassement courants"],
    "espaces_verts": ["8130Z – Services d'aménagement paysager"],
    "nettoyage": ["8121Z – Nettoyage courant des bâtiments", "8122Z – Autres activités de nettoyage des bâtiments"],
    "collecte_dechets": ["3811Z – Collecte des déchets non dangereux", "3832Z – Récupération de déchets triés"],
    "services": ["5629A – Restauration collective sous contrat", "8010Z – Activités de sécurité privée"],
}

ACTIVITY_WORDS: dict[str, list[str]] = {
    "gros_oeuvre": ["Maçonnerie", "Bâtiment", "Construction", "Gros Œuvre", "BTP"],
    "second_oeuvre": ["Plâtrerie", "Menuiserie", "Couverture", "Isolation", "Façades", "Carrelage", "Étanchéité"],
    "peinture": ["Peinture", "Décoration", "Revêtements"],
    "charpente_metal": ["Métallerie", "Serrurerie", "Charpente"],
    "lots_techniques": ["Électricité", "Génie Climatique", "Plomberie Chauffage", "Énergies", "Électricité Industrielle"],
    "demolition": ["Démolition", "Désamiantage", "Déconstruction"],
    "vrd": ["TP", "Travaux Publics", "Terrassement", "Voirie Réseaux", "Routes"],
    "espaces_verts": ["Paysages", "Espaces Verts", "Jardins", "Environnement Paysager"],
    "nettoyage": ["Propreté", "Nettoyage", "Services Propreté", "Multiservices"],
    "collecte_dechets": ["Environnement", "Recyclage", "Collecte"],
    "services": ["Restauration", "Sécurité", "Services"],
}
PLACE_WORDS = [
    "Opale", "Flandre", "Littoral", "Côte d'Opale", "Dunes", "Nord Littoral", "Flandre Maritime", "Grand Large",
    "Jean Bart", "Moëres", "Westhoek", "Aa", "Mer du Nord", "Dunkerquois", "Hauts de Flandre", "Calaisis",
]
LEGAL_FORMS = ["SARL", "SAS", "SA", "EURL", "SASU"]
FICTIONAL_GROUPS = ["Batinord", "Constructions du Nord", "Nordtravaux", "Grands Travaux du Littoral", "Opale Bâtisseurs"]

# Insertion structures and other special companies: CompanyKind value → name patterns ({place}).
SPECIAL_COMPANIES: dict[str, list[str]] = {
    "etti": ["ETTI Littoral Intérim Insertion", "ETTI Opale Emploi Solidaire", "ETTI Flandre Intérim Insertion",
             "ETTI Tremplin Intérim {place}", "ETTI Passerelle Travail Temporaire {place}"],
    "interim": ["Intérim Côte d'Opale", "Littoral Travail Temporaire", "Flandre Intérim BTP", "Opale Ressources Intérim",
                "Nord Intérim Industrie et BTP {place}", "Agence Intérim Services {place}"],
    "geiq": ["GEIQ BTP Côte d'Opale", "GEIQ Propreté Hauts-de-France", "GEIQ Industrie et BTP {place}"],
    "ai": ["AI Flandre Services Emploi", "Association intermédiaire Coup de Main {place}"],
    "ei": ["EI Bâtir Ensemble Dunkerque", "Régie de quartier de Grande-Synthe", "EI Propreté Solidaire {place}",
           "EI Rénov'Insertion {place}"],
    "aci": ["ACI Jardins du Littoral", "ACI Dunes et Nature", "Chantier d'insertion Bâti-Patrimoine {place}",
            "ACI Espaces Verts Solidaires {place}"],
    "ea": ["Entreprise adaptée Opale Services", "EA Littoral Propreté {place}"],
    "esat": ["ESAT de la Côte d'Opale", "ESAT Les Ateliers du Dunkerquois {place}"],
    "ess": ["SCOP Habitat Solidaire Flandre", "Coopérative Éco-Construction {place}"],
}
# Share of each special kind among special companies (sizes M and L draw beyond the first ones).
SPECIAL_KIND_WEIGHTS = {"etti": 22, "interim": 22, "geiq": 8, "ai": 8, "ei": 14, "aci": 12, "ea": 5, "esat": 5, "ess": 4}
SPECIAL_SECTORS = {
    "etti": "7820Z – Activités des agences de travail temporaire",
    "interim": "7820Z – Activités des agences de travail temporaire",
    "geiq": "7830Z – Autre mise à disposition de ressources humaines",
    "ai": "7830Z – Autre mise à disposition de ressources humaines",
    "ei": "4399C – Travaux de maçonnerie générale et gros œuvre de bâtiment",
    "aci": "8130Z – Services d'aménagement paysager",
    "ea": "8121Z – Nettoyage courant des bâtiments",
    "esat": "8130Z – Services d'aménagement paysager",
    "ess": "4120A – Construction de maisons individuelles",
}
OTHER_PLACES = [
    "Calais", "Boulogne-sur-Mer", "Saint-Omer", "Hazebrouck", "Bergues", "Hondschoote", "Wormhout", "Bailleul",
    "Armentières", "Lens", "Béthune", "Arras", "Douai", "Valenciennes", "Maubeuge", "Cambrai", "Roubaix",
    "Tourcoing", "Lille", "Audruicq", "Steenvoorde", "Cassel", "Aire-sur-la-Lys", "Marquise",
]

# --- Partners -------------------------------------------------------------------------------------------------

# name, PartnerKind value
INSTITUTIONAL_PARTNERS: list[tuple[str, str]] = [
    ("France Travail Dunkerque Marine", "france_travail"),
    ("France Travail Grande-Synthe", "france_travail"),
    ("Département du Nord – Direction territoriale des Flandres", "departement"),
    ("Mission Locale de l'agglomération dunkerquoise", "mission_locale"),
    ("Maison de l'Emploi du Dunkerquois", "maison_emploi"),
    ("Cap Emploi Nord", "autre"),
    ("France Travail Dunkerque Mardyck", "france_travail"),
    ("France Travail Gravelines", "france_travail"),
    ("Mission Locale des Flandres – antenne de Gravelines", "mission_locale"),
    ("Réseau des acteurs de l'ESS du Dunkerquois", "ess"),
    ("Coopérative d'activité et d'emploi Flandre Littoral", "ess"),
]
TRAINING_BODIES = [
    "AFPA Dunkerque", "GRETA Grand Littoral", "CFA du BTP de Dunkerque", "Institut de formation aux métiers de la propreté",
    "Centre de formation des Compagnons du Littoral", "Organisme de formation Opale Compétences",
    "Lycée professionnel – pôle formation continue", "École de la deuxième chance Côte d'Opale",
]

# --- People ---------------------------------------------------------------------------------------------------

FIRST_NAMES_F = [
    "Amélie", "Chloé", "Léa", "Inès", "Maëlys", "Célia", "Sabrina", "Fatima", "Nadège", "Océane", "Zoé", "Hélène",
    "Agnès", "Mélanie", "Noémie", "Aïcha", "Yasmine", "Sandrine", "Émilie", "Clémence", "Héloïse", "Manon",
    "Laëtitia", "Sophie", "Nathalie", "Karima", "Séverine", "Aurélie", "Jessica", "Priscilla", "Marie-Hélène",
    "Bérénice", "Lucie", "Mégane", "Anaïs", "Justine", "Samia", "Ophélie", "Gaëlle", "Maryse", "Josiane",
    "Françoise", "Céline", "Virginie", "Stéphanie", "Élodie", "Mélissa", "Naïma", "Rachida", "Kenza",
]
FIRST_NAMES_M = [
    "Jérôme", "Grégory", "Kévin", "Mickaël", "Rémi", "Théo", "Noé", "Loïc", "Benoît", "François", "Stéphane",
    "Cédric", "Frédéric", "Sébastien", "Hervé", "Anthony", "Dylan", "Mehdi", "Karim", "Youssef", "Mamadou",
    "Bilal", "Joël", "Gaëtan", "Maël", "Aurélien", "Valentin", "Jean-François", "Jérémy", "Ludovic", "Thibaut",
    "Nicolas", "Rachid", "Hakim", "Samir", "Damien", "Yannick", "Ryan", "Enzo", "Matthéo", "Quentin", "Bastien",
    "Éric", "Pascal", "Didier", "Thierry", "Franck", "Sofiane", "Ibrahima", "Moussa", "Jean-Noël", "Clément",
]
LAST_NAMES = [
    "Vandenbussche", "Declercq", "Vanhove", "Deschodt", "Verbeke", "Deconinck", "Vandamme", "Vermersch", "Desmet",
    "Lefebvre", "Lefèvre", "Dupont", "Denis", "Dewaele", "Goethals", "Ryckebusch", "Hennebelle", "Caron", "Lemaire",
    "Deprez", "Fèvre", "Noël", "Hochart", "Bézier", "Gérard", "Mézière", "Benaïssa", "Bouchaïb", "Diallo",
    "Traoré", "N'Diaye", "Saïdi", "Haddad", "Ménard", "Pétillon", "Lesage", "Lhermitte", "Delattre", "Bécu",
    "Vandewalle", "Debaecker", "Ducrocq", "Lebrun", "Vasseur", "Boulanger", "Wyckaert", "Verhaeghe", "Castelain",
    "Dequidt", "Decroos", "Baert", "Vanpeene", "Lamblin", "Cuvelier", "Delannoy", "Mahieu", "Ghesquière",
    "Delplace", "Carpentier", "Fournier", "Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Michel", "Garcia", "Roux", "Fontaine", "Chevalier", "Robin", "Masson", "Sanchez", "Muller",
    "Lefranc", "Boulogne", "Dufour", "Blondel", "Cordier", "Lecomte", "Hermant", "Bultel", "Coppin", "Leclercq",
    "Bonnière", "Crépin", "Défossez", "Mérieux", "Hédouin", "Labbé", "Benali", "Belkacem", "Hamidi", "Khelifi",
    "Ouali", "Amrani", "Ziani", "Kaya", "Yılmaz", "Nowak", "Kowalski", "Da Silva", "Pereira", "Ferreira",
    "Gonçalves", "Van de Velde", "Van Houtte", "Vanlerberghe", "Lagaisse", "Zoonekindt", "Dezitter", "Ledez",
]

ANTENNAS = [
    "Antenne Dunkerque-Centre", "Antenne Grande-Synthe", "Antenne Saint-Pol-sur-Mer", "Antenne Coudekerque-Branche",
    "Antenne Gravelines – Bourbourg", "Antenne Rosendaël – Malo", "Antenne Petite-Synthe",
]
DUNKERQUE_ANTENNAS = [
    "Antenne Dunkerque-Centre", "Antenne Saint-Pol-sur-Mer", "Antenne Rosendaël – Malo", "Antenne Petite-Synthe",
]
# Antenna of each commune outside Dunkerque (Dunkerque's people go to one of DUNKERQUE_ANTENNAS).
COMMUNE_ANTENNA = {
    "Grande-Synthe": "Antenne Grande-Synthe", "Coudekerque-Branche": "Antenne Coudekerque-Branche",
    "Gravelines": "Antenne Gravelines – Bourbourg", "Bourbourg": "Antenne Gravelines – Bourbourg",
    "Grand-Fort-Philippe": "Antenne Gravelines – Bourbourg", "Loon-Plage": "Antenne Gravelines – Bourbourg",
    "Craywick": "Antenne Gravelines – Bourbourg", "Saint-Georges-sur-l'Aa": "Antenne Gravelines – Bourbourg",
    "Cappelle-la-Grande": "Antenne Petite-Synthe", "Armbouts-Cappel": "Antenne Petite-Synthe",
    "Spycker": "Antenne Petite-Synthe", "Leffrinckoucke": "Antenne Rosendaël – Malo",
    "Zuydcoote": "Antenne Rosendaël – Malo", "Bray-Dunes": "Antenne Rosendaël – Malo",
    "Ghyvelde": "Antenne Rosendaël – Malo", "Téteghem-Coudekerque-Village": "Antenne Rosendaël – Malo",
}

# --- Trainings, meetings, notes -------------------------------------------------------------------------------

TRAININGS: list[tuple[str, str]] = [
    ("POE collective – maçon VRD", "F1702"),
    ("Préparation aux métiers de la propreté", "K2204"),
    ("CACES R482 – engins de chantier", "F1302"),
    ("Initiation aux métiers du second œuvre – plaquiste", "F1601"),
    ("Agent d'entretien des espaces verts", "A1203"),
    ("Peintre en bâtiment – parcours qualifiant", "F1606"),
    ("Coffreur-bancheur – POEC", "F1701"),
    ("Façadier – isolation thermique par l'extérieur", "F1611"),
    ("Habilitation électrique et initiation aux lots techniques", "F1602"),
    ("Maçon du bâti ancien – titre professionnel", "F1703"),
]
TRAINING_FUNDERS = ["France Travail (POEC)", "Région Hauts-de-France", "OPCO Constructys", "PLIE – FSE+", "OPCO EP"]

MEETING_TITLES = {
    "comite_technique": "Comité technique clauses sociales",
    "comite_pilotage": "Comité de pilotage du PLIE – bilan des clauses",
    "lancement_chantier": "Réunion de lancement – {operation}",
    "groupe_ess": "Groupe de travail ESS et commande publique",
    "information_collective": "Information collective – {trade}",
}
MEETING_PLACES = [
    "Hôtel communautaire, Dunkerque", "Maison de l'Emploi, Dunkerque", "Salle du conseil, mairie de Grande-Synthe",
    "Base vie du chantier", "Antenne PLIE de Coudekerque-Branche", "Visioconférence",
]

FOLLOW_UP_NOTES = {
    "first": ["Premier contact : prise de poste sans difficulté.", "Premier appel : intégration correcte dans l'équipe.",
              "Appel au tuteur : démarrage satisfaisant, EPI fournis."],
    "visit": ["Visite de chantier avec le chef d'équipe : bonne progression.", "Visite sur site : ponctualité à améliorer.",
              "Visite sur site : salarié autonome sur les tâches confiées."],
    "monthly": ["Point mensuel : RAS.", "Point mensuel : question de transport réglée.",
                "Appel : absence justifiée la semaine dernière.", "Mail au service RH : relevé d'heures transmis."],
    "end": ["Bilan de fin de contrat avec l'employeur.", "Entretien de fin de mission : projet de formation évoqué.",
            "Bilan : proposition d'embauche à l'issue."],
}
REFUSAL_REASONS = [
    "Profil moins expérimenté que le candidat retenu.", "Absence à l'entretien.", "Pas de permis B pour ce poste.",
    "Horaires incompatibles avec la garde d'enfants.", "Candidat retenu sur une autre offre.",
]
CHECK_COMMENTS = [
    "Motivé, parcours cohérent avec le poste.", "Expérience sur chantier, mobilité à confirmer.",
    "Disponible immédiatement, permis B.", "Souhaite une formation à l'issue.",
]
AVIS_MOTIVE_REASONS = [
    "Avis motivé de France Travail : éloignement durable de l'emploi.",
    "Avis motivé de la Mission Locale : jeune sans qualification suivi en accompagnement intensif.",
    "Avis motivé de la MDPH : orientation vers le milieu ordinaire.",
    "Avis motivé de la Maison de l'Emploi : reprise d'activité après une longue interruption.",
]
# fmt: on
