"""Notifications: customer mail templates and the outbox that sends each mail once."""
