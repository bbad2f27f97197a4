"""Run every benchmark and print each ratio against a baseline measured in the same run."""

from bench import accrual, employee_import, events, evidence, handover, leave, outbox, pageload, policies, scan

if __name__ == "__main__":
    employee_import.main([])
    outbox.main([])
    leave.main([])
    accrual.main([])
    policies.main([])
    handover.main([])
    evidence.main([])
    scan.main([])
    events.main([])
    pageload.main([])
