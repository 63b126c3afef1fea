"""Accounts of the coordinators' workspace: users, roles, sessions, sign-in throttling, policy."""
