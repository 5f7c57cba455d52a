"""twincity."""
