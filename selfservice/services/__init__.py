"""Use cases: take an Actor and a session, enforce who may do what, write the audit entry."""
