"""`survey refresh`."""
