"""Database to labels, trends and reports."""
