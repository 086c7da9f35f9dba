from portal.calls.models import Dialogue


def test_reference_data_loaded_by_migrations(session):
    assert {d.code for d in session.scalars(session.query(Dialogue).statement)} == {
        "rabat",
        "khartoum",
        "jvap",
        "c2cmmd",
    }


def test_factories_and_rollback(make_call, make_proposal, session):
    call = make_call()
    proposal = make_proposal(call)
    assert proposal.call.stages[0].max_total == 50
