"""Tests of the channels app: adapters and simulators."""
