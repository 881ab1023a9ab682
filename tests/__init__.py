"""Tests of the OMS, mirroring the apps."""
