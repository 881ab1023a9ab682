"""Shipping: carriers and shipments (tracking numbers)."""
