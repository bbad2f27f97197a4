"""The company's signatures on evidence: its key and X.509 certificate, PAdES signatures on PDFs
and RFC 3161 timestamps, through pyHanko (no hand-written ASN.1).

A generated key is EC P-256 in a self-signed certificate (PDF readers verify ECDSA; the company
publishes the certificate's fingerprint). An uploaded certificate may be RSA, EC or Ed25519.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import cms, keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from selfservice.domain.checkpoints import PrivateKey, key_id

VALID_YEARS = 10


@dataclass(frozen=True)
class KeyPair:
    private_key: PrivateKey
    certificate: x509.Certificate

    @property
    def key_id(self) -> str:
        return key_id(self.certificate.public_key())  # type: ignore[arg-type]

    @property
    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate)


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate, as ``AB:CD:…`` (what ``openssl x509 -fingerprint -sha256`` prints)."""
    return ":".join(f"{b:02X}" for b in certificate.fingerprint(hashes.SHA256()))


def algorithm(private_key: PrivateKey) -> str:
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return f"ec-{private_key.curve.name}"[:16]
    return f"rsa-{private_key.key_size}"


def generate(company: str, now: datetime) -> KeyPair:
    """A new EC P-256 key in a self-signed certificate for signing evidence."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{company} evidence signing"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, company[:64]),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365 * VALID_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(private_key, hashes.SHA256())
    )
    return KeyPair(private_key, certificate)


class BadKeyMaterial(ValueError):
    """The uploaded certificate or key cannot be used (the ``reason`` is an i18n key)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_uploaded(certificate_bytes: bytes, key_bytes: bytes, password: str, now: datetime) -> KeyPair:
    """An X.509 certificate (PEM or DER) and its private key (PEM or DER, PKCS#8 or traditional,
    optionally encrypted) as HR uploads them; refused unless they belong together and the
    certificate is valid now."""
    try:
        certificate = (
            x509.load_pem_x509_certificate(certificate_bytes)
            if b"-----BEGIN" in certificate_bytes
            else x509.load_der_x509_certificate(certificate_bytes)
        )
    except ValueError:
        raise BadKeyMaterial("key.bad_certificate") from None
    secret = password.encode() or None
    try:
        loaded = (
            serialization.load_pem_private_key(key_bytes, secret)
            if b"-----BEGIN" in key_bytes
            else serialization.load_der_private_key(key_bytes, secret)
        )
    except (ValueError, TypeError):
        raise BadKeyMaterial("key.bad_private_key") from None
    if not isinstance(loaded, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey):
        raise BadKeyMaterial("key.unsupported")
    if isinstance(loaded, rsa.RSAPrivateKey) and loaded.key_size < 2048:
        raise BadKeyMaterial("key.unsupported")
    public_der = certificate.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if loaded.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != public_der:
        raise BadKeyMaterial("key.mismatch")
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise BadKeyMaterial("key.expired")
    return KeyPair(loaded, certificate)


def private_pem(private_key: PrivateKey) -> str:
    return private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def load_pair(certificate_pem: str, key_pem: str) -> KeyPair:
    private_key = serialization.load_pem_private_key(key_pem.encode(), None)
    return KeyPair(private_key, x509.load_pem_x509_certificate(certificate_pem.encode()))  # type: ignore[arg-type]


def load_certificate(pem: str | bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


# ---- RFC 3161 timestamps -----------------------------------------------------------------------


def timestamper(url: str):  # noqa: ANN201
    from pyhanko.sign.timestamps.aiohttp_client import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=10)


def timestamp(url: str, data: bytes) -> bytes:
    """An RFC 3161 token (DER) from the TSA at ``url`` over SHA-256(data)."""
    token = asyncio.run(timestamper(url).async_timestamp(hashlib.sha256(data).digest(), "sha256"))
    return token.dump()


@dataclass(frozen=True)
class TokenCheck:
    ok: bool
    at: datetime | None
    reason: str = ""


def check_timestamp(token_der: bytes, data: bytes) -> TokenCheck:
    """Offline: the token is well formed, covers SHA-256(data), and its CMS signature verifies
    against the TSA certificate it carries (whether that TSA is trusted is the reader's call:
    its name is printed)."""
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    try:
        content = cms.ContentInfo.load(token_der)
        signed = content["content"]
        info = signed["encap_content_info"]["content"].parsed
        if not isinstance(info, tsp.TSTInfo):
            return TokenCheck(False, None, "malformed")
        imprint = info["message_imprint"]
        if imprint["hash_algorithm"]["algorithm"].native != "sha256" or imprint["hashed_message"].native != hashlib.sha256(data).digest():
            return TokenCheck(False, None, "imprint")
        tsa_certs = [c.chosen for c in signed["certificates"] if isinstance(c.chosen, asn1_x509.Certificate)]
        context = ValidationContext(trust_roots=tsa_certs, allow_fetching=False)
        status = asyncio.run(validate_tst_signed_data(signed, context, lambda _algo: hashlib.sha256(data).digest()))
    except Exception:  # noqa: BLE001  (any malformed token is simply not a valid one)
        return TokenCheck(False, None, "malformed")
    if not status["intact"] or not status["valid"]:
        return TokenCheck(False, None, "signature")
    return TokenCheck(True, info["gen_time"].native)


# ---- PAdES ---------------------------------------------------------------------------------------


def _pyhanko_signer(pair: KeyPair):  # noqa: ANN202
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    cert = asn1_x509.Certificate.load(pair.certificate.public_bytes(serialization.Encoding.DER))
    key = keys.PrivateKeyInfo.load(
        pair.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return signers.SimpleSigner(signing_cert=cert, signing_key=key, cert_registry=SimpleCertificateStore.from_certs([cert]))


def sign_pdf(pdf: bytes, pair: KeyPair, reason: str, tsa_url: str = "") -> bytes:
    """The PDF with an incremental PAdES signature (B-T when a TSA is configured, else B-B);
    the original bytes stay the prefix of the signed file."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    async def run() -> bytes:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
        meta = signers.PdfSignatureMetadata(field_name="CompanySignature", reason=reason, subfilter=fields.SigSeedSubFilter.PADES)
        pdf_signer = signers.PdfSigner(meta, signer=_pyhanko_signer(pair), timestamper=timestamper(tsa_url) if tsa_url else None)
        out = await pdf_signer.async_sign_pdf(writer)
        return out.getvalue()

    return asyncio.run(run())


@dataclass(frozen=True)
class PdfCheck:
    ok: bool
    reason: str = ""  # i18n key tail when not ok
    signed_at: datetime | None = None
    timestamped: bool = False


def verify_pdf(pdf: bytes, trusted: x509.Certificate) -> PdfCheck:
    """Offline: exactly one signature, by ``trusted``, intact, covering the whole file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import async_validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    trusted_asn1 = asn1_x509.Certificate.load(trusted.public_bytes(serialization.Encoding.DER))

    async def run() -> PdfCheck:
        try:
            reader = PdfFileReader(io.BytesIO(pdf), strict=False)
            signatures = reader.embedded_signatures
        except Exception:  # noqa: BLE001
            return PdfCheck(False, "pdf_unreadable")
        if len(signatures) != 1:
            return PdfCheck(False, "pdf_unsigned")
        embedded = signatures[0]
        if embedded.signer_cert.dump() != trusted_asn1.dump():
            return PdfCheck(False, "pdf_other_signer")
        context = ValidationContext(trust_roots=[trusted_asn1], allow_fetching=False)
        try:
            status = await async_validate_pdf_signature(embedded, context, skip_diff=True)
        except Exception:  # noqa: BLE001
            return PdfCheck(False, "pdf_signature")
        if not (status.intact and status.valid):
            return PdfCheck(False, "pdf_signature")
        if embedded.coverage is None or embedded.coverage.name != "ENTIRE_FILE":
            return PdfCheck(False, "pdf_changed_after")
        return PdfCheck(True, "", status.signer_reported_dt, status.timestamp_validity is not None)

    return asyncio.run(run())
