"""Donations and deferrals recorded at drives, and the per-donor counts they drive."""
