"""The ``selfservice`` operator command: migrations, demo data, users, audit verification."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, date, datetime

from selfservice.domain.actor import SYSTEM, Role
from selfservice.domain.errors import DomainError
from selfservice.i18n import t


def _now() -> datetime:
    return datetime.now(UTC)


def cmd_db(args: argparse.Namespace) -> int:
    from selfservice.persistence import migrate

    if args.action == "upgrade":
        migrate.upgrade(args.revision or "head")
    else:
        migrate.downgrade(args.revision or "-1", discard_data=args.discard_data)
    print(f"db {args.action} done")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from selfservice.demo import load_demo
    from selfservice.persistence.db import session_scope
    from selfservice.persistence.migrate import upgrade

    upgrade()
    with session_scope() as session:
        added = load_demo(session)
    print(f"demo: {added} employees added" if added else "demo: database already has employees; nothing added")
    if added:  # the admin's backups page shows a first archive of the demo
        from selfservice.services import backup

        with session_scope() as session:
            made = backup.run(session, "cli", _now())
        print(f"demo: backed up into {made.path}" if made.ok else f"demo: the first backup failed: {made.error}")
    return 0


def cmd_user_create(args: argparse.Namespace) -> int:
    from selfservice.persistence.db import session_scope
    from selfservice.services import employees

    password = args.password or getpass.getpass("Password: ")
    raw = {
        "employee_no": args.username,
        "name": args.name,
        "name_en": args.name_en or "",
        "department": args.department,
        "manager_no": args.manager or "",
        "hire_date": args.hire_date or date.today().isoformat(),
        "phone": args.phone,
        "email": args.email or "",
        "role": args.role,
    }
    with session_scope() as session:
        employee_id = employees.create(session, SYSTEM, raw, password=password, now=_now())
    print(f"user {args.username} created (employee id {employee_id}, role {args.role})")
    return 0


def cmd_user_reset_totp(args: argparse.Namespace) -> int:
    from selfservice.persistence.db import session_scope
    from selfservice.services import auth

    with session_scope() as session:
        auth.reset_totp(session, SYSTEM, args.username, _now())
    print(f"TOTP reset for {args.username}; they enrol again at next sign-in")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """The chain link by link, then every signed checkpoint: a cut-off tail or a chain rewritten
    since a checkpoint fails, though the chain alone would still verify."""
    from selfservice.persistence.db import session_scope
    from selfservice.services import checkpoints

    with session_scope() as session:
        report = checkpoints.verify(session)
    result = report.chain
    if not result.ok:
        print(
            f"audit log BROKEN at seq {result.first_bad_seq}: {result.reason} ({result.checked} entries verified before it)",
            file=sys.stderr,
        )
        return 1
    if report.problems:
        for problem in report.problems:
            print(
                f"audit log FAILS checkpoint at seq {problem.checkpoint_seq}: "
                f"{t('en', 'audit.finding.' + problem.finding.value, seq=problem.checkpoint_seq, last=problem.last_seq)}",
                file=sys.stderr,
            )
        return 1
    signed = [c for c in report.checks if c.ok]
    newest = max((c.checkpoint_seq for c in signed), default=0)
    print(f"audit log intact: {result.checked} entries verified; {len(signed)} checkpoints hold (newest at seq {newest})")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """One archive of the database, the file store and the files beside them (or check one)."""
    from pathlib import Path

    from selfservice.persistence.db import session_scope
    from selfservice.services import backup

    if args.verify:
        manifest = backup.read_manifest(Path(args.verify))
        print(
            f"backup intact: {len(manifest['members'])} members match the manifest (audit seq {manifest['audit_seq']}, {manifest['created_at']})"
        )
        return 0
    if args.out:
        made = backup.create(Path(args.out), _now())
        print(f"backup written: {made.path} ({made.size} bytes, sha256 {made.sha256})")
        return 0
    with session_scope() as session:
        row = backup.run(session, "cli", _now())
    if not row.ok:
        print(f"backup FAILED: {row.error}", file=sys.stderr)
        return 1
    print(f"backup written: {row.path} ({row.size_bytes} bytes, sha256 {row.sha256}); {row.pruned} old archives removed")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Into an empty installation only; then the audit chain, checkpoints and every file are checked."""
    from pathlib import Path

    from selfservice.services import backup

    result = backup.restore(Path(args.archive))
    print(
        f"restored: {result.audit_entries} audit entries, {result.checkpoints} checkpoints, "
        f"{result.documents} documents and {result.files} files checked"
    )
    for problem in result.problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 0 if result.ok else 1


def cmd_audit_checkpoint(args: argparse.Namespace) -> int:
    from selfservice.persistence.db import session_scope
    from selfservice.services import checkpoints

    with session_scope() as session:
        row = checkpoints.take(session, "manual", _now())
        print(
            f"checkpoint: seq {row.seq} head {row.head_hash[:16]}… signed with key {row.key_id}{' and timestamped' if row.tsa_token else ''}"
        )
    return 0


def cmd_evidence_export(args: argparse.Namespace) -> int:
    """Build and keep a case's evidence bundle, and write it to ``--out``."""
    from pathlib import Path

    from selfservice.persistence.db import session_scope
    from selfservice.services import evidence

    with session_scope() as session:
        case = evidence.by_number(session, args.case)
        export_id = evidence.export(session, SYSTEM, case.id, _now(), english=args.english)  # type: ignore[arg-type]
        data, _, name = evidence.bundle_file(session, SYSTEM, export_id)
    out = Path(args.out or name)
    out.write_bytes(data)
    print(f"evidence: {out} ({len(data)} bytes)")
    return 0


def cmd_evidence_verify(args: argparse.Namespace) -> int:
    """Check a bundle offline; exit 1 naming the first file that fails."""
    from pathlib import Path

    from selfservice.services import evidence

    lang = args.lang
    try:
        data = Path(args.bundle).read_bytes()
        trusted = [Path(p).read_bytes() for p in args.trust] if args.trust else None
    except OSError as error:
        print(f"{args.bundle}: {error.strerror}", file=sys.stderr)
        return 2
    report = evidence.verify(data, trusted)
    if not report.ok:
        print(t(lang, report.problem, file=report.file), file=sys.stderr)
        if report.fingerprint:
            print(f"certificate SHA-256: {report.fingerprint}", file=sys.stderr)
        return 1
    print(
        f"bundle OK: case {report.case}, {report.files} files, {report.pdfs} signed PDFs"
        f"{', timestamped' if report.timestamped else ''}; audit checkpoint at seq {report.checkpoint_seq}\n"
        f"signed by key {report.key_id}, certificate SHA-256 {report.fingerprint}"
        + ("" if trusted else "\n(compare this fingerprint with the one the company publishes, or pass --trust company.pem)")
    )
    return 0


def cmd_outbox_drain(args: argparse.Namespace) -> int:
    """Send every due delivery now (operators, tests, the benchmark)."""
    import asyncio

    from selfservice.jobs.dispatcher import Dispatcher

    async def run() -> int:
        dispatcher = Dispatcher(batch=args.batch, concurrency=args.concurrency)
        try:
            return await dispatcher.drain()
        finally:
            await dispatcher.aclose()

    print(f"outbox: {asyncio.run(run())} deliveries attempted")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """One app process of a scale-out: the back-end and the already built front-end on one port,
    without compiling anything (build once with ``reflex export --frontend-only --no-zip``; point
    ``REFLEX_WEB_WORKDIR`` at that build). Granian workers: ``--workers`` or GRANIAN_WORKERS."""
    import os

    from reflex.utils import exec as reflex_exec
    from reflex_base.constants import LogLevel
    from reflex_base.environment import environment

    os.environ["REFLEX_ENV_MODE"] = "prod"
    environment.REFLEX_SKIP_COMPILE.set(True)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)
    if args.workers:
        os.environ["GRANIAN_WORKERS"] = str(args.workers)
    reflex_exec.run_granian_backend_prod(args.host, args.port, LogLevel.ERROR)
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    """The production topology on this machine, in the foreground (see selfservice/cluster.py)."""
    from pathlib import Path

    from selfservice import cluster
    from selfservice.settings import PROJECT_ROOT

    return cluster.run_forever(Path(args.root) if args.root else PROJECT_ROOT / "data" / "cluster", args.port)


def cmd_scheduler(args: argparse.Namespace) -> int:
    """Run the scheduler in the foreground (for scale-out; set SELFSERVICE_SCHEDULER=off in the app)."""
    import asyncio
    import logging
    import signal

    from selfservice.jobs import scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await scheduler.run(stop)

    asyncio.run(main())
    return 0


def cmd_approvals_escalate(args: argparse.Namespace) -> int:
    from selfservice.persistence.db import session_scope
    from selfservice.services import approvals, leave_requests  # noqa: F401  (registers the leave workflows)

    with session_scope() as session:
        reminded, escalated = approvals.escalate_due(session, SYSTEM, _now())
    print(f"approvals: {reminded} reminded, {escalated} escalated")
    return 0


def cmd_leave_accrue(args: argparse.Namespace) -> int:
    from selfservice.persistence.db import session_scope
    from selfservice.services import leave_balances

    with session_scope() as session:
        leave_balances.ensure_default_types(session)
        written = leave_balances.accrue_year(session, SYSTEM, args.year, _now())
    print(f"leave: {written} ledger entries written for {args.year}")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date-time (ISO 8601)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_scan(args: argparse.Namespace) -> int:
    """The daily absence scan for a day (default today), or what it would do (--dry-run)."""
    from selfservice.persistence.db import session_scope
    from selfservice.services import absence_streaks, absence_watch, leave_requests  # noqa: F401  (registers the leave workflows)

    day = args.date or absence_streaks.local_today(_now())
    with session_scope() as session:
        report = absence_watch.scan(session, SYSTEM, day, _now(), trigger="cli", dry_run=args.dry_run)
    label = "dry run, nothing written" if args.dry_run else "done"
    print(
        f"scan {day} (days up to {report.judged_through}): {report.streaks} current streaks, {report.red} at the case threshold, "
        f"{len(report.reminded)} reminded, {len(report.followups)} follow-ups for HR, {report.unconfirmed} in unconfirmed calendar years, "
        f"{report.anomalies} missing days recorded — {label}"
    )
    return 0


def cmd_attendance_forward(args: argparse.Namespace) -> int:
    from selfservice.jobs.attendance import forward_tick

    print(f"attendance: {forward_tick()} unread reminders forwarded")
    return 0


def cmd_attendance_pull(args: argparse.Namespace) -> int:
    import asyncio

    from selfservice.jobs.attendance import pull_wecom

    summary = asyncio.run(pull_wecom(start_from=args.since))
    if summary is None:
        print("attendance: the WeCom check-in pull is off or not configured", file=sys.stderr)
        return 1
    print(
        f"attendance: {summary.windows} windows, {summary.new} new punches, {summary.duplicates} duplicates, {summary.not_punches} missed-check-in placeholders skipped"
    )
    if summary.error:
        print(f"error: stopped at a window that will be pulled again: {summary.error}", file=sys.stderr)
        return 2
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="selfservice", description="selfservice operator commands")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the built app on one port (an app process of a scale-out; see README Deployment)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=3000)
    serve.add_argument("--workers", type=int, default=0, help="Granian workers (default: Reflex's choice)")
    serve.set_defaults(func=cmd_serve)

    cluster_cmd = sub.add_parser(
        "cluster", help="the scale-out topology on this machine: nginx, 2 app processes, PostgreSQL, Redis, S3, schedulers"
    )
    cluster_sub = cluster_cmd.add_subparsers(dest="cluster_command", required=True)
    up = cluster_sub.add_parser("up", help="start it all in the foreground; Ctrl-C stops it")
    up.add_argument("--port", type=int, default=3000, help="nginx's port (the address to open)")
    up.add_argument("--root", help="folder for its data and logs (default data/cluster)")
    up.set_defaults(func=cmd_cluster)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("revision", nargs="?", help="target revision (upgrade: head; downgrade: -1 or base)")
    db.add_argument(
        "--discard-data", action="store_true", help="downgrade a database that holds audit entries anyway (throwaway databases only)"
    )
    db.set_defaults(func=cmd_db)

    backup_cmd = sub.add_parser(
        "backup", help="back up the database and files into one archive (default: the backup folder, with retention)"
    )
    backup_cmd.add_argument("--out", help="write the archive into this folder instead (no retention, not recorded)")
    backup_cmd.add_argument("--verify", metavar="ARCHIVE", help="check an archive against its manifest, change nothing")
    backup_cmd.set_defaults(func=cmd_backup)

    restore_cmd = sub.add_parser("restore", help="restore a backup archive into an empty installation")
    restore_cmd.add_argument("archive")
    restore_cmd.set_defaults(func=cmd_restore)

    demo = sub.add_parser("demo", help="migrate and load the demo company into an empty database")
    demo.set_defaults(func=cmd_demo)

    user = sub.add_parser("user", help="user accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create an employee with an account")
    create.add_argument("--username", required=True, help="employee number, also the username")
    create.add_argument("--name", required=True)
    create.add_argument("--name-en")
    create.add_argument("--department", required=True, help="department code or name")
    create.add_argument("--manager", help="manager's employee number")
    create.add_argument("--phone", required=True)
    create.add_argument("--email")
    create.add_argument("--hire-date")
    create.add_argument("--role", choices=[r.value for r in Role], default="employee")
    create.add_argument("--password", help="omit to be asked")
    create.set_defaults(func=cmd_user_create)
    reset = user_sub.add_parser("reset-totp", help="clear a user's TOTP so they enrol again")
    reset.add_argument("username")
    reset.set_defaults(func=cmd_user_reset_totp)

    audit_cmd = sub.add_parser("audit", help="audit log")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser("verify", help="verify the hash chain; exit 1 naming the first bad entry")
    verify.set_defaults(func=cmd_audit_verify)
    checkpoint = audit_sub.add_parser("checkpoint", help="sign the chain's head with the company key now (also daily and on every export)")
    checkpoint.set_defaults(func=cmd_audit_checkpoint)
    evidence_cmd = sub.add_parser("evidence", help="evidence bundles of disappearance cases")
    evidence_sub = evidence_cmd.add_subparsers(dest="evidence_command", required=True)
    export = evidence_sub.add_parser("export", help="build, sign and keep a case's bundle (also takes an audit checkpoint)")
    export.add_argument("case", help="the case number, e.g. AJ-2026-0001")
    export.add_argument("--out", help="where to write the ZIP (default: its own name in the current directory)")
    export.add_argument("--english", action="store_true", help="add the English edition of the timeline")
    export.set_defaults(func=cmd_evidence_export)
    check = evidence_sub.add_parser("verify", help="check a bundle offline; exit 1 naming the first file that fails")
    check.add_argument("bundle")
    check.add_argument("--trust", action="append", help="a company certificate (PEM) the bundle must be signed with")
    check.add_argument("--lang", default="zh-CN", choices=["zh-CN", "en"])
    check.set_defaults(func=cmd_evidence_verify)
    leave_cmd = sub.add_parser("leave", help="leave balances")
    leave_sub = leave_cmd.add_subparsers(dest="leave_command", required=True)
    accrue = leave_sub.add_parser("accrue", help="grant a year's quotas (carry-over and expiry of the year before); safe to repeat")
    accrue.add_argument("year", type=int)
    accrue.set_defaults(func=cmd_leave_accrue)

    approvals_cmd = sub.add_parser("approvals", help="approval items")
    approvals_sub = approvals_cmd.add_subparsers(dest="approvals_command", required=True)
    escalate = approvals_sub.add_parser("escalate", help="remind, then escalate, items undecided past their time (also a scheduled job)")
    escalate.set_defaults(func=cmd_approvals_escalate)

    scan = sub.add_parser("scan", help="the daily absence scan (reminders, forwards, follow-ups); safe to repeat")
    scan.add_argument("--date", type=_day, help="scan as of this day (YYYY-MM-DD) at the scan time; default today")
    scan.add_argument("--dry-run", action="store_true", help="tell what would happen, write nothing")
    scan.set_defaults(func=cmd_scan)

    attendance_cmd = sub.add_parser("attendance", help="attendance data")
    attendance_sub = attendance_cmd.add_subparsers(dest="attendance_command", required=True)
    pull = attendance_sub.add_parser("pull", help="pull WeCom check-ins now (from where the last pull stopped)")
    pull.add_argument("--since", type=_moment, help="pull again from this moment (ISO 8601), e.g. after fixing a mapping")
    pull.set_defaults(func=cmd_attendance_pull)
    forward = attendance_sub.add_parser("forward", help="forward reminders unread past their working hours now")
    forward.set_defaults(func=cmd_attendance_forward)

    sched = sub.add_parser("scheduler", help="run the scheduled jobs (one leader among all processes)")
    sched.set_defaults(func=cmd_scheduler)

    outbox_cmd = sub.add_parser("outbox", help="notification outbox")
    outbox_sub = outbox_cmd.add_subparsers(dest="outbox_command", required=True)
    drain = outbox_sub.add_parser("drain", help="send every due delivery, then exit")
    drain.add_argument("--batch", type=int, default=200)
    drain.add_argument("--concurrency", type=int, default=32)
    drain.set_defaults(func=cmd_outbox_drain)
    return parser


def main(argv: list[str] | None = None) -> int:
    from selfservice.settings import SettingsError, get_settings

    args = build_parser().parse_args(argv)
    try:
        get_settings()
        return args.func(args)
    except SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    except DomainError as error:
        message = t("en", error.key, **error.params)
        details = getattr(error, "errors", None)
        if details:
            message += " " + "; ".join(f"{e.field}: {t('en', e.key, **e.params)}" for e in details)
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
