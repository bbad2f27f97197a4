"""The audit log refuses edits, and `selfservice audit verify` finds any tampering."""

import pytest
import sqlalchemy as sa

from selfservice.cli import main
from selfservice.domain.actor import SYSTEM
from selfservice.services import audit


@pytest.fixture
def chain(demo, now):
    """A demo database with a dozen audit entries."""
    for i in range(10):
        audit.append(demo, SYSTEM, "test.event", "employee", i, before={"n": i}, after={"n": i + 1, "名": "张"}, at=now)
    demo.commit()
    return demo


def run_verify(capsys) -> tuple[int, str]:
    code = main(["audit", "verify"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def attacker(session, *statements):
    """Someone with database access drops the guard triggers first, then tampers."""
    from tests.helpers import drop_trigger

    connection = session.connection()
    drop_trigger(connection, "audit_log", "update")
    drop_trigger(connection, "audit_log", "delete")
    for statement in statements:
        connection.execute(sa.text(statement))
    session.commit()


def test_intact_chain_verifies(chain, capsys):
    from tests.helpers import audit_count

    code, out = run_verify(capsys)
    assert code == 0 and f"{audit_count(chain)} entries" in out and audit_count(chain) >= 11


def test_update_and_delete_are_refused_by_the_database(chain):
    with pytest.raises(sa.exc.DatabaseError):
        chain.connection().execute(sa.text("UPDATE audit_log SET action='x' WHERE seq=2"))
    chain.rollback()
    with pytest.raises(sa.exc.DatabaseError):
        chain.connection().execute(sa.text("DELETE FROM audit_log WHERE seq=2"))
    chain.rollback()


@pytest.mark.parametrize("column", ["action", "actor", "after_json", "entity_id", "at", "hash"])
def test_one_changed_byte_is_found(chain, capsys, column):
    if column == "at":
        later = "at + interval '1 second'" if chain.get_bind().dialect.name == "postgresql" else "datetime(at, '+1 second')"
        attacker(chain, f"UPDATE audit_log SET at = {later} WHERE seq = 5")
    else:
        attacker(chain, f"UPDATE audit_log SET {column} = substr({column}, 1, length({column}) - 1) || 'X' WHERE seq = 5")
    code, out = run_verify(capsys)
    assert code == 1 and "seq 5" in out


def test_removed_entry_is_found(chain, capsys):
    attacker(chain, "DELETE FROM audit_log WHERE seq = 4")
    code, out = run_verify(capsys)
    assert code == 1 and "seq 4" in out


def test_removed_last_entry_is_not_hidden_by_gap_rules(chain, capsys):
    attacker(chain, "DELETE FROM audit_log WHERE seq = 3", "UPDATE audit_log SET seq = seq - 1 WHERE seq > 3")
    code, out = run_verify(capsys)
    assert code == 1 and "seq 3" in out


def test_swapped_entries_are_found(chain, capsys):
    attacker(
        chain,
        "UPDATE audit_log SET seq = -6 WHERE seq = 6",
        "UPDATE audit_log SET seq = 6 WHERE seq = 7",
        "UPDATE audit_log SET seq = 7 WHERE seq = -6",
    )
    code, out = run_verify(capsys)
    assert code == 1 and "seq 6" in out


def test_batched_appends_extend_the_same_chain(chain, capsys):
    audit.append_many(chain, SYSTEM, [("test.batch", "delivery", i, {"i": i}) for i in range(5)])
    audit.append(chain, SYSTEM, "test.after_batch", "delivery", 99)
    chain.commit()
    code, out = run_verify(capsys)
    assert code == 0 and "verified" in out
