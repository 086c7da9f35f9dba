"""The default evaluation grids of DOMAIN.md, as templates a call copies and a manager then edits.

These are data, not rules: a call's own copy is what scoring uses, so changing a template never changes a
call that already has a grid."""

from __future__ import annotations

from decimal import Decimal

# The concept-note grid of the EU's restricted two-step procedure: scores 1-5, weights as multipliers.
CONCEPT_NOTE = {
    "kind": "concept_note",
    "name_en": "Concept note evaluation",
    "name_fr": "Évaluation de la note succincte",
    "scale_min": Decimal(1),
    "scale_max": Decimal(5),
    "scale_step": Decimal(1),
    "evaluators_required": 2,
    "total_threshold": Decimal(30),
    "sections": [
        {
            "code": "1",
            "title_en": "Relevance of the action",
            "title_fr": "Pertinence de l'action",
            "threshold": Decimal(12),
            "criteria": [
                {
                    "code": "1.1",
                    "weight": 2,
                    "title_en": "Relevance to the objectives and priorities of the call",
                    "title_fr": "Pertinence par rapport aux objectifs et priorités de l'appel",
                    "guidance_en": "How relevant is the action to the objectives, dialogues and JVAP domains "
                    "of the call?",
                    "guidance_fr": "Dans quelle mesure l'action est-elle pertinente au regard des objectifs, des "
                    "dialogues et des domaines du PAVC visés par l'appel ?",
                },
                {
                    "code": "1.2",
                    "weight": 2,
                    "title_en": "Relevance to the needs and constraints of the target countries",
                    "title_fr": "Pertinence par rapport aux besoins et contraintes des pays cibles",
                    "guidance_en": "Are the needs and constraints of the target countries or regions clearly "
                    "identified and addressed?",
                    "guidance_fr": "Les besoins et contraintes des pays ou régions cibles sont-ils clairement "
                    "identifiés et pris en compte ?",
                },
                {
                    "code": "1.3",
                    "weight": 1,
                    "title_en": "Target groups and final beneficiaries",
                    "title_fr": "Groupes cibles et bénéficiaires finaux",
                    "guidance_en": "Are the stakeholders clearly defined and strategically chosen, their needs "
                    "identified and addressed?",
                    "guidance_fr": "Les parties prenantes sont-elles clairement définies et choisies de manière "
                    "stratégique, et leurs besoins pris en compte ?",
                },
                {
                    "code": "1.4",
                    "weight": 1,
                    "title_en": "Added value",
                    "title_fr": "Valeur ajoutée",
                    "guidance_en": "Does the action bring specific added value, such as innovation, good practice, "
                    "South-South or South-North partnerships?",
                    "guidance_fr": "L'action apporte-t-elle une valeur ajoutée particulière : innovation, bonnes "
                    "pratiques, partenariats Sud-Sud ou Sud-Nord ?",
                },
            ],
        },
        {
            "code": "2",
            "title_en": "Design of the action",
            "title_fr": "Conception de l'action",
            "threshold": None,
            "criteria": [
                {
                    "code": "2.1",
                    "weight": 2,
                    "title_en": "Coherence of the overall design",
                    "title_fr": "Cohérence de la conception d'ensemble",
                    "guidance_en": "Does the design reflect a robust analysis of the problems, and take external "
                    "factors and stakeholders into account?",
                    "guidance_fr": "La conception reflète-t-elle une analyse solide des problèmes et tient-elle "
                    "compte des facteurs externes et des parties prenantes ?",
                },
                {
                    "code": "2.2",
                    "weight": 2,
                    "title_en": "Feasibility and consistency with the objectives",
                    "title_fr": "Faisabilité et cohérence avec les objectifs",
                    "guidance_en": "Is the action feasible, and are the activities consistent with the objectives "
                    "and expected results?",
                    "guidance_fr": "L'action est-elle faisable, et les activités sont-elles cohérentes avec les "
                    "objectifs et les résultats attendus ?",
                },
            ],
        },
    ],
}


def _criterion(code, weight, title_en, title_fr, guidance_en, guidance_fr, min_score=None) -> dict:
    return {
        "code": code,
        "weight": weight,
        "title_en": title_en,
        "title_fr": title_fr,
        "guidance_en": guidance_en,
        "guidance_fr": guidance_fr,
        "min_score": min_score,
    }


# The full-application grid of the restricted procedure: scores 1-5, total 100. Capacity must reach 12 of 20 with
# no capacity sub-criterion at 1 (a minimum of 2 on each); the total must reach 60. Relevance repeats the concept
# note's criteria (its score is normally carried over from the concept-note evaluation).
FULL_APPLICATION = {
    "kind": "full_application",
    "name_en": "Full application evaluation",
    "name_fr": "Évaluation de la demande complète",
    "scale_min": Decimal(1),
    "scale_max": Decimal(5),
    "scale_step": Decimal(1),
    "evaluators_required": 2,
    "total_threshold": Decimal(60),
    "sections": [
        {
            "code": "1",
            "title_en": "Financial and operational capacity",
            "title_fr": "Capacité financière et opérationnelle",
            "threshold": Decimal(12),
            "criteria": [
                _criterion(
                    "1.1",
                    1,
                    "Experience of project management",
                    "Expérience en gestion de projets",
                    "Do the applicant and, if any, co-applicants have sufficient experience of project management?",
                    "Le demandeur et, le cas échéant, les codemandeurs ont-ils une expérience suffisante de la "
                    "gestion de projets ?",
                    Decimal(2),
                ),
                _criterion(
                    "1.2",
                    1,
                    "Technical expertise",
                    "Expertise technique",
                    "Do they have sufficient technical expertise, notably knowledge of the issues to be addressed?",
                    "Disposent-ils d'une expertise technique suffisante, notamment d'une connaissance des questions "
                    "à traiter ?",
                    Decimal(2),
                ),
                _criterion(
                    "1.3",
                    1,
                    "Management capacity",
                    "Capacité de gestion",
                    "Do they have sufficient management capacity, including staff, equipment and the ability to "
                    "handle the budget?",
                    "Disposent-ils d'une capacité de gestion suffisante, y compris le personnel, l'équipement et "
                    "l'aptitude à gérer le budget ?",
                    Decimal(2),
                ),
                _criterion(
                    "1.4",
                    1,
                    "Stable and sufficient sources of finance",
                    "Sources de financement stables et suffisantes",
                    "Does the lead applicant have stable and sufficient sources of finance?",
                    "Le demandeur principal dispose-t-il de sources de financement stables et suffisantes ?",
                    Decimal(2),
                ),
            ],
        },
        {
            "code": "2",
            "title_en": "Relevance of the action",
            "title_fr": "Pertinence de l'action",
            "threshold": None,
            "criteria": [
                {**crit, "min_score": None, "code": "2." + crit["code"].split(".")[1]}
                for crit in CONCEPT_NOTE["sections"][0]["criteria"]
            ],
        },
        {
            "code": "3",
            "title_en": "Effectiveness and feasibility of the action",
            "title_fr": "Efficacité et faisabilité de l'action",
            "threshold": None,
            "criteria": [
                _criterion(
                    "3.1",
                    1,
                    "Activities appropriate and consistent",
                    "Activités appropriées et cohérentes",
                    "Are the activities appropriate, practical and consistent with the objectives and expected "
                    "results?",
                    "Les activités sont-elles appropriées, concrètes et cohérentes avec les objectifs et les "
                    "résultats attendus ?",
                ),
                _criterion(
                    "3.2",
                    1,
                    "Action plan",
                    "Plan d'action",
                    "Is the action plan clear and feasible?",
                    "Le plan d'action est-il clair et réalisable ?",
                ),
                _criterion(
                    "3.3",
                    1,
                    "Indicators and monitoring",
                    "Indicateurs et suivi",
                    "Does the logical framework contain objectively verifiable indicators, with sources of "
                    "verification?",
                    "Le cadre logique comporte-t-il des indicateurs objectivement vérifiables, avec leurs sources "
                    "de vérification ?",
                ),
                _criterion(
                    "3.4",
                    1,
                    "Participation of the co-applicants",
                    "Participation des codemandeurs",
                    "Is the co-applicants' and affiliated entities' level of involvement and participation "
                    "satisfactory?",
                    "Le niveau d'implication et de participation des codemandeurs et des entités affiliées est-il "
                    "satisfaisant ?",
                ),
            ],
        },
        {
            "code": "4",
            "title_en": "Sustainability of the action",
            "title_fr": "Durabilité de l'action",
            "threshold": None,
            "criteria": [
                _criterion(
                    "4.1",
                    1,
                    "Tangible impact on the target groups",
                    "Impact concret sur les groupes cibles",
                    "Is the action likely to have a tangible impact on its target groups?",
                    "L'action est-elle susceptible d'avoir un impact concret sur ses groupes cibles ?",
                ),
                _criterion(
                    "4.2",
                    1,
                    "Multiplier effects",
                    "Effets multiplicateurs",
                    "Is the action likely to have multiplier effects, such as replication and dissemination of "
                    "its results?",
                    "L'action est-elle susceptible d'avoir des effets multiplicateurs, tels que la reproduction et "
                    "la diffusion de ses résultats ?",
                ),
                _criterion(
                    "4.3",
                    1,
                    "Sustainability of the results",
                    "Durabilité des résultats",
                    "Are the expected results sustainable financially, institutionally, at policy level and "
                    "environmentally?",
                    "Les résultats attendus sont-ils durables sur les plans financier, institutionnel, politique "
                    "et environnemental ?",
                ),
            ],
        },
        {
            "code": "5",
            "title_en": "Budget and cost-effectiveness of the action",
            "title_fr": "Budget et rapport coût-efficacité de l'action",
            "threshold": None,
            "criteria": [
                _criterion(
                    "5.1",
                    2,
                    "Ratio between costs and expected results",
                    "Rapport entre les coûts et les résultats attendus",
                    "Are the activities appropriately reflected in the budget, and is the ratio between the costs "
                    "and the expected results satisfactory?",
                    "Les activités sont-elles correctement reflétées dans le budget, et le rapport entre les coûts "
                    "et les résultats attendus est-il satisfaisant ?",
                ),
                _criterion(
                    "5.2",
                    1,
                    "Necessity of the expenditure",
                    "Nécessité des dépenses",
                    "Is the proposed expenditure necessary for the implementation of the action?",
                    "Les dépenses proposées sont-elles nécessaires à la mise en œuvre de l'action ?",
                ),
            ],
        },
    ],
}

# The shape of EU research calls: scores 0-5 with half points, at least 3 evaluators, a threshold of 3 on each
# criterion and of 10 on the total (out of 15).
RESEARCH = {
    "kind": "full_application",
    "name_en": "Evaluation (research shape)",
    "name_fr": "Évaluation (modèle recherche)",
    "scale_min": Decimal(0),
    "scale_max": Decimal(5),
    "scale_step": Decimal("0.5"),
    "evaluators_required": 3,
    "total_threshold": Decimal(10),
    "sections": [
        {
            "code": "1",
            "title_en": "Excellence",
            "title_fr": "Excellence",
            "threshold": None,
            "criteria": [
                _criterion(
                    "1",
                    1,
                    "Excellence",
                    "Excellence",
                    "Clarity and pertinence of the objectives; soundness of the methodology; ambition beyond the "
                    "state of the art.",
                    "Clarté et pertinence des objectifs ; solidité de la méthodologie ; ambition au-delà de l'état "
                    "de l'art.",
                    Decimal(3),
                ),
            ],
        },
        {
            "code": "2",
            "title_en": "Impact",
            "title_fr": "Impact",
            "threshold": None,
            "criteria": [
                _criterion(
                    "2",
                    1,
                    "Impact",
                    "Impact",
                    "Credibility of the pathways to the expected outcomes and impacts; measures to maximise them, "
                    "including dissemination and communication.",
                    "Crédibilité des voies menant aux résultats et impacts attendus ; mesures pour les maximiser, "
                    "y compris la diffusion et la communication.",
                    Decimal(3),
                ),
            ],
        },
        {
            "code": "3",
            "title_en": "Quality and efficiency of the implementation",
            "title_fr": "Qualité et efficacité de la mise en œuvre",
            "threshold": None,
            "criteria": [
                _criterion(
                    "3",
                    1,
                    "Quality and efficiency of the implementation",
                    "Qualité et efficacité de la mise en œuvre",
                    "Quality and effectiveness of the work plan, of the resources and of the consortium as a whole.",
                    "Qualité et efficacité du plan de travail, des ressources et du consortium dans son ensemble.",
                    Decimal(3),
                ),
            ],
        },
    ],
}

# The templates a manager picks from when adding a scored stage, in the order the picker lists them.
TEMPLATES = {"concept_note": CONCEPT_NOTE, "full_application": FULL_APPLICATION, "research": RESEARCH}


def template_choices() -> list[tuple[str, str]]:
    """(key, name) of each template, the name in the reader's language."""
    from portal.core.i18n import locale_code

    french = locale_code().startswith("fr")
    return [(key, t["name_fr"] if french else t["name_en"]) for key, t in TEMPLATES.items()]


def build_stage(call, template: dict | None = None, position: int = 1, *, kind: str | None = None, version: int = 1):
    """A new EvaluationStage for `call`, with sections and criteria copied from `template` (the stage's kind is
    the template's unless `kind` says otherwise: any grid may score either kind of proposal)."""
    from portal.evaluation.models import Criterion, EvaluationStage, GridSection

    template = template or CONCEPT_NOTE
    stage = EvaluationStage(
        call=call,
        pipeline_version=version,
        position=position,
        kind=kind or template["kind"],
        name_en=template["name_en"],
        name_fr=template["name_fr"],
        scale_min=template["scale_min"],
        scale_max=template["scale_max"],
        scale_step=template["scale_step"],
        evaluators_required=template["evaluators_required"],
        total_threshold=template["total_threshold"],
    )
    criterion_position = 0
    for section_position, section_data in enumerate(template["sections"], start=1):
        section = GridSection(
            stage=stage,
            position=section_position,
            code=section_data["code"],
            title_en=section_data["title_en"],
            title_fr=section_data["title_fr"],
            threshold=section_data["threshold"],
        )
        for crit in section_data["criteria"]:
            criterion_position += 1
            Criterion(
                stage=stage,
                section=section,
                position=criterion_position,
                code=crit["code"],
                title_en=crit["title_en"],
                title_fr=crit["title_fr"],
                guidance_en=crit["guidance_en"],
                guidance_fr=crit["guidance_fr"],
                weight=crit["weight"],
                min_score=crit.get("min_score"),
            )
    return stage
