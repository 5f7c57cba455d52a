"""Bring your own city: ``twincity import`` builds a scenario folder from real data."""
