"""A PostgreSQL connection the server dropped is replaced before a request uses it, not a 500
(`CONN_HEALTH_CHECKS`)."""

from __future__ import annotations

import pytest
from django.db import close_old_connections, connection

from ..conftest import needs_real_services

pytestmark = pytest.mark.postgres


def _terminate(pid: int) -> None:
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        dbname=db["NAME"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_connection_the_server_dropped_is_replaced_at_the_next_request(transactional_db):
    needs_real_services(postgres=True)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert connection.settings_dict["CONN_MAX_AGE"] > 0  # persistent, so it can go stale
    connection.ensure_connection()
    stale = connection.connection.info.backend_pid
    _terminate(stale)
    # What Django does when a request starts (and ends): drop unusable connections.
    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != stale
