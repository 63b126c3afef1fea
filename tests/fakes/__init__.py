"""Test doubles for outside services (stdlib only)."""
