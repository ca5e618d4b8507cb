"""The foundation: settings, errors, clock, vocabulary, events, database and migrations, lock.

Nothing here imports anything else of the project; every other layer builds on it.
"""
