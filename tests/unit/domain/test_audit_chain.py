from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain.audit import GENESIS_HASH, ChainEntry, canonical_json, entry_hash, verify_chain

texts = st.text(max_size=40)


def build_chain(payloads: list[str]) -> list[tuple[ChainEntry, str]]:
    chain, prev = [], GENESIS_HASH
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i, payload in enumerate(payloads, start=1):
        entry = ChainEntry(
            i, start + timedelta(seconds=i), 1, "hr01#1", "x.changed", "employee", str(i), None, canonical_json({"v": payload}), prev
        )
        prev = entry_hash(entry)
        chain.append((entry, prev))
    return chain


@given(st.lists(texts, min_size=1, max_size=12))
def test_intact_chain_verifies(payloads):
    result = verify_chain(build_chain(payloads))
    assert result.ok and result.checked == len(payloads)


@given(st.lists(texts, min_size=2, max_size=12), st.data())
def test_any_changed_field_is_found_at_its_sequence(payloads, data):
    chain = build_chain(payloads)
    index = data.draw(st.integers(0, len(chain) - 1))
    entry, stored = chain[index]
    tampered = ChainEntry(**{**entry.__dict__, "after_json": (entry.after_json or "") + " "})
    chain[index] = (tampered, stored)
    result = verify_chain(chain)
    assert not result.ok and result.first_bad_seq == index + 1


@given(st.lists(texts, min_size=3, max_size=12), st.data())
def test_removed_entry_is_found(payloads, data):
    chain = build_chain(payloads)
    index = data.draw(st.integers(0, len(chain) - 2))
    del chain[index]
    result = verify_chain(chain)
    assert not result.ok and result.first_bad_seq == index + 1


def test_canonical_json_is_key_order_independent():
    assert canonical_json({"b": 1, "a": "中"}) == canonical_json({"a": "中", "b": 1}) == '{"a":"中","b":1}'
