"""Outbound channels behind one small interface: ``async send(Outgoing) -> SendResult``."""
