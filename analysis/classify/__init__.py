"""The classifier, split by idea: reading, extractors by file kind, decision with confidence.

The entry points are in :mod:`analysis.classifier` (``classify``, ``classify_path``).
"""
