"""The evidence bundle (证据包) as a file: a ZIP whose ``manifest.json`` lists every file with its
SHA-256, signed with the company key (``manifest.sig.json``), with the company certificate and a
bilingual "how to verify" page. PDFs inside carry the company's PAdES signature.

:func:`verify` checks a bundle offline — no database, no network — and names the first file that
fails. It is what ``selfservice evidence verify bundle.zip`` runs, and what a lawyer's technician
can re-do by hand with ``sha256sum`` and ``openssl`` (the page inside says how).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cryptography import x509

from selfservice.documents import signing
from selfservice.domain import checkpoints as cp

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig.json"
CERTIFICATE = "company-certificate.pem"
README = "README-如何核验-how-to-verify.txt"
KIND = "selfservice.evidence-bundle"
FIXED = (MANIFEST, SIGNATURE, CERTIFICATE)  # every other file, the README included, is listed in the manifest
ZIP_TIME = (2020, 1, 1, 0, 0, 0)  # entries carry no wall-clock time: the manifest has the real one

HOW_TO_VERIFY = """证据包核验说明 / How to verify this evidence bundle
=====================================================

1. 每个文件的 SHA-256 记录在 manifest.json 中。在解压目录运行：
   Each file's SHA-256 is listed in manifest.json. In the unzipped folder run:

       sha256sum <文件名 / file name>

   结果必须与 manifest.json 中该文件的 "sha256" 完全一致；多出或缺少的文件都说明证据包被改动过。
   The result must equal that file's "sha256" in manifest.json; any extra or missing file means the bundle was changed.

2. manifest.json 由公司密钥签名，签名在 manifest.sig.json（base64，SHA-256），公司证书为 company-certificate.pem：
   manifest.json is signed with the company key; the signature is in manifest.sig.json (base64, SHA-256) and the
   company's certificate is company-certificate.pem:

       python3 -c "import json,base64;open('sig.bin','wb').write(base64.b64decode(json.load(open('manifest.sig.json'))['signature']))"
       openssl x509 -in company-certificate.pem -pubkey -noout > company.pub
       openssl dgst -sha256 -verify company.pub -signature sig.bin manifest.json

   输出 "Verified OK" 即清单未被改动。请将证书指纹与公司公布的指纹核对：
   "Verified OK" means the manifest is unchanged. Compare the certificate's fingerprint with the one the company publishes:

       openssl x509 -in company-certificate.pem -noout -fingerprint -sha256

3. PDF 文件带有公司的电子签名（PAdES），可在 Adobe Acrobat / 福昕阅读器的“签名面板”中查看；签名后任何改动都会使签名失效。
   The PDFs carry the company's electronic signature (PAdES), visible in the signature panel of Adobe Acrobat or
   Foxit Reader; any change after signing invalidates it.

4. 若 manifest.sig.json 含 "timestamp"，它是第三方时间戳机构（RFC 3161）对 manifest.json 的时间戳，证明清单在该时间已存在。
   If manifest.sig.json has a "timestamp", it is an RFC 3161 token from a timestamp authority over manifest.json,
   proving the manifest existed at that time:

       openssl ts -reply -in ts.tsr -token_in -text   (ts.tsr: the base64-decoded "timestamp")

5. manifest.json 中的 "checkpoint" 是导出时对审计日志链头的签名（序号与哈希）。公司日后出示审计日志时，
   该序号处的哈希必须相同，否则日志在导出后被截断或改写。
   The "checkpoint" in manifest.json is the audit log's head (sequence number and hash) signed at export. When the
   company later produces its audit log, the entry at that number must have the same hash, or the log was cut or rewritten.

一键核验 / One command (with this software installed):

    selfservice evidence verify <bundle.zip>
"""


@dataclass
class Builder:
    """Collect files, then :meth:`seal` them into the signed ZIP."""

    case_number: str
    created_at: datetime
    files: dict[str, bytes] = field(default_factory=dict)

    def add(self, path: str, data: bytes) -> None:
        if path in self.files or path in FIXED or path == README or path.startswith("/") or ".." in path.split("/"):
            raise ValueError(path)
        self.files[path] = data

    def seal(self, pair: signing.KeyPair, checkpoint: dict, tsa_url: str = "") -> bytes:
        self.files.setdefault(README, HOW_TO_VERIFY.encode())
        manifest = {
            "kind": KIND,
            "version": 1,
            "case": self.case_number,
            "created_at": self.created_at.astimezone(UTC).isoformat(),
            "key_id": pair.key_id,
            "certificate_sha256": pair.fingerprint,
            "checkpoint": checkpoint,
            "files": [{"path": p, "sha256": hashlib.sha256(d).hexdigest(), "size": len(d)} for p, d in sorted(self.files.items())],
        }
        manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
        signature = {
            "key_id": pair.key_id,
            "algorithm": signing.algorithm(pair.private_key),
            "hash": "sha256",
            "signature": base64.b64encode(cp.sign_bytes(pair.private_key, manifest_bytes)).decode(),
        }
        if tsa_url:
            signature["timestamp"] = base64.b64encode(signing.timestamp(tsa_url, manifest_bytes)).decode()
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
            for path, data in [
                (MANIFEST, manifest_bytes),
                (SIGNATURE, json.dumps(signature, indent=2, sort_keys=True).encode()),
                (CERTIFICATE, pair.certificate_pem.encode()),
                *sorted(self.files.items()),
            ]:
                bundle.writestr(zipfile.ZipInfo(path, ZIP_TIME), data)
        return out.getvalue()


@dataclass(frozen=True)
class Report:
    ok: bool
    problem: str = ""  # an i18n key ("evidence.hash_mismatch") when not ok
    file: str = ""  # the first file that failed
    case: str = ""
    created_at: str = ""
    key_id: str = ""
    fingerprint: str = ""
    files: int = 0
    pdfs: int = 0
    timestamped: bool = False
    checkpoint_seq: int = 0


def _fail(problem: str, file: str = "", **known) -> Report:
    return Report(False, problem, file, **known)


def verify(bundle: bytes, trusted: list[x509.Certificate] | None = None) -> Report:
    """Check a bundle offline. ``trusted``: the company certificates the reader was given
    separately (without them, the bundle's own certificate is used and its fingerprint shown)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(bundle))
        names = archive.namelist()
        if archive.testzip() is not None:
            return _fail("evidence.not_a_bundle")
        contents = {name: archive.read(name) for name in names}
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError):
        return _fail("evidence.not_a_bundle")
    if len(set(names)) != len(names):
        return _fail("evidence.extra_file", next(n for n in names if names.count(n) > 1))
    if any(name not in contents for name in (MANIFEST, SIGNATURE, CERTIFICATE)):
        return _fail("evidence.no_manifest")
    manifest_bytes = contents[MANIFEST]
    try:
        manifest = json.loads(manifest_bytes)
        listed = {f["path"]: f["sha256"] for f in manifest["files"]}
        if manifest.get("kind") != KIND:
            raise ValueError("kind")
    except (ValueError, KeyError, TypeError):
        return _fail("evidence.no_manifest", MANIFEST)
    try:
        signature = json.loads(contents[SIGNATURE])
        raw_signature = base64.b64decode(signature["signature"], validate=True)
    except (ValueError, KeyError, TypeError):
        return _fail("evidence.manifest_signature", SIGNATURE)
    try:
        certificate = signing.load_certificate(contents[CERTIFICATE])
    except ValueError:
        return _fail("evidence.untrusted_key", CERTIFICATE)
    fingerprint = signing.fingerprint(certificate)
    known = {"case": str(manifest.get("case", "")), "created_at": str(manifest.get("created_at", "")), "fingerprint": fingerprint}
    public_key = certificate.public_key()
    key_id = cp.key_id(public_key)  # type: ignore[arg-type]
    known["key_id"] = key_id
    if trusted is not None and all(signing.fingerprint(c) != fingerprint for c in trusted):
        return _fail("evidence.untrusted_key", CERTIFICATE, **known)
    if manifest.get("key_id") != key_id or manifest.get("certificate_sha256") != fingerprint:
        return _fail("evidence.untrusted_key", CERTIFICATE, **known)
    if signature.get("key_id") != key_id:
        return _fail("evidence.manifest_signature", SIGNATURE, **known)
    if not cp.verify_bytes(public_key, raw_signature, manifest_bytes):  # type: ignore[arg-type]
        return _fail("evidence.manifest_signature", MANIFEST, **known)
    timestamped = False
    if signature.get("timestamp"):
        try:
            token = base64.b64decode(signature["timestamp"], validate=True)
        except ValueError:
            return _fail("evidence.timestamp", SIGNATURE, **known)
        if not signing.check_timestamp(token, manifest_bytes).ok:
            return _fail("evidence.timestamp", SIGNATURE, **known)
        timestamped = True
    for name in names:
        if name not in FIXED and name not in listed:
            return _fail("evidence.extra_file", name, **known)
    if README not in listed:
        return _fail("evidence.missing_file", README, **known)
    pdfs = 0
    for path, digest in sorted(listed.items()):
        if path not in contents:
            return _fail("evidence.missing_file", path, **known)
        if hashlib.sha256(contents[path]).hexdigest() != digest:
            return _fail("evidence.hash_mismatch", path, **known)
        if path.endswith(".pdf") and path.split("/")[0] in SIGNED_FOLDERS:
            if not signing.verify_pdf(contents[path], certificate).ok:
                return _fail("evidence.pdf_signature", path, **known)
            pdfs += 1
    checkpoint = manifest.get("checkpoint") or {}
    try:
        signed = cp.Checkpoint(
            int(checkpoint["seq"]),
            str(checkpoint["head"]),
            datetime.fromisoformat(checkpoint["at"]),
            str(checkpoint["key"]),
            str(checkpoint["signature"]),
        )
    except (KeyError, ValueError, TypeError):
        return _fail("evidence.checkpoint", MANIFEST, **known)
    check = cp.check(signed, {key_id: public_key}, signed.seq, lambda _seq: signed.head_hash)  # type: ignore[dict-item]
    if not check.ok:
        return _fail("evidence.checkpoint", MANIFEST, **known)
    return Report(True, "", "", files=len(listed), pdfs=pdfs, timestamped=timestamped, checkpoint_seq=signed.seq, **known)


# Folders whose PDFs the company signed when exporting (the timeline and the notices); receipts
# and the handbook are kept byte for byte as they were made, and covered by the manifest.
SIGNED_FOLDERS = ("01-timeline", "02-notices")
