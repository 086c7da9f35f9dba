"""The committee's ranked list through the real services: committed data, Redis, and the Celery worker process that
renders it from the same database and storage (tests/services.py)."""

from __future__ import annotations

import pytest

from portal.core import storage
from portal.documents.models import Document
from portal.evaluation import pipeline
from portal.extensions import db
from tests.documents.test_worker import wait_for_document, wipe_committed, worker_diagnosis  # noqa: F401 - fixture
from tests.evaluation.test_ranked_list_document import ranked, squeezed  # noqa: F401 - a fixture

pytestmark = [pytest.mark.services, pytest.mark.committed, pytest.mark.usefixtures("wipe_committed")]


def test_the_worker_renders_the_ranked_list_and_a_new_version_after_a_change(
    app, real_broker, client, sign_in, session, call, manager, review, request
):
    from tests.evaluation.conftest import ALL_FOURS

    first, second = request.getfixturevalue("ranked")
    stage = pipeline.scoring_stages(call)[-1]
    sign_in(client, manager)
    response = client.post(f"/manage/calls/{call.id}/committee/ranked-list", data={"stage_id": stage.id})
    assert response.status_code == 302  # committed; the job went to Redis after the commit
    document_id = db.session.scalar(db.select(Document.id).where(Document.call_id == call.id))

    document = wait_for_document(document_id, ("ready", "failed"))
    assert document.status == "ready", worker_diagnosis(app, real_broker, document)
    assert document.attempts == 1
    assert "documents.render_committee_ranking" in real_broker.log_path.read_text()
    text = squeezed(storage.get(document.storage_key))
    assert text.index(first.reference) < text.index(second.reference)
    assert "InesEvaluator:40" in text and document.verification_code in text

    # The ranking changes: version 2, rendered by the worker; version 1 stays, superseded.
    review(second, ALL_FOURS)
    review(second, ALL_FOURS)
    db.session.commit()
    client.post(f"/manage/calls/{call.id}/committee/ranked-list", data={"stage_id": stage.id})
    newest = db.session.scalar(
        db.select(Document).where(Document.call_id == call.id).order_by(Document.version.desc()).limit(1)
    )
    assert newest.version == 2
    newest = wait_for_document(newest.id, ("ready", "failed"))
    assert newest.status == "ready", worker_diagnosis(app, real_broker, newest)
    old = db.session.get(Document, document_id)
    assert old.superseded_at is not None and old.status == "ready"
    assert client.get(f"/documents/{old.id}/download").status_code == 200
    assert "replaced by a later version (version 2)" in client.get(f"/verify/{old.verification_code}").text
