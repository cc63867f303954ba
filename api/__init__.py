"""Loket api: citizen chat gateway, Rasa action webhook, staff and moderator side."""
