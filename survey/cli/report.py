"""`survey report`."""
