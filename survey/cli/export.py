"""`survey export`."""
