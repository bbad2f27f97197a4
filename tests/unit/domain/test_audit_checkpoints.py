"""Audit checkpoints: a signed chain head tells a truncated tail, a rewritten chain and a foreign
or altered checkpoint apart from an intact log; a rotated-out key keeps verifying old ones."""

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from selfservice.domain import checkpoints as cp
from selfservice.domain.audit import GENESIS_HASH, ChainEntry, canonical_json, entry_hash, verify_chain
from tests.unit.domain.test_audit_chain import build_chain

KEY = Ed25519PrivateKey.generate()
KEYS = {cp.key_id(KEY.public_key()): KEY.public_key()}
AT = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)


def _lookup(chain):
    hashes = {entry.seq: stored for entry, stored in chain}
    return (max(hashes) if hashes else 0), hashes.get


@given(st.lists(st.text(max_size=20), min_size=1, max_size=12), st.data())
def test_an_intact_or_grown_chain_passes_and_a_cut_tail_is_found(payloads, data):
    chain = build_chain(payloads)
    at = data.draw(st.integers(1, len(chain)))  # the checkpoint was signed when the log had `at` entries
    checkpoint = cp.sign(KEY, at, chain[at - 1][1], AT)
    last, hash_at = _lookup(chain)
    assert cp.check(checkpoint, KEYS, last, hash_at).ok  # later entries may follow
    cut = data.draw(st.integers(0, at - 1))  # delete the newest entries down to `cut`
    remaining = chain[:cut]
    assert verify_chain(remaining).ok  # the chain alone cannot see it...
    last, hash_at = _lookup(remaining)
    found = cp.check(checkpoint, KEYS, last, hash_at)
    assert found.finding == cp.Finding.truncated and found.last_seq == cut  # ...the checkpoint does


@given(st.lists(st.text(max_size=20), min_size=2, max_size=12), st.data())
def test_a_rewritten_chain_that_verifies_on_its_own_is_found(payloads, data):
    chain = build_chain(payloads)
    checkpoint = cp.sign(KEY, len(chain), chain[-1][1], AT)
    index = data.draw(st.integers(0, len(chain) - 1))
    # rewrite one entry and recompute every hash after it: a consistent, forged chain
    rebuilt, prev = [], GENESIS_HASH
    for position, (entry, _) in enumerate(chain):
        after = canonical_json({"v": "forged"}) if position == index else entry.after_json
        fresh = ChainEntry(**{**entry.__dict__, "after_json": after, "prev_hash": prev})
        prev = entry_hash(fresh)
        rebuilt.append((fresh, prev))
    assert verify_chain(rebuilt).ok
    last, hash_at = _lookup(rebuilt)
    assert cp.check(checkpoint, KEYS, last, hash_at).finding == cp.Finding.rewritten


def test_a_checkpoint_by_another_key_or_altered_is_refused():
    chain = build_chain(["a", "b", "c"])
    last, hash_at = _lookup(chain)
    other = Ed25519PrivateKey.generate()
    foreign = cp.sign(other, 3, chain[-1][1], AT)
    assert cp.check(foreign, KEYS, last, hash_at).finding == cp.Finding.unknown_key
    mine = cp.sign(KEY, 3, chain[-1][1], AT)
    for altered in (
        replace(mine, seq=2, head_hash=chain[1][1]),
        replace(mine, at=AT.replace(hour=17)),
        replace(mine, signature="bm90IGEgc2lnbmF0dXJl"),
    ):
        assert cp.check(altered, KEYS, last, hash_at).finding == cp.Finding.bad_signature
    # a forged checkpoint claiming the company's key id but signed by another key
    impostor = replace(foreign, key_id=mine.key_id)
    assert cp.check(impostor, KEYS, last, hash_at).finding == cp.Finding.bad_signature


def test_a_rotated_key_keeps_old_checkpoints_verifiable_and_an_empty_log_can_be_signed():
    chain = build_chain(["a", "b"])
    last, hash_at = _lookup(chain)
    old = cp.sign(KEY, 1, chain[0][1], AT)
    new_key = Ed25519PrivateKey.generate()
    new = cp.sign(new_key, 2, chain[1][1], AT)
    keys = {**KEYS, cp.key_id(new_key.public_key()): new_key.public_key()}
    assert [c.finding for c in cp.check_all([new, old], keys, last, hash_at)] == [cp.Finding.ok, cp.Finding.ok]
    empty = cp.sign(KEY, 0, GENESIS_HASH, AT)
    assert cp.check(empty, KEYS, 0, lambda seq: None).ok
    with pytest.raises(ValueError):
        cp.sign(KEY, 0, chain[0][1], AT)
