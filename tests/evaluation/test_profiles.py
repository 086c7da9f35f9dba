"""Evaluator profiles, the confidentiality and impartiality declaration, and the manager's list of evaluators."""

from __future__ import annotations

from sqlalchemy import select

from portal.calls.models import JvapDomain
from portal.core.audit import AuditEntry
from portal.evaluation.conflicts import profile_of
from portal.evaluation.evaluator_models import DECLARATION_VERSION


def test_evaluator_saves_own_profile(client, sign_in, session, make_user, make_org):
    evaluator = make_user("evaluator", full_name="Pat Profile")
    employer = make_org(legal_name="Institut Sénégalais de Recherche Agricole", acronym="ISRA")
    domain = session.scalar(select(JvapDomain).where(JvapDomain.number == 2))
    sign_in(client, evaluator)
    page = client.get("/evaluation/profile")
    assert page.status_code == 200 and "Languages you can evaluate in" in page.get_data(as_text=True)

    response = client.post(
        "/evaluation/profile",
        data={
            "languages": ["fr", "pt"],
            "domains": [str(domain.id)],
            "themes": "Diaspora engagement",
            "countries": ["SN", "ML"],
            "organisation_id": "0",
            "past_employer_names": "Caritas Dakar\n\ninstitut senegalais de recherche agricole",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    profile = profile_of(evaluator)
    assert profile.languages == ["fr", "pt"]
    assert [d.number for d in profile.domains] == [2]
    assert profile.countries == ["ML", "SN"]
    assert profile.organisation_id is None
    assert [o.id for o in profile.past_employers] == [employer.id]
    assert profile.past_employer_names == ["Caritas Dakar", "institut senegalais de recherche agricole"]
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "evaluator.profile_saved")).one()


def test_profile_without_a_language_keeps_what_was_typed(client, sign_in, session, make_user):
    evaluator = make_user("evaluator")
    sign_in(client, evaluator)
    response = client.post(
        "/evaluation/profile",
        data={"themes": "Remittances and climate mobility", "countries": ["SN"], "organisation_id": "0"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose at least one language you can evaluate in." in html
    assert "Remittances and climate mobility" in html
    assert profile_of(evaluator) is None


def test_unknown_country_is_refused(client, sign_in, make_user):
    sign_in(client, make_user("evaluator"))
    response = client.post(
        "/evaluation/profile", data={"languages": ["en"], "countries": ["XX"], "organisation_id": "0"}
    )
    assert "Choose countries from the list." in response.get_data(as_text=True)


def test_queue_asks_to_sign_then_signing_is_recorded(client, sign_in, session, make_user):
    evaluator = make_user("evaluator")
    sign_in(client, evaluator)
    assert "Sign the confidentiality and impartiality declaration first." in client.get("/evaluation").get_data(
        as_text=True
    )

    refused = client.post("/evaluation/confidentiality-and-impartiality", data={"confidentiality": "y"})
    assert refused.status_code == 200
    assert "Confirm that you will evaluate impartially." in refused.get_data(as_text=True)

    signed = client.post(
        "/evaluation/confidentiality-and-impartiality", data={"confidentiality": "y", "impartiality": "y"}
    )
    assert signed.status_code == 302
    session.expire_all()
    profile = profile_of(evaluator)
    assert profile.has_signed and profile.declaration_version == DECLARATION_VERSION
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "evaluator.declaration_signed")).one()
    assert entry.after["declaration_version"] == DECLARATION_VERSION
    assert "Sign the confidentiality and impartiality declaration first." not in client.get("/evaluation").get_data(
        as_text=True
    )
    assert "You signed this declaration on" in client.get("/evaluation/confidentiality-and-impartiality").get_data(
        as_text=True
    )


def test_declaration_page_in_french(client, sign_in, session, make_user):
    evaluator = make_user("evaluator", locale="fr")
    sign_in(client, evaluator)
    html = client.get("/evaluation/confidentiality-and-impartiality", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )
    assert "confidentialité" in html.lower()


def test_manager_sees_evaluators_with_profiles(client, sign_in, manager, make_evaluator, make_user, make_org):
    make_evaluator(full_name="Signed Sofia", languages=("pt",), organisation=make_org(legal_name="Sofia's Institute"))
    make_user("evaluator", full_name="Profileless Paul")
    sign_in(client, manager)
    html = client.get("/manage/evaluators").get_data(as_text=True)
    assert "Signed Sofia" in html and "Portuguese" in html and "Sofia&#39;s Institute" in html
    assert "Profileless Paul" in html and "No profile yet." in html


def test_evaluators_list_is_for_staff_only(client, sign_in, evaluator, make_user):
    sign_in(client, evaluator)
    assert client.get("/manage/evaluators").status_code == 403
    sign_in(client, make_user("applicant"))
    assert client.get("/evaluation/profile").status_code == 403
    assert client.get("/evaluation/confidentiality-and-impartiality").status_code == 403
