"""No migration may drop or disable the audit trail's append-only trigger: migrating the audit
app backwards is refused, and no migration's SQL or code touches the trigger destructively."""

from __future__ import annotations

import ast
import inspect
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import RunPython, RunSQL

from ..conftest import needs_real_services

TRIGGER_MIGRATION = ("audit", "0002_append_only_trigger")
DESTRUCTIVE = re.compile(
    r"DROP\s+TRIGGER|DISABLE\s+TRIGGER|DROP\s+FUNCTION\s+(IF\s+EXISTS\s+)?audit_event_append_only"
    r"|DROP\s+TABLE\s+(IF\s+EXISTS\s+)?\"?audit_",
    re.IGNORECASE,
)


def _earlier_targets() -> list[tuple[str, str]]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    names = sorted(name for app, name in loader.disk_migrations if app == "audit")
    # Every target a `migrate audit <name>` could name below the trigger, and "zero".
    return [("audit", n) for n in names if n < TRIGGER_MIGRATION[1]] + [("audit", None)]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "target", _earlier_targets(), ids=lambda t: f"migrate audit {t[1] or 'zero'}"
)
def test_migrating_the_audit_app_back_past_the_trigger_is_refused_before_anything_runs(target):
    """Django unapplies the plan's migrations newest first and refuses at the first one with an
    irreversible operation, before running any of it. So the newest audit migration that would
    be unapplied must be irreversible, whichever migrations are added later."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan([target])
    assert plan, "the audit migrations should be applied in the test database"
    assert all(backwards for _, backwards in plan)
    first, _ = plan[0]
    assert any(not operation.reversible for operation in first.operations), (
        f"{first.app_label}.{first.name} can be unapplied: migrating back to {target[1]} would "
        "run it, and could go on to drop the audit trigger. Make it irreversible."
    )
    assert (TRIGGER_MIGRATION[0], TRIGGER_MIGRATION[1]) in {(m.app_label, m.name) for m, _ in plan}
    trigger = next(m for m, _ in plan if m.name == TRIGGER_MIGRATION[1])
    assert not any(op.reversible for op in trigger.operations)


@pytest.mark.django_db
def test_migrate_audit_0001_is_refused_and_the_trigger_stays():
    needs_real_services(postgres=True)
    with pytest.raises(IrreversibleError):
        call_command("migrate", "audit", "0001", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgname IN "
            "('audit_event_append_only', 'audit_checkpoint_append_only') AND tgenabled = 'O'"
        )
        assert cursor.fetchone() == (2,)


def _code_of(operation: object) -> list[str]:
    texts: list[str] = []
    if isinstance(operation, RunSQL):
        for statements in (operation.sql, operation.reverse_sql):
            if isinstance(statements, str):
                texts.append(statements)
            elif statements:
                texts += [s if isinstance(s, str) else str(s[0]) for s in statements]
    elif isinstance(operation, RunPython):
        for function in (operation.code, operation.reverse_code):
            if function is not None:
                # The whole module: its SQL is often in constants beside the function.
                module = inspect.getmodule(function)
                texts += _strings(inspect.getsource(module or function))
    return texts


def _strings(source: str) -> list[str]:
    """Every string literal in the source but docstrings (which may say "drop trigger")."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def test_no_migration_of_any_app_drops_or_disables_a_trigger_or_an_audit_table():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    offenders = []
    for (app, name), migration in loader.disk_migrations.items():
        for operation in migration.operations:
            for text in _code_of(operation):
                if DESTRUCTIVE.search(text):
                    offenders.append(f"{app}.{name}: {DESTRUCTIVE.search(text).group(0)}")
    assert not offenders, offenders
