"""The workspace dashboard's numbers, gathered for one actor's chapter and below (issue 14)."""

from donor_registry.dashboard.service import Dashboard, gather

__all__ = ["Dashboard", "gather"]
