"""Audit checkpoints (审计检查点): the chain head signed with the company key.

A hash chain cannot see its own tail cut off: delete the newest entries and what remains still
verifies. A checkpoint records, at a moment, the sequence number and hash of the newest entry,
signed with the company key (the key of its X.509 certificate: EC P-256 when generated, RSA, EC
or Ed25519 when uploaded) and kept outside the audit table. Checked later against
the chain, it tells three failures apart:

- the chain no longer reaches the checkpoint's entry (its tail was truncated);
- the entry at that sequence number has another hash (the chain was rewritten);
- the checkpoint itself is not signed by a key the company holds (forged or foreign).

Plain Python over ``cryptography``; the services store checkpoints and run the checks.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from selfservice.domain.audit import GENESIS_HASH, canonical_json, utc_text

PrivateKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey | rsa.RSAPublicKey


def key_id(public_key: PublicKey) -> str:
    """A short, stable name for a public key: the first 16 hex digits of the SHA-256 of its
    SubjectPublicKeyInfo (what ``openssl pkey -pubout -outform DER | sha256sum`` prints)."""
    der = public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def sign_bytes(private_key: PrivateKey, data: bytes) -> bytes:
    """A signature over ``data`` with whichever kind of key the company holds (SHA-256)."""
    if isinstance(private_key, Ed25519PrivateKey):
        return private_key.sign(data)
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(private_key, rsa.RSAPrivateKey):
        return private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise ValueError("unsupported key type")


def verify_bytes(public_key: PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        if isinstance(public_key, Ed25519PublicKey):
            public_key.verify(signature, data)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        elif isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # the newest entry's sequence number (0: an empty log)
    head_hash: str  # that entry's hash (the genesis hash for an empty log)
    at: datetime  # when it was signed
    key_id: str
    signature: str  # base64 of the signature over :func:`payload`


def payload(seq: int, head_hash: str, at: datetime, signer: str) -> bytes:
    """Exactly the bytes a checkpoint's signature covers."""
    return canonical_json(
        {"kind": "selfservice.audit.checkpoint", "seq": seq, "head": head_hash, "at": utc_text(at), "key": signer}
    ).encode()


def sign(private_key: PrivateKey, seq: int, head_hash: str, at: datetime) -> Checkpoint:
    if seq < 0 or (seq == 0) != (head_hash == GENESIS_HASH) or len(head_hash) != 64:
        raise ValueError("a checkpoint names the newest entry: its sequence number and hash")
    signer = key_id(private_key.public_key())
    signature = sign_bytes(private_key, payload(seq, head_hash, at, signer))
    return Checkpoint(seq, head_hash, at, signer, base64.b64encode(signature).decode())


class Finding(StrEnum):
    ok = "ok"
    unknown_key = "unknown_key"  # signed by a key the company does not hold
    bad_signature = "bad_signature"  # the checkpoint's fields or signature were changed
    truncated = "truncated"  # the chain ends before the checkpoint's entry
    rewritten = "rewritten"  # the entry at the checkpoint's sequence number has another hash


@dataclass(frozen=True)
class Check:
    finding: Finding
    checkpoint_seq: int
    last_seq: int  # the newest sequence number the chain has now

    @property
    def ok(self) -> bool:
        return self.finding == Finding.ok


def check(checkpoint: Checkpoint, keys: Mapping[str, PublicKey], last_seq: int, hash_at: Callable[[int], str | None]) -> Check:
    """Check one checkpoint against the chain as it is now: ``last_seq`` is its newest sequence
    number and ``hash_at(seq)`` the stored hash of an entry (None when there is none). The chain
    itself is verified link by link elsewhere (``verify_chain``); this says whether it still
    contains what was signed."""
    key = keys.get(checkpoint.key_id)
    if key is None:
        return Check(Finding.unknown_key, checkpoint.seq, last_seq)
    try:
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except ValueError:
        return Check(Finding.bad_signature, checkpoint.seq, last_seq)
    if not verify_bytes(key, signature, payload(checkpoint.seq, checkpoint.head_hash, checkpoint.at, checkpoint.key_id)):
        return Check(Finding.bad_signature, checkpoint.seq, last_seq)
    if checkpoint.seq == 0:
        return Check(Finding.ok, 0, last_seq)
    if last_seq < checkpoint.seq:
        return Check(Finding.truncated, checkpoint.seq, last_seq)
    if hash_at(checkpoint.seq) != checkpoint.head_hash:
        return Check(Finding.rewritten, checkpoint.seq, last_seq)
    return Check(Finding.ok, checkpoint.seq, last_seq)


def check_all(
    checkpoints: list[Checkpoint], keys: Mapping[str, PublicKey], last_seq: int, hash_at: Callable[[int], str | None]
) -> list[Check]:
    """Every checkpoint, oldest first; a rotated-out key stays in ``keys`` so old checkpoints
    (and old evidence bundles) keep verifying."""
    return [check(c, keys, last_seq, hash_at) for c in sorted(checkpoints, key=lambda c: (c.seq, c.at))]
