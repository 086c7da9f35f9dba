"""A complete proposal form, section by section: as the data save_section takes, and as the browser posts it."""

from __future__ import annotations

from decimal import Decimal

from portal.extensions import db


def section_data(proposal) -> dict[str, dict]:
    call = proposal.call
    return {
        "identification": {
            "title": proposal.title or "Diaspora investment in Sahel towns",
            "duration_months": 18,
            "jvap_domain_id": call.domains[0].id,
            "dialogue_ids": [d.id for d in call.dialogues[:1]],
            "start_month": "2026-09",
        },
        "summary": {"summary": proposal.summary or "We will work with diaspora associations in three towns."},
        "relevance": {
            "objectives": "It answers the call's first objective.",
            "dialogues": "It feeds the Rabat Process.",
            "domains": "Domain 1: development benefits of migration.",
        },
        "logframe": {
            "overall_objective": "Diaspora investment creates local jobs.",
            "objectives": [
                {
                    "text": "Diaspora associations invest in local enterprises.",
                    "outputs": [
                        {
                            "text": "Ten associations trained.",
                            "indicators": [
                                {
                                    "indicator": "Associations trained",
                                    "baseline": "0",
                                    "target": "10",
                                    "source": "Attendance lists",
                                }
                            ],
                        }
                    ],
                }
            ],
            "activities": [{"uid": "act1", "title": "Training sessions", "description": "", "output": "1.1"}],
        },
        "workplan": {"months": {"act1": [1, 2, 3]}},
        "countries": {"shares": {"ML": Decimal("40"), "SN": Decimal("60")}},
        "target_groups": {
            "target_groups": "Diaspora associations.",
            "target_groups_number": 10,
            "final_beneficiaries": "Young entrepreneurs.",
            "final_beneficiaries_number": 250,
        },
        "risks": {"risks": [{"risk": "Delays", "likelihood": "low", "impact": "medium", "mitigation": "Plan early."}]},
        "sustainability": {
            "sustainability": "Associations keep the fund.",
            "dissemination": "Reports to the dialogue.",
        },
        "declarations": {
            "accurate": True,
            "no_exclusion": True,
            "mandates": True,
            "data_protection": True,
            "signatory_name": "Amina Diallo",
            "signatory_position": "Director",
        },
    }


def budget_posts(requested: Decimal) -> dict[str, str]:
    """A budget form whose requested amount is exactly `requested`: direct costs, indirect costs at 5% of them
    (under the default 7% cap) and co-financing of about 15% of the total (over the default 10% minimum)."""
    direct = (requested / Decimal("0.85") / Decimal("1.05")).quantize(Decimal("0.01"))
    indirect = (direct * Decimal("0.05")).quantize(Decimal("0.01"))
    cofinancing = direct + indirect - requested
    return {
        "line-0-partner": "lead",
        "line-0-category": "human_resources",
        "line-0-description": "Project coordinator",
        "line-0-unit": "lump sum",
        "line-0-quantity": "1",
        "line-0-unit_cost": str(direct),
        "line-1-partner": "lead",
        "line-1-category": "indirect",
        "line-1-description": "Indirect costs (5%)",
        "line-1-unit": "lump sum",
        "line-1-quantity": "1",
        "line-1-unit_cost": str(indirect),
        "source-0-source": "Own funds",
        "source-0-amount": str(cofinancing),
        "source-0-secured": "y",
    }


def fill_budget(proposal, by, requested: Decimal | None = None) -> None:
    """Save a budget, through the operations, whose requested amount is `requested` (default: the proposal's
    requested amount, or €120,000.00)."""
    from portal.proposals.budget import read_budget_form, save_budget

    requested = requested or proposal.requested_amount or Decimal("120000.00")
    save_budget(proposal, read_budget_form(budget_posts(requested), proposal), by=by, expected_version=None)


def fill_sections(proposal, by, keys=None) -> None:
    """Save every section (or `keys`) of the proposal with complete content, through the operations, the budget
    included."""
    from portal.proposals.operations import save_section
    from portal.proposals.sections import section_keys_for

    data = section_data(proposal)
    for key in keys or section_keys_for(proposal):
        if key in data:
            save_section(proposal, key, data[key], by=by, expected_version=None)
        elif key == "budget":
            fill_budget(proposal, by)
    db.session.commit()


def form_posts(proposal) -> dict[str, dict]:
    """What the browser posts for each section (without the version)."""
    data = section_data(proposal)
    ident = data["identification"]
    lf = data["logframe"]
    return {
        "identification": {
            "title": ident["title"],
            "duration_months": str(ident["duration_months"]),
            "jvap_domain_id": str(ident["jvap_domain_id"]),
            "dialogue_ids": [str(d) for d in ident["dialogue_ids"]],
            "start_month": ident["start_month"],
        },
        "summary": dict(data["summary"]),
        "relevance": dict(data["relevance"]),
        "logframe": {
            "overall_objective": lf["overall_objective"],
            "objectives-0-text": lf["objectives"][0]["text"],
            "objectives-0-outputs-0-text": "Ten associations trained.",
            "objectives-0-outputs-0-indicators-0-indicator": "Associations trained",
            "objectives-0-outputs-0-indicators-0-baseline": "0",
            "objectives-0-outputs-0-indicators-0-target": "10",
            "objectives-0-outputs-0-indicators-0-source": "Attendance lists",
            "activities-0-uid": "",
            "activities-0-title": "Training sessions",
            "activities-0-description": "",
            "activities-0-output": "1.1",
        },
        "countries": {"countries": ["SN", "ML"], "share-SN": "60", "share-ML": "40"},
        "target_groups": {
            "target_groups": "Diaspora associations.",
            "target_groups_number": "10",
            "final_beneficiaries": "Young entrepreneurs.",
            "final_beneficiaries_number": "250",
        },
        "risks": {
            "risks-0-risk": "Delays",
            "risks-0-likelihood": "low",
            "risks-0-impact": "medium",
            "risks-0-mitigation": "Plan early.",
        },
        "sustainability": dict(data["sustainability"]),
        "declarations": {
            "accurate": "y",
            "no_exclusion": "y",
            "mandates": "y",
            "data_protection": "y",
            "signatory_name": "Amina Diallo",
            "signatory_position": "Director",
        },
    }
