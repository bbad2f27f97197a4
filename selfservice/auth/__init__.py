"""Passwords, TOTP, recovery codes and session tokens."""
