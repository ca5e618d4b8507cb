"""`survey status`."""
