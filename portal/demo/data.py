"""The demo facility as plain data: people, organisations, calls, proposals, reviews and grants.

Everything here is fictional. It is modelled on an EU-funded facility supporting the Africa–EU migration and
mobility dialogues (see DOMAIN.md): a first call that awarded 8 grants implemented across 25 African countries
by 29 implementing organisations, a second call under evaluation and a third one open for proposals.

Conventions of this module:
- organisations are referred to by their acronym (unique here), users by their e-mail address;
- money is Decimal; calendar dates are `datetime.date`; the instants of the first call are local times in the
  call's time zone (Europe/Brussels), the dates of the two later calls are counted in days from the day the
  seed runs, so that one call is always open and the other always just closed;
- partners are (acronym, role, budget share in % of the requested amount or None), countries are
  (ISO code, share in %); scores are the six concept-note criteria 1.1, 1.2, 1.3, 1.4, 2.1, 2.2 on the 1–5 scale.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from portal.core.countries import AFRICAN_UNION, EUROPEAN_UNION

PASSWORD = "demo-pass-2026"  # noqa: S105 - the published password of the demo accounts
LOGIN_PATH = "/login"

ADMIN = "admin@demo.example"
MANAGER = "manager@demo.example"
EVALUATOR = "evaluator@demo.example"
EVALUATOR2 = "evaluator2@demo.example"
EVALUATOR3 = "evaluator3@demo.example"
EVALUATOR4 = "evaluator4@demo.example"
APPLICANT = "applicant@demo.example"

# The four accounts printed at the end of `flask seed-demo`, in this order.
DEMO_LOGINS = [
    ("admin", ADMIN),
    ("manager", MANAGER),
    ("evaluator", EVALUATOR),
    ("applicant", APPLICANT),
]

STAFF = [
    {"email": ADMIN, "full_name": "Sofia Marchetti", "role": "admin", "timezone": "Europe/Brussels"},
    {"email": MANAGER, "full_name": "Hélène Vandenberghe", "role": "manager", "timezone": "Europe/Brussels"},
    {"email": EVALUATOR, "full_name": "Kofi Asante-Mensah", "role": "evaluator", "timezone": "Africa/Accra"},
    {"email": EVALUATOR2, "full_name": "Isabel Moreira", "role": "evaluator", "timezone": "Europe/Lisbon"},
    {
        "email": EVALUATOR3,
        "full_name": "Marie-Claire Ndayishimiye",
        "role": "evaluator",
        "timezone": "Africa/Kigali",
        "locale": "fr",
    },
    {"email": EVALUATOR4, "full_name": "Lars Østergaard", "role": "evaluator", "timezone": "Europe/Copenhagen"},
]

# The evaluators' profiles: expertise (JVAP domains), languages, countries they know; each signed the declaration.
EVALUATOR_PROFILES = {
    EVALUATOR: {
        "domains": [1, 2, 5],
        "languages": ["en", "fr"],
        "countries": ["GH", "SN", "NG", "CI"],
        "themes": "Labour mobility, diaspora engagement, West African migration routes",
    },
    EVALUATOR2: {
        "domains": [2, 3, 4],
        "languages": ["en", "pt", "fr"],
        "countries": ["PT", "CV", "SN", "MA"],
        "themes": "Legal pathways, protection, return and reintegration",
    },
    EVALUATOR3: {
        "domains": [1, 3, 4],
        "languages": ["fr", "en"],
        "countries": ["RW", "BI", "CD", "ML", "NE"],
        "themes": "Forced displacement, smuggling and trafficking, Great Lakes and Sahel",
    },
    EVALUATOR4: {
        "domains": [4, 5],
        "languages": ["en"],
        "countries": ["DK", "ET", "ER", "SD"],
        "themes": "Return, readmission and the Khartoum Process",
    },
}

# Every organisation has one contact person (role applicant), contact@<acronym>.demo.example unless named.
ORGANISATIONS = [
    # -- the demo applicant's organisation: lead of grant G02 of the first call, applying again in the open call
    {
        "acronym": "ROAMD",
        "legal_name": "Réseau Ouest-Africain Migration et Développement",
        "type": "ngo",
        "country": "SN",
        "registration_number": "SN-DKR-2011-B-04217",
        "website": "https://www.roamd.example",
        "contact": {"email": APPLICANT, "full_name": "Aminata Diallo", "timezone": "Africa/Dakar"},
    },
    # -- implementing organisations of the first call's grants
    {
        "acronym": "AMEDL",
        "legal_name": "Association des Maliens de l'Extérieur pour le Développement Local",
        "type": "diaspora",
        "country": "FR",
        "registration_number": "W751204583",
        "website": "https://www.amedl.example",
        "contact": {"full_name": "Moussa Keïta", "timezone": "Europe/Paris", "locale": "fr"},
    },
    {
        "acronym": "GRADE",
        "legal_name": "Gambia Returnees and Diaspora Enterprise Network",
        "type": "ngo",
        "country": "GM",
        "registration_number": "NGO/AA/2014/0381",
        "website": "https://www.grade-gambia.example",
        "contact": {"full_name": "Fatoumata Jallow", "timezone": "Africa/Banjul"},
    },
    {
        "acronym": "OMM",
        "legal_name": "Observatoire Mauritanien des Mobilités",
        "type": "research",
        "country": "MR",
        "registration_number": "MR-ASSOC-2016-0112",
        "website": "https://www.omm-mobilites.example",
        "contact": {"full_name": "Mohamed Lemine Ould Sidi", "timezone": "Africa/Nouakchott", "locale": "fr"},
    },
    {
        "acronym": "IMREM",
        "legal_name": "Institut Maghrébin de Recherche sur les Mobilités",
        "type": "research",
        "country": "MA",
        "registration_number": "MA-RAB-2015-0874",
        "website": "https://www.imrem.example",
        "contact": {"full_name": "Youssef El Amrani", "timezone": "Africa/Casablanca", "locale": "fr"},
    },
    {
        "acronym": "FTME",
        "legal_name": "Forum Tunisien pour la Mobilité Équitable",
        "type": "ngo",
        "country": "TN",
        "registration_number": "TN-JORT-2012-3341",
        "website": "https://www.ftme.example",
        "contact": {"full_name": "Salma Ben Youssef", "timezone": "Africa/Tunis", "locale": "fr"},
    },
    {
        "acronym": "ECMS",
        "legal_name": "Egyptian Centre for Migration and Skills Studies",
        "type": "research",
        "country": "EG",
        "registration_number": "EG-NGO-1457-2013",
        "website": "https://www.ecms-egypt.example",
        "contact": {"full_name": "Nour El-Din Hassan", "timezone": "Africa/Cairo"},
    },
    {
        "acronym": "ILMS",
        "legal_name": "Institute for Labour Mobility Studies",
        "type": "research",
        "country": "NL",
        "registration_number": "KVK-71234567",
        "website": "https://www.ilms.example",
        "contact": {"full_name": "Femke de Vries", "timezone": "Europe/Amsterdam"},
    },
    {
        "acronym": "ASP",
        "legal_name": "Alternatives Sahel Protection",
        "type": "ngo",
        "country": "NE",
        "registration_number": "NE-ONG-0287-MI-SP",
        "website": "https://www.alternatives-sahel.example",
        "contact": {"full_name": "Ibrahim Moussa Maïga", "timezone": "Africa/Niamey", "locale": "fr"},
    },
    {
        "acronym": "TSM",
        "legal_name": "Tchad Solidarité Migrants",
        "type": "ngo",
        "country": "TD",
        "registration_number": "TD-ONG-0419-2017",
        "website": "https://www.tchad-solidarite.example",
        "contact": {"full_name": "Achta Mahamat Abakar", "timezone": "Africa/Ndjamena", "locale": "fr"},
    },
    {
        "acronym": "LNMLA",
        "legal_name": "Libyan Network for Migrant Legal Aid",
        "type": "ngo",
        "country": "LY",
        "registration_number": "CSC-LY-2019-0213",
        "website": "https://www.lnmla.example",
        "contact": {"full_name": "Omar Al-Mabrouk", "timezone": "Africa/Tripoli"},
    },
    {
        "acronym": "CSMD",
        "legal_name": "Centro Studi Mediterraneo sui Diritti",
        "type": "research",
        "country": "IT",
        "registration_number": "CF-97845620581",
        "website": "https://www.csmd.example",
        "contact": {"full_name": "Giulia Ferraro", "timezone": "Europe/Rome"},
    },
    {
        "acronym": "HAMO",
        "legal_name": "Horn of Africa Migration Observatory",
        "type": "research",
        "country": "KE",
        "registration_number": "OP.218/051/15-0432/10512",
        "website": "https://www.hamo.example",
        "contact": {"full_name": "Wanjiru Kamau", "timezone": "Africa/Nairobi"},
    },
    {
        "acronym": "EWRA",
        "legal_name": "Ethiopian Women Returnees Association",
        "type": "ngo",
        "country": "ET",
        "registration_number": "ACSO-2891",
        "website": "https://www.ewra.example",
        "contact": {"full_name": "Meron Tesfaye", "timezone": "Africa/Addis_Ababa"},
    },
    {
        "acronym": "SYMI",
        "legal_name": "Somali Youth Mobility Initiative",
        "type": "ngo",
        "country": "SO",
        "registration_number": "MOIFD/NGO/2020/117",
        "website": "https://www.symi.example",
        "contact": {"full_name": "Abdirahman Warsame", "timezone": "Africa/Mogadishu"},
    },
    {
        "acronym": "SODS",
        "legal_name": "Sudanese Organisation for Displacement Studies",
        "type": "research",
        "country": "SD",
        "registration_number": "HAC-SD-2014-0932",
        "website": "https://www.sods.example",
        "contact": {"full_name": "Amna Osman Elbashir", "timezone": "Africa/Khartoum"},
    },
    {
        "acronym": "REI",
        "legal_name": "Returnee Empowerment Initiative",
        "type": "ngo",
        "country": "NG",
        "registration_number": "CAC/IT/NO 98431",
        "website": "https://www.rei-nigeria.example",
        "contact": {"full_name": "Chinonso Okafor", "timezone": "Africa/Lagos"},
    },
    {
        "acronym": "GCML",
        "legal_name": "Ghana Centre for Migration and Livelihoods",
        "type": "research",
        "country": "GH",
        "registration_number": "CG-0932-2016",
        "website": "https://www.gcml.example",
        "contact": {"full_name": "Akosua Boateng", "timezone": "Africa/Accra"},
    },
    {
        "acronym": "AIR",
        "legal_name": "Association Ivoirienne pour la Réinsertion",
        "type": "ngo",
        "country": "CI",
        "registration_number": "CI-ASS-2013-0561",
        "website": "https://www.air-reinsertion.example",
        "contact": {"full_name": "Yao Kouassi N'Guessan", "timezone": "Africa/Abidjan", "locale": "fr"},
    },
    {
        "acronym": "ADFB",
        "legal_name": "African Diaspora Forum Belgium",
        "type": "diaspora",
        "country": "BE",
        "registration_number": "0712.345.678",
        "website": "https://www.adfb.example",
        "contact": {"full_name": "Patrick Mbuyi Kalala", "timezone": "Europe/Brussels", "locale": "fr"},
    },
    {
        "acronym": "SCMRC",
        "legal_name": "Sahel Climate and Mobility Research Centre",
        "type": "research",
        "country": "BF",
        "registration_number": "BF-RECH-2009-0044",
        "website": "https://www.scmrc.example",
        "contact": {"full_name": "Adama Ouédraogo", "timezone": "Africa/Ouagadougou", "locale": "fr"},
    },
    {
        "acronym": "URHCA",
        "legal_name": "Uganda Refugee and Host Community Alliance",
        "type": "ngo",
        "country": "UG",
        "registration_number": "INDR-1187-2018",
        "website": "https://www.urhca.example",
        "contact": {"full_name": "Grace Achieng Okello", "timezone": "Africa/Kampala"},
    },
    {
        "acronym": "IKM",
        "legal_name": "Institut für Klima und Mobilität",
        "type": "research",
        "country": "DE",
        "registration_number": "VR 34512 B",
        "website": "https://www.ikm-institut.example",
        "contact": {"full_name": "Jonas Hartmann", "timezone": "Europe/Berlin"},
    },
    {
        "acronym": "PAMPI",
        "legal_name": "Pan-African Mobility Policy Institute",
        "type": "research",
        "country": "ZA",
        "registration_number": "NPC 2012/154321/08",
        "website": "https://www.pampi.example",
        "contact": {"full_name": "Thandiwe Nkosi", "timezone": "Africa/Johannesburg"},
    },
    {
        "acronym": "RCSPM",
        "legal_name": "Rwanda Civil Society Platform on Migration",
        "type": "ngo",
        "country": "RW",
        "registration_number": "RGB/NGO/2016/073",
        "website": "https://www.rcspm.example",
        "contact": {"full_name": "Jean-Paul Habimana", "timezone": "Africa/Kigali"},
    },
    {
        "acronym": "TCBTA",
        "legal_name": "Tanzania Cross-Border Traders Association",
        "type": "ngo",
        "country": "TZ",
        "registration_number": "OONGO/R/2231",
        "website": "https://www.tcbta.example",
        "contact": {"full_name": "Neema Mushi", "timezone": "Africa/Dar_es_Salaam"},
    },
    {
        "acronym": "CARD",
        "legal_name": "Centre Africain de Recherche sur les Déplacements",
        "type": "research",
        "country": "CM",
        "registration_number": "CM-REC-2010-0178",
        "website": "https://www.card-recherche.example",
        "contact": {"full_name": "Estelle Ngo Mbarga", "timezone": "Africa/Douala", "locale": "fr"},
    },
    {
        "acronym": "FCPM",
        "legal_name": "Femmes Congolaises pour la Paix et la Mobilité",
        "type": "ngo",
        "country": "CD",
        "registration_number": "MINJUSTICE/F.92/2014",
        "website": "https://www.fcpm.example",
        "contact": {"full_name": "Chantal Mwamba Ilunga", "timezone": "Africa/Kinshasa", "locale": "fr"},
    },
    {
        "acronym": "ALDA",
        "legal_name": "Associação Lusófona da Diáspora Africana",
        "type": "diaspora",
        "country": "PT",
        "registration_number": "NIPC 514876230",
        "website": "https://www.alda-diaspora.example",
        "contact": {"full_name": "Nelson Tavares Semedo", "timezone": "Europe/Lisbon"},
    },
    # -- local authorities taking part as associated entities (they receive no funds)
    {
        "acronym": "IHF",
        "legal_name": "Intercommunalité du Haut-Fleuve",
        "type": "local_authority",
        "country": "SN",
        "registration_number": "SN-COLL-2019-0031",
        "website": "https://www.haut-fleuve.example",
        "contact": {"full_name": "Ousmane Ba", "timezone": "Africa/Dakar", "locale": "fr"},
    },
    {
        "acronym": "AECM",
        "legal_name": "Association of Eastern Corridor Municipalities",
        "type": "local_authority",
        "country": "ET",
        "registration_number": "ET-MUN-2018-0044",
        "website": "https://www.eastern-corridor.example",
        "contact": {"full_name": "Dawit Alemayehu", "timezone": "Africa/Addis_Ababa"},
    },
    {
        "acronym": "CVM",
        "legal_name": "Commune de Val-de-Meuse",
        "type": "local_authority",
        "country": "BE",
        "registration_number": "0207.654.321",
        "website": "https://www.val-de-meuse.example",
        "contact": {"full_name": "Sophie Lambert", "timezone": "Europe/Brussels", "locale": "fr"},
    },
    # -- applicants that were not funded in the first call, and newcomers of the later calls
    {
        "acronym": "NVMSC",
        "legal_name": "Nile Valley Migration Studies Centre",
        "type": "research",
        "country": "EG",
        "registration_number": "EG-NGO-2210-2017",
        "website": "https://www.nvmsc.example",
        "contact": {"full_name": "Karim Abdel-Fattah", "timezone": "Africa/Cairo"},
    },
    {
        "acronym": "JAMI",
        "legal_name": "Jeunesse Active pour la Migration Informée",
        "type": "ngo",
        "country": "GN",
        "registration_number": "GN-ONG-2018-0611",
        "website": "https://www.jami-guinee.example",
        "contact": {"full_name": "Mamadou Aliou Bah", "timezone": "Africa/Conakry", "locale": "fr"},
    },
    {
        "acronym": "YSMN",
        "legal_name": "Youth Skills and Mobility Network",
        "type": "ngo",
        "country": "ZM",
        "registration_number": "ORS/102/35/4471",
        "website": "https://www.ysmn.example",
        "contact": {"full_name": "Mwila Chanda", "timezone": "Africa/Lusaka"},
    },
    {
        "acronym": "EADBC",
        "legal_name": "Europe-Africa Diaspora Business Council",
        "type": "diaspora",
        "country": "IE",
        "registration_number": "CRO-645812",
        "website": "https://www.eadbc.example",
        "contact": {"full_name": "Adaeze Murphy-Eze", "timezone": "Europe/Dublin"},
    },
    {
        "acronym": "SSPMF",
        "legal_name": "South Sudan Peace and Mobility Forum",
        "type": "ngo",
        "country": "SS",
        "registration_number": "RRC/NGO/2017/0456",
        "website": "https://www.sspmf.example",
        "contact": {"full_name": "Deng Mayen Akol", "timezone": "Africa/Juba"},
    },
    {
        "acronym": "AMRC",
        "legal_name": "Addis Migration Research Collective",
        "type": "research",
        "country": "ET",
        "registration_number": "ACSO-3417",
        "website": "https://www.amrc.example",
        "contact": {"full_name": "Yonas Gebremedhin", "timezone": "Africa/Addis_Ababa"},
    },
    {
        "acronym": "CIRM",
        "legal_name": "Centre Ivoirien de Recherche sur les Migrations",
        "type": "research",
        "country": "CI",
        "registration_number": "CI-ASS-2017-1184",
        "website": "https://www.cirm.example",
        "contact": {"full_name": "Aya Koné Traoré", "timezone": "Africa/Abidjan", "locale": "fr"},
    },
]

_ELIGIBLE = tuple(sorted(AFRICAN_UNION | EUROPEAN_UNION))

# Comments by criterion and score (scores 1 and 2 share the comments of 2); two wordings each, used in turn so
# that the two evaluators of a proposal do not write the same sentence.
COMMENTS = {
    "1.1": {
        5: (
            "Directly addresses the call's objectives and the priorities of the dialogues it names; the link to the "
            "JVAP domain is explicit and convincing.",
            "Excellent fit with the call: the action is built around the dialogue agenda and the chosen JVAP domain.",
        ),
        4: (
            "Clearly relevant to the call's objectives; the contribution to the dialogues could be spelt out more "
            "concretely.",
            "Good alignment with the call's priorities, although the expected input to the dialogue meetings is "
            "only sketched.",
        ),
        3: (
            "Relevant overall, but the connection to the dialogues stays general and is not reflected in the "
            "activities.",
            "Adequate fit: the JVAP domain is named, yet the action is only loosely connected to the call's "
            "objectives.",
        ),
        2: (
            "Weak link to the call's objectives: the action is a generic awareness project with no channel to the "
            "dialogues.",
            "The proposal does not show how its results would feed the dialogues; relevance to the call is limited.",
        ),
    },
    "1.2": {
        5: (
            "The needs of the target countries are analysed with recent data and first-hand consultations; the "
            "action responds to them precisely.",
            "Very good needs analysis per country, drawing on the partners' own field presence.",
        ),
        4: (
            "Needs are well identified for most target countries; one country is covered more thinly.",
            "Good understanding of the national contexts; constraints such as access to border areas are acknowledged.",
        ),
        3: (
            "The context section is descriptive; the specific constraints of each country are not analysed.",
            "Adequate, but the needs are taken from secondary sources and not validated with local actors.",
        ),
        2: (
            "The analysis of needs is generic and could apply to any country; the target countries are barely "
            "discussed.",
            "Needs and constraints of the target countries are not identified in a way that supports the design.",
        ),
    },
    "1.3": {
        5: (
            "Target groups are precisely defined and involved from the design stage; final beneficiaries are "
            "quantified.",
            "Excellent stakeholder analysis, with a clear role for migrants, returnees and local authorities.",
        ),
        4: (
            "Target groups are clearly defined; the involvement of final beneficiaries could be stronger.",
            "Good definition of target groups and a credible estimate of the people reached.",
        ),
        3: (
            "Target groups are listed but their selection is not explained.",
            "Adequate: beneficiaries are named in broad categories without figures.",
        ),
        2: (
            "Target groups are vague ('youth', 'communities'); the proposal does not say how they will be reached.",
            "Beneficiaries are not identified with enough precision to judge the reach of the action.",
        ),
    },
    "1.4": {
        5: (
            "Strong added value: a genuine South–South partnership and a method others in the dialogues can reuse.",
            "Innovative approach with a clear multiplier effect through the partners' networks.",
        ),
        4: (
            "The South–North partnership brings real complementarity between research and field work.",
            "Good added value; the diaspora partner gives the action access the others would not have.",
        ),
        3: (
            "Some added value, mainly the geographic coverage; the partnership itself is conventional.",
            "Adequate: the action repeats known approaches without a clear improvement.",
        ),
        2: (
            "Little added value compared with existing national programmes in the same area.",
            "The proposal does not explain what it adds to what is already being done.",
        ),
    },
    "2.1": {
        5: (
            "Coherent intervention logic from problem analysis to results, with risks and assumptions well argued.",
            "Very well designed: activities, outputs and outcomes follow from one another.",
        ),
        4: (
            "Sound design; the risk analysis could say more about the security situation in border areas.",
            "Good intervention logic; indicators are mostly specific and measurable.",
        ),
        3: (
            "The design is acceptable, but several activities are not linked to a stated result.",
            "Adequate logic, with indicators that are mostly output counts.",
        ),
        2: (
            "The design is fragmented: activities are listed without a clear path to the objectives.",
            "Weak intervention logic and no analysis of risks.",
        ),
    },
    "2.2": {
        5: (
            "Feasible within the duration and budget; the partners have delivered similar actions before.",
            "Realistic work plan, with responsibilities clearly split between lead and co-applicants.",
        ),
        4: (
            "Feasible overall; the timetable for the first months is tight.",
            "Good consistency between activities and expected results; the budget looks adequate.",
        ),
        3: (
            "Feasibility depends on authorisations that are not yet secured; the plan should allow for delays.",
            "Adequate, but some activities look under-budgeted for the number of countries covered.",
        ),
        2: (
            "The planned activities cannot reasonably be delivered in the proposed duration.",
            "The budget and the work plan do not match; feasibility is doubtful.",
        ),
    },
}

# -- the first call: closed and decided ---------------------------------------------------------------------------

CLOSED_CALL = {
    "reference": "MMD-GF-2025-01",
    "title": "Civil-society initiatives feeding the Africa–EU migration dialogues",
    "description": (
        "The facility supports initiatives led by civil-society organisations, research institutions and "
        "diaspora organisations, in association with local authorities, that feed the Rabat Process, the "
        "Khartoum Process, the follow-up of the Joint Valletta Action Plan and the Continent-to-Continent "
        "Migration and Mobility Dialogue with evidence, practice and the voices of the people concerned.\n\n"
        "Proposals must address at least one of the five JVAP domains and be implemented in one or more African "
        "Union member states. Consortia are encouraged: South–South partnerships between African organisations, "
        "and South–North partnerships with organisations based in the European Union. The lead applicant must be "
        "registered in an African Union or European Union member state.\n\n"
        "This is a restricted call: concept notes are evaluated by two independent evaluators against the "
        "published grid (relevance 30 points, design 20 points); notes scoring at least 12 in relevance and 30 "
        "overall are ranked, and awards are made in rank order within the budget envelope."
    ),
    "budget_envelope": Decimal("2400000.00"),
    "min_grant": Decimal("150000.00"),
    "max_grant": Decimal("400000.00"),
    "opens": dt.datetime(2025, 1, 15, 12, 0),
    "closes": dt.datetime(2025, 3, 31, 12, 0),
    "assigned": dt.datetime(2025, 4, 14, 10, 0),
    "decided": dt.datetime(2025, 6, 20, 15, 0),
    "status": "decided",
    "dialogues": ["rabat", "khartoum", "jvap", "c2cmmd"],
    "domains": [1, 2, 3, 4, 5],
    "countries": _ELIGIBLE,
}

# The file every demo report carries (one small PDF, rendered once per seeding) and the comment of the report sent back.
REPORT_FILE_HTML = (
    "<html><body><h1>Demo report</h1><p>This file stands in for a report uploaded by an implementing "
    "organisation of the demo facility.</p></body></html>"
)
REPORT_CHANGES_COMMENT = (
    "The financial report does not reconcile with the interim narrative: staff costs in Ethiopia are 12,400 EUR "
    "above the budget line with no explanation. Please add the reallocation note and the payroll summary."
)

CLOSED_CALL_PROPOSALS = [
    {
        "number": 1,
        "lead": "ROAMD",
        "title": "Diaspora investment and remittances for local development in the Senegal River basin",
        "summary": (
            "Diaspora associations from Mali, Mauritania, Senegal and The Gambia already finance schools, health "
            "posts and irrigation in their villages of origin. The action sets up four cross-border diaspora "
            "investment committees with the municipalities concerned, trains 120 diaspora and municipal officers "
            "in joint project management, and documents the lessons in a policy brief presented at the Rabat "
            "Process thematic meeting on migration and development."
        ),
        "amount": Decimal("320000.00"),
        "duration": 24,
        "domain": 1,
        "countries": [("SN", 35), ("ML", 25), ("GM", 20), ("MR", 20)],
        "partners": [("AMEDL", "co_applicant", 20), ("GRADE", "co_applicant", 15), ("OMM", "co_applicant", 12)],
        "associated": ["IHF"],
        "submitted_days_before_close": 2,
        "reviews": [(EVALUATOR, (5, 5, 4, 4, 4, 4)), (EVALUATOR2, (5, 4, 4, 5, 4, 5))],
        "outcome": "award",
        "grant": {
            "start": dt.date(2025, 9, 1),
            "end": dt.date(2027, 8, 31),
            "status": "active",
            "dialogues": ["rabat"],
            # The demo applicant's grant: its first interim reports are left unsubmitted, so it shows as overdue.
            "reporting": "overdue",
        },
    },
    {
        "number": 2,
        "lead": "ILMS",
        "title": "Fair recruitment and skills partnerships for young workers between North Africa and Europe",
        "summary": (
            "Young graduates in Egypt, Morocco and Tunisia face recruitment fees, unrecognised qualifications and "
            "little information on legal pathways. Led by a European research institute with three North African "
            "partners, the action maps recruitment practices in six sectors, pilots "
            "a fair-recruitment label with employers' associations, and brings the findings to the C2CMMD and the "
            "Rabat Process as recommendations for skills partnerships."
        ),
        "amount": Decimal("285000.00"),
        "duration": 24,
        "domain": 2,
        "countries": [("MA", 40), ("TN", 30), ("EG", 30)],
        "partners": [("IMREM", "co_applicant", 25), ("FTME", "co_applicant", 20), ("ECMS", "co_applicant", 20)],
        "associated": [],
        "submitted_days_before_close": 6,
        "reviews": [(EVALUATOR3, (4, 5, 4, 4, 4, 4)), (EVALUATOR4, (5, 4, 4, 4, 4, 4))],
        "outcome": "award",
        "grant": {
            "start": dt.date(2025, 9, 1),
            "end": dt.date(2027, 8, 31),
            "status": "active",
            "dialogues": ["rabat", "c2cmmd"],
        },
    },
    {
        "number": 3,
        "lead": "ASP",
        "title": "Protection desks and legal aid for migrants in transit along the Central Sahel routes",
        "summary": (
            "Migrants crossing Niger, Chad and Mali towards Libya are exposed to extortion, abandonment in the "
            "desert and detention. The action runs six protection desks in transit towns, trains paralegals from "
            "migrant communities, and publishes a quarterly protection monitoring note shared with the Rabat "
            "Process and the JVAP follow-up."
        ),
        "amount": Decimal("347500.00"),
        "duration": 24,
        "domain": 3,
        "countries": [("NE", 45), ("TD", 25), ("ML", 15), ("LY", 15)],
        "partners": [("TSM", "co_applicant", 20), ("LNMLA", "co_applicant", 15), ("CSMD", "co_applicant", 15)],
        "associated": [],
        "submitted_days_before_close": 1,
        "reviews": [(EVALUATOR, (5, 5, 4, 3, 4, 4)), (EVALUATOR3, (4, 5, 5, 4, 4, 4))],
        "outcome": "award",
        "grant": {
            "start": dt.date(2025, 10, 1),
            "end": dt.date(2027, 9, 30),
            "status": "active",
            "dialogues": ["rabat", "jvap"],
        },
    },
    {
        "number": 4,
        "lead": "HAMO",
        "title": "Community-based prevention of trafficking in human beings along the Eastern route",
        "summary": (
            "Along the route from the Horn of Africa to the Gulf and North Africa, traffickers recruit through "
            "trusted community members. With returnee women's groups and youth networks in Ethiopia, Kenya, "
            "Somalia and Sudan, the action trains 300 community referral agents, links them with national "
            "counter-trafficking task forces, and feeds a South–South evidence base into the Khartoum Process."
        ),
        "amount": Decimal("398000.00"),
        "duration": 30,
        "domain": 4,
        "countries": [("ET", 30), ("KE", 25), ("SO", 25), ("SD", 20)],
        "partners": [("EWRA", "co_applicant", 20), ("SYMI", "co_applicant", 18), ("SODS", "co_applicant", 17)],
        "associated": ["AECM"],
        "submitted_days_before_close": 4,
        "reviews": [(EVALUATOR2, (5, 5, 5, 4, 5, 4)), (EVALUATOR4, (5, 5, 4, 4, 5, 5))],
        "outcome": "award",
        "grant": {
            "start": dt.date(2025, 9, 1),
            "end": dt.date(2028, 2, 29),
            "status": "active",
            "dialogues": ["khartoum"],
            # The manager sent the interim financial report back.
            "reporting": "changes_requested",
        },
    },
    {
        "number": 5,
        "lead": "REI",
        "title": "Sustainable reintegration through local economic opportunities in Nigeria, Ghana and Côte d'Ivoire",
        "summary": (
            "Returnees often come back indebted and without a plan. The action combines psychosocial support, "
            "business coaching and access to savings groups for 450 returnees, with diaspora mentors from "
            "Belgium, and draws lessons for the JVAP domain on return, readmission and reintegration."
        ),
        "amount": Decimal("265000.00"),
        "duration": 24,
        "domain": 5,
        "countries": [("NG", 40), ("GH", 30), ("CI", 30)],
        "partners": [("GCML", "co_applicant", 20), ("AIR", "co_applicant", 20), ("ADFB", "co_applicant", 12)],
        "associated": ["CVM"],
        "submitted_days_before_close": 9,
        # The evaluators' totals (40 and 28) differ by more than the stage's gap (20% of 50): a moderator recorded a
        # consensus, which is the final score.
        "reviews": [(EVALUATOR, (4, 4, 4, 4, 4, 4)), (EVALUATOR4, (3, 3, 2, 2, 3, 3))],
        "consensus": {
            "scores": (4, 4, 4, 4, 4, 4),
            "justification": (
                "The second evaluator read the partnership with the municipalities as unconfirmed; the letters of "
                "commitment annexed to the note confirm it. Consensus reached with both evaluators on 12 May."
            ),
        },
        "outcome": "award",
        "grant": {
            "start": dt.date(2025, 10, 1),
            "end": dt.date(2027, 9, 30),
            "status": "active",
            "dialogues": ["rabat", "jvap"],
        },
    },
    {
        "number": 6,
        "lead": "SCMRC",
        "title": "Climate, mobility and pastoral livelihoods: evidence for the dialogues",
        "summary": (
            "Drought and the loss of grazing land push pastoralists and their herds across borders. The action "
            "follows mobility along three transhumance corridors in Burkina Faso, Niger, South Sudan and Uganda "
            "with community data collectors, and proposes climate-mobility indicators for the JVAP and C2CMMD "
            "follow-up."
        ),
        "amount": Decimal("236400.00"),
        "duration": 24,
        "domain": 1,
        "countries": [("BF", 35), ("NE", 15), ("UG", 25), ("SS", 25)],
        "partners": [("URHCA", "co_applicant", 25), ("IKM", "co_applicant", 20)],
        "associated": [],
        "submitted_days_before_close": 3,
        "reviews": [(EVALUATOR2, (4, 4, 4, 5, 4, 3)), (EVALUATOR3, (4, 3, 4, 4, 4, 4))],
        "outcome": "award",
        "grant": {
            "start": dt.date(2025, 11, 1),
            "end": dt.date(2027, 10, 31),
            "status": "active",
            "dialogues": ["c2cmmd", "jvap"],
        },
    },
    {
        "number": 7,
        "lead": "PAMPI",
        "title": "Free movement in practice: monitoring the AU Free Movement Protocol in East and Southern Africa",
        "summary": (
            "Few states have ratified the AU Free Movement Protocol and little is known about how people actually "
            "cross borders in the region. The action surveys cross-border traders and workers at eight border "
            "posts in Kenya, Rwanda, South Africa and Tanzania and publishes a yearly free-movement scorecard "
            "discussed at the C2CMMD."
        ),
        "amount": Decimal("210000.00"),
        "duration": 24,
        "domain": 2,
        "countries": [("ZA", 30), ("RW", 25), ("TZ", 25), ("KE", 20)],
        "partners": [("RCSPM", "co_applicant", 20), ("TCBTA", "co_applicant", 20), ("ILMS", "co_applicant", 15)],
        "associated": [],
        "submitted_days_before_close": 5,
        "reviews": [(EVALUATOR, (4, 4, 3, 4, 4, 4)), (EVALUATOR2, (5, 4, 4, 4, 4, 4))],
        "outcome": "award",
        "grant": {
            "start": dt.date(2026, 1, 1),
            "end": dt.date(2027, 12, 31),
            "status": "contracting",
            "dialogues": ["c2cmmd"],
        },
    },
    {
        "number": 8,
        "lead": "CARD",
        "title": "Voices of displaced women in Central Africa: participatory research for protection policies",
        "summary": (
            "Internally displaced and refugee women in Cameroon, Chad and the Democratic Republic of the Congo are "
            "rarely heard in policy forums. With women's organisations and a Lusophone diaspora network, the "
            "action trains 40 displaced women as peer researchers and presents their findings to national "
            "protection working groups and the Rabat Process."
        ),
        "amount": Decimal("178600.00"),
        "duration": 18,
        "domain": 3,
        "countries": [("CM", 40), ("CD", 40), ("TD", 20)],
        "partners": [("FCPM", "co_applicant", 30), ("ALDA", "co_applicant", 15)],
        "associated": [],
        "submitted_days_before_close": 7,
        "reviews": [(EVALUATOR3, (4, 4, 4, 4, 3, 3)), (EVALUATOR4, (4, 3, 4, 4, 4, 3))],
        "outcome": "award",
        "grant": {
            "start": dt.date(2025, 10, 1),
            "end": dt.date(2027, 3, 31),
            "status": "active",
            "dialogues": ["rabat", "jvap"],
            # Three more months, asked for eleven months into the action and approved.
            "amendment": {
                "months": 3,
                "requested_after_days": 330,
                "justification": (
                    "The security situation in the Far North region suspended the field interviews for eleven "
                    "weeks; three more months at no cost let the research team complete the planned 240 interviews."
                ),
            },
        },
    },
    {
        "number": 9,
        "lead": "NVMSC",
        "title": "Labour migration governance in the Nile Valley: a comparative policy observatory",
        "summary": (
            "A policy observatory comparing labour migration rules in Egypt and Sudan, with annual reports for "
            "the Khartoum Process and a training course for labour attachés."
        ),
        "amount": Decimal("380000.00"),
        "duration": 36,
        "domain": 2,
        "countries": [("EG", 60), ("SD", 40)],
        "partners": [("ECMS", "co_applicant", 20)],
        "associated": [],
        "submitted_days_before_close": 1,
        "reviews": [(EVALUATOR, (4, 3, 3, 3, 3, 3)), (EVALUATOR3, (3, 4, 3, 3, 3, 4))],
        "outcome": "reserve",
        "reason": (
            "Above both thresholds (relevance {relevance} of 30, total {total} of 50), but ranked {rank}: the "
            "budget envelope was exhausted by the proposals ranked above it. Placed first on the reserve list."
        ),
    },
    {
        "number": 10,
        "lead": "JAMI",
        "title": "Awareness caravans on the risks of irregular migration in Upper Guinea",
        "summary": (
            "Travelling theatre and radio shows in twelve prefectures of Upper Guinea to discourage young people "
            "from irregular departures."
        ),
        "amount": Decimal("155000.00"),
        "duration": 12,
        "domain": 4,
        "countries": [("GN", 100)],
        "partners": [],
        "associated": [],
        "submitted_days_before_close": 0,
        "reviews": [(EVALUATOR2, (2, 2, 2, 1, 3, 3)), (EVALUATOR4, (2, 2, 2, 2, 3, 3))],
        "outcome": "reject",
        "reason": (
            "Below the relevance threshold ({relevance} of 30, minimum 12) and the total threshold ({total} of 50, "
            "minimum 30): the action has no channel to the dialogues and the needs of the target groups are not "
            "analysed."
        ),
    },
    {
        "number": 11,
        "lead": "YSMN",
        "title": "Digital skills bootcamps for young people considering migration",
        "summary": (
            "Twelve-week coding and digital marketing bootcamps for 200 young people in Zambia and Tanzania, with "
            "a session on legal migration options."
        ),
        "amount": Decimal("190000.00"),
        "duration": 18,
        "domain": 2,
        "countries": [("ZM", 70), ("TZ", 30)],
        "partners": [("TCBTA", "co_applicant", 15)],
        "associated": [],
        "submitted_days_before_close": 3,
        "reviews": [(EVALUATOR, (3, 3, 2, 2, 2, 2)), (EVALUATOR4, (3, 3, 3, 2, 3, 2))],
        "outcome": "reject",
        "reason": (
            "Relevance is adequate ({relevance} of 30) but the total score ({total} of 50) is below the threshold "
            "of 30: the design is weak and the link between the training and migration policy is not shown."
        ),
    },
    {
        "number": 12,
        "lead": "EADBC",
        "title": "Africa–Europe diaspora investment forum 2026",
        "summary": "A two-day investment forum in Dublin connecting African diaspora entrepreneurs with investors.",
        "amount": Decimal("220000.00"),
        "duration": 12,
        "domain": 1,
        "countries": [("NG", 50), ("KE", 50)],
        "partners": [("ADFB", "co_applicant", 10)],
        "associated": [],
        "submitted_days_before_close": 0,
        "reviews": [(EVALUATOR2, (2, 2, 1, 2, 2, 2)), (EVALUATOR3, (2, 2, 2, 2, 3, 2))],
        "outcome": "reject",
        "reason": (
            "Below both thresholds (relevance {relevance} of 30, total {total} of 50): an event in Europe does not "
            "meet the call's requirement of implementation in African Union member states."
        ),
    },
]

# -- the second call: closed, under evaluation ----------------------------------------------------------------

EVALUATION_CALL = {
    "reference": "MMD-GF-2026-01",
    "title": "Evidence and data for migration governance: research partnerships for the Rabat and Khartoum Processes",
    "description": (
        "Research institutions and civil-society organisations are invited to propose applied research and data "
        "partnerships that answer questions raised in the Rabat and Khartoum Processes and the JVAP follow-up: "
        "labour mobility corridors, return migration, diaspora investment and the safety of migration routes.\n\n"
        "Partnerships between African research institutions (South–South) and with European institutions "
        "(South–North) are encouraged. Results must be shared with the dialogues in a form policy makers use."
    ),
    "budget_envelope": Decimal("1200000.00"),
    "min_grant": Decimal("100000.00"),
    "max_grant": Decimal("250000.00"),
    # Days from the day of seeding; deadlines at 12:00 in the call's time zone.
    "opens_in_days": -140,
    "closes_in_days": -42,
    "assigned_in_days": -28,
    "status": "evaluation",
    "dialogues": ["rabat", "khartoum", "jvap"],
    "domains": [1, 2, 4, 5],
    "countries": _ELIGIBLE,
}

# Reviews: (evaluator, status, scores); a None score is a criterion not scored yet.
EVALUATION_CALL_PROPOSALS = [
    {
        "number": 1,
        "lead": "OMM",
        "title": "Labour mobility corridors between Mauritania, Senegal and Morocco: a data partnership",
        "summary": (
            "National statistics miss most seasonal and circular workers moving between Mauritania, Senegal and "
            "Morocco. The partnership combines border-post counts, a panel of 1,200 workers and administrative "
            "data to produce the first corridor profiles, discussed with the three countries' statistics offices "
            "and presented at the Rabat Process."
        ),
        "amount": Decimal("185000.00"),
        "duration": 24,
        "domain": 2,
        "countries": [("MR", 40), ("SN", 30), ("MA", 30)],
        "partners": [("IMREM", "co_applicant", 30)],
        "associated": ["IHF"],
        "submitted_days_before_close": 3,
        "reviews": [
            (EVALUATOR, "submitted", (4, 4, 4, 4, 4, 4)),
            (EVALUATOR2, "submitted", (5, 4, 4, 4, 4, 3)),
        ],
    },
    {
        "number": 2,
        "lead": "AMRC",
        "title": "Return migration from the Gulf to Ethiopia and Kenya: a panel survey for the Khartoum Process",
        "summary": (
            "Tens of thousands of domestic and construction workers return each year from the Gulf states, many "
            "of them after deportation. A three-wave panel survey of 1,500 returnees follows their economic and "
            "social reintegration, with findings shared in the Khartoum Process working group on return."
        ),
        "amount": Decimal("210000.00"),
        "duration": 30,
        "domain": 5,
        "countries": [("ET", 60), ("KE", 40)],
        "partners": [("HAMO", "co_applicant", 25)],
        "associated": ["AECM"],
        "submitted_days_before_close": 1,
        "reviews": [
            (EVALUATOR, "in_progress", (4, 5, 4, None, None, None)),
            (EVALUATOR3, "submitted", (4, 4, 3, 4, 4, 4)),
        ],
    },
    {
        "number": 3,
        "lead": "CIRM",
        "title": "Measuring the development impact of diaspora investment in Côte d'Ivoire and Guinea",
        "summary": (
            "Using bank data and a survey of 400 diaspora-funded enterprises, the action measures jobs and income "
            "created by diaspora investment, and tests a simple impact-reporting tool for diaspora associations."
        ),
        "amount": Decimal("160000.00"),
        "duration": 18,
        "domain": 1,
        "countries": [("CI", 60), ("GN", 40)],
        "partners": [("AIR", "co_applicant", 20)],
        "associated": ["ADFB"],
        "submitted_days_before_close": 5,
        "reviews": [
            (EVALUATOR, "pending", None),
            (EVALUATOR2, "submitted", (4, 3, 4, 3, 4, 3)),
        ],
    },
    {
        "number": 4,
        "lead": "GCML",
        "title": "Digital tools for safe labour migration from Ghana and Nigeria",
        "summary": (
            "A mobile application and a network of community information points give prospective migrant "
            "workers verified information on recruiters, contracts and legal pathways, with usage data analysed "
            "to detect fraudulent recruitment patterns."
        ),
        "amount": Decimal("230000.00"),
        "duration": 24,
        "domain": 4,
        "countries": [("GH", 60), ("NG", 40)],
        "partners": [("REI", "co_applicant", 25)],
        "associated": [],
        "submitted_days_before_close": 2,
        # The two totals (46 and 30) differ by more than 20% of the maximum: the ranking flags it for moderation.
        "reviews": [
            (EVALUATOR3, "submitted", (5, 5, 4, 4, 5, 4)),
            (EVALUATOR4, "submitted", (3, 3, 3, 3, 3, 3)),
        ],
    },
]

# -- the third call: open for proposals ---------------------------------------------------------------------------

OPEN_CALL = {
    "reference": "MMD-GF-2026-02",
    "title": "Climate-related mobility and diaspora engagement: civil-society initiatives for the dialogues",
    "description": (
        "The third call of the facility funds civil-society, research and diaspora initiatives on two themes "
        "named by the dialogues for their next cycle: mobility in the context of climate change and "
        "environmental degradation, and the engagement of diasporas in development and adaptation.\n\n"
        "Actions must be implemented in one or more African Union member states, last 12 to 30 months and be led "
        "by an organisation registered in an African Union or European Union member state. Co-applicants must "
        "confirm their participation before the concept note can be submitted. Local authorities may take part "
        "as associated entities."
    ),
    "guidelines": (
        "This is a restricted call in two stages. First, lead applicants submit a concept note (identification, "
        "summary, relevance, countries, target groups, an indicative budget and the declarations) by the "
        "concept-note deadline. The concept notes are checked, scored by two independent evaluators on the "
        "facility's concept-note grid and ranked; the leads of the best-ranked notes are invited to submit a full "
        "application by the second deadline.\n\n"
        "Each consortium has a lead applicant and at least one co-applicant; at least one member must be based in "
        "an African Union member state, and a lead based in the European Union needs a co-applicant based in "
        "Africa. The facility funds at most 90% of the total eligible costs; indirect costs may not exceed 7% of "
        "the direct costs. The requested amount of a full application may differ from that of its concept note by "
        "at most 20%.\n\n"
        "Questions may be asked through the portal until ten days before the concept-note deadline; the answers "
        "are published, anonymised, on this page."
    ),
    # The call's texts in French (its guidelines are not translated yet: French readers get the English, with a notice).
    "translations": {
        "fr": {
            "title": (
                "Mobilité liée au climat et engagement des diasporas : initiatives de la société civile pour les "
                "dialogues"
            ),
            "description": (
                "Le troisième appel de la facilité finance des initiatives de la société civile, de la recherche et "
                "des diasporas sur deux thèmes retenus par les dialogues pour leur prochain cycle : la mobilité dans "
                "le contexte du changement climatique et de la dégradation de l’environnement, et l’engagement des "
                "diasporas dans le développement et l’adaptation.\n\n"
                "Les actions doivent être mises en œuvre dans un ou plusieurs États membres de l’Union africaine, "
                "durer de 12 à 30 mois et être dirigées par une organisation enregistrée dans un État membre de "
                "l’Union africaine ou de l’Union européenne. Les codemandeurs doivent confirmer leur participation "
                "avant que la note conceptuelle puisse être soumise. Les collectivités locales peuvent participer en "
                "tant qu’entités associées."
            ),
        }
    },
    "budget_envelope": Decimal("2000000.00"),
    "min_grant": Decimal("100000.00"),
    "max_grant": Decimal("300000.00"),
    "opens_in_days": -28,
    "closes_in_days": 42,
    "full_application_closes_in_days": 120,
    "questions_close_in_days": 32,
    "status": "published",
    "procedure": "two_stage",
    "rules": {
        "min_duration_months": 12,
        "max_duration_months": 30,
        "min_cofinancing_pct": Decimal("10.00"),
        "max_indirect_cost_pct": Decimal("7.00"),
        "max_amount_change_pct": Decimal("20.00"),
        "summary_word_limit": 300,
        "min_co_applicants": 1,
        "max_co_applicants": 4,
        "require_african_member": True,
        "eu_lead_needs_african_co_applicant": True,
    },
    "applicant_types": ["ngo", "research", "diaspora"],
    "lead_countries": _ELIGIBLE,
    "themes": ["climate", "diaspora"],
    "dialogues": ["rabat", "jvap", "c2cmmd"],
    "domains": [1, 2, 3],
    "countries": tuple(sorted(AFRICAN_UNION)),
    # (kind, label, required, stage)
    "attachments": [
        ("statutes", "", True, "any"),
        ("registration", "", True, "any"),
        ("support_letter", "Letters of support from local authorities", False, "concept_note"),
        ("accounts", "Audited accounts of the last two years", True, "full_application"),
        ("cv", "CVs of the key staff", True, "full_application"),
    ],
    # (kind, title, language)
    "documents": [
        ("guidelines", "Guidelines for applicants", "en"),
        ("guidelines", "Lignes directrices à l'intention des demandeurs", "fr"),
        ("annex", "Annex A: concept note form", "en"),
    ],
    # (days after opening it was asked, question, published question, answer, days after asking it was published)
    "questions": [
        (
            3,
            "Hello, we are a diaspora association registered in Belgium. Can we lead a consortium, and must our "
            "co-applicant be in Africa? Thanks, Fatou",
            "Can a diaspora organisation registered in an EU member state lead a consortium?",
            "Yes. Diaspora organisations registered in an EU or AU member state may lead. A lead based in the "
            "EU needs at least one co-applicant based in an African Union member state.",
            4,
        ),
        (
            9,
            "Are the salaries of our permanent staff eligible, or only new hires for the project?",
            "Are the salaries of permanent staff eligible costs?",
            "Yes, for the time they actually work on the action, recorded in timesheets, at the organisation's "
            "usual rates. List them under human resources in the budget.",
            3,
        ),
        (
            14,
            "Can co-financing be in kind (volunteer time, office space)?",
            "Can co-financing be contributed in kind?",
            "Contributions in kind may be listed as co-financing sources but do not count towards the minimum "
            "co-financing of 10%, which must be in cash.",
            2,
        ),
        (25, "Is the deadline 12:00 Brussels time or local time in our country?", "", "", None),
    ],
}

# The open call's concept notes, one in each state an applicant meets. `sections` says how much of the form is
# filled ("all" or a list of keys); `invitations` are consortium invitations still pending or declined.
OPEN_CALL_PROPOSALS = [
    {
        "number": 1,
        "lead": "ROAMD",
        "state": "draft",
        "title": "Climate-resilient livelihoods for returnee and host communities in the Senegal River valley",
        "summary": (
            "Returnees settling back in the valley compete with host families for land and water. We plan village "
            "adaptation plans drawn up jointly by returnees, host communities and municipalities, with small "
            "grants for irrigation and storage."
        ),
        "amount": Decimal("180000.00"),
        "duration": 24,
        "domain": 1,
        "countries": [("SN", 70), ("MR", 30)],
        "partners": [],
        "associated": [],
        "invitations": [("OMM", "co_applicant", "invited")],
        "sections": ["identification", "summary", "countries"],
        "updated_days_ago": 3,
    },
    {
        "number": 2,
        "lead": "ROAMD",
        "state": "submitted",
        "title": "Diaspora women's investment circles for climate adaptation in Casamance and Guinea-Bissau",
        "summary": (
            "Women from the Senegalese and Bissau-Guinean diasporas in France already send money for family "
            "farms hit by salinisation and erratic rains. The action organises 20 investment circles pairing "
            "diaspora women with women's farming groups, co-finances climate-smart equipment, and documents the "
            "model for the Rabat Process and the C2CMMD."
        ),
        "amount": Decimal("240000.00"),
        "duration": 24,
        "domain": 1,
        "countries": [("SN", 60), ("GW", 40)],
        "partners": [("AMEDL", "co_applicant", 25)],
        "associated": ["IHF"],
        "invitations": [],
        "sections": "all",
        "submitted_days_ago": 5,
    },
    {
        "number": 3,
        "lead": "SCMRC",
        "state": "resubmitted",
        "title": "Mobility as adaptation: pastoralist corridors across Burkina Faso, Niger and Mali",
        "summary": (
            "Building on the facility's first grant, the action supports herders' associations and border "
            "municipalities in negotiating safe transhumance corridors, and trains community data collectors "
            "whose observations feed an early-warning bulletin on climate-related displacement."
        ),
        "amount": Decimal("285000.00"),
        "duration": 30,
        "domain": 1,
        "countries": [("BF", 40), ("NE", 30), ("ML", 30)],
        "partners": [("ASP", "co_applicant", 20), ("IKM", "co_applicant", 20)],
        "associated": [],
        "invitations": [],
        "sections": "all",
        "submitted_days_ago": 9,
        "withdrawal_reason": "We forgot the letter of support of the Dori municipality; we will submit again.",
    },
    {
        "number": 4,
        "lead": "URHCA",
        "state": "withdrawn",
        "title": "Refugee-led climate adaptation in Northern Uganda and South Sudan",
        "summary": (
            "Refugee and host community committees design and run tree-planting, water harvesting and "
            "clean-cooking projects, reducing tensions over firewood and water. Lessons feed the protection and "
            "climate discussions of the Khartoum Process and the C2CMMD."
        ),
        "amount": Decimal("198000.00"),
        "duration": 24,
        "domain": 3,
        "countries": [("UG", 60), ("SS", 40)],
        "partners": [("SSPMF", "co_applicant", 30)],
        "associated": [],
        "invitations": [],
        "sections": "all",
        "submitted_days_ago": 12,
        "withdrawal_reason": "Our co-applicant's registration is being renewed; we will apply to the next call.",
    },
    {
        "number": 5,
        "lead": "FTME",
        "state": "draft",
        "title": "Information hubs on legal skills mobility for young Tunisians",
        "summary": (
            "Three information hubs in Tunis, Sfax and Gafsa on legal pathways, skills recognition and fair "
            "recruitment, run with a European partner that links them to employers and training centres."
        ),
        "amount": Decimal("150000.00"),
        "duration": 18,
        "domain": 2,
        "countries": [("TN", 100)],
        "partners": [],
        "associated": [],
        "invitations": [("ECMS", "co_applicant", "declined")],
        "sections": "all",
        "updated_days_ago": 6,
    },
    {
        "number": 6,
        "lead": "CARD",
        "state": "draft",
        "title": "Climate displacement around Lake Chad: community-led data for protection",
        "summary": (
            "Community monitors in Cameroon, Chad and Niger record displacement caused by the shrinking lake and "
            "by floods, to inform protection responses and the dialogues."
        ),
        "amount": Decimal("260000.00"),
        "duration": 24,
        "domain": 3,
        "countries": [("CM", 40), ("TD", 40), ("NE", 20)],
        "partners": [("TSM", "co_applicant", 25)],
        "associated": [],
        # An organisation not yet registered, invited by e-mail.
        "invitations": [("email:coordination@lacwomen.demo.example", "Lake Chad Women's Network", "invited")],
        "sections": ["identification", "summary", "relevance", "countries", "target_groups", "budget"],
        "updated_days_ago": 1,
    },
]
