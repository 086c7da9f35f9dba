"""Reading the collections of one loaded object, one statement each, built once per process.

Why this is written here rather than left to `selectinload`: for a single parent, SQLAlchemy's selectin loader pays
for its generality (an IN list over any number of parents, built and keyed again at every load): about 0.7 ms a
collection at full scale, against 0.35 ms for a plain statement on the foreign key that is built once and whose cache
key SQLAlchemy then keeps. The pages that show one proposal or one review read five or six collections per request
(docs/benchmarks-notes.md). The result is the same as an eager load: the collection is set as loaded, in the
relationship's order, and a collection the session holds already is left as it is.

    @functools.cache
    def _collections():
        return {"sections": children_of(Proposal.sections), "partners": children_of(Proposal.partners, joinedload(...))}

    fill(proposal, _collections())
"""

from __future__ import annotations

from sqlalchemy import Select, bindparam, inspect, select
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db

PARENT = "parent"


def children_of(relationship, *options) -> Select:
    """The statement that reads one parent's one-to-many `relationship` (e.g. `Proposal.sections`), in the
    relationship's order, with `options` (eager loads of the children's own relationships); its bind parameter is the
    parent's key. Build it once (functools.cache) and give it to `fill`."""
    prop = relationship.property
    if prop.secondary is not None or not prop.uselist or len(prop.local_remote_pairs) != 1:
        raise ValueError(f"{relationship} is not a one-to-many relationship on one column")
    (_local, remote) = prop.local_remote_pairs[0]
    stmt = select(prop.mapper).where(remote == bindparam(PARENT))
    if prop.order_by:
        stmt = stmt.order_by(*prop.order_by)
    return stmt.options(*options)


def fill(parent, statements: dict[str, Select]) -> None:
    """Load each named collection of `parent` with its statement (from `children_of`), unless it is loaded already."""
    state = inspect(parent)
    mapper = state.mapper
    for name, stmt in statements.items():
        if name in state.dict:
            continue
        prop = mapper.relationships[name]
        (local, _remote) = prop.local_remote_pairs[0]
        key = getattr(parent, mapper.get_property_by_column(local).key)
        children = db.session.scalars(stmt, {PARENT: key}).unique().all()
        set_committed_value(parent, name, list(children))
