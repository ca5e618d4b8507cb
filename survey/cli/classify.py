"""`survey classify`."""
