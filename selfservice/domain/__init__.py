"""Pure business rules: no Reflex, no database sessions."""
