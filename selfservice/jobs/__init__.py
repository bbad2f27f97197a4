"""Scheduled work: the outbox dispatcher and the single-scheduler leader lock."""
