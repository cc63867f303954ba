"""Alembic migrations of the api's tables: env.py, versions/ (one revision per schema change)."""
