"""Tests of the local marketplace simulators, over real HTTP on loopback."""
