"""Tests of the staff dashboard (oms/dashboard) and the roles behind it (oms/roles.py)."""
