"""Test support shared by the suite (not tests themselves)."""
