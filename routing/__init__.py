"""Loket routing: which team (or external organisation) a citizen's message belongs to."""
