"""The default evaluation grids of DOMAIN.md, as templates a call copies (and, later, a manager edits).

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

TEMPLATES = {"concept_note": CONCEPT_NOTE}


def build_stage(call, template: dict | None = None, position: int = 1):
    """A new EvaluationStage for `call`, with sections and criteria copied from `template`."""
    from portal.evaluation.models import Criterion, EvaluationStage, GridSection

    template = template or CONCEPT_NOTE
    stage = EvaluationStage(
        call=call,
        position=position,
        kind=template["kind"],
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
            )
    return stage
