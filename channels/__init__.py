"""Channels: one shop per marketplace account, its credentials, listings and sync cursors; adapters and simulators."""
