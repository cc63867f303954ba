"""Rasa custom actions, run inside the api process by rasa_sdk's ActionExecutor.

rasa-sdk imports every module in this package and instantiates every
non-abstract Action with no arguments: modules stay light at import time and
get their services from `actions.context` at run time.
"""
