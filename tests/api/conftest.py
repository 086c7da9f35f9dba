from tests.opendata.world import portfolio  # noqa: F401 - the shared fixture
