"""The services the actions use: installed once by the api, found by every action."""

from __future__ import annotations

import inspect

import pytest

from actions import context
from tests.actions.conftest import NOTHING, RecordingAnswers, install


def test_without_install_the_actions_are_told_what_is_missing() -> None:
    context.install(None)
    with pytest.raises(RuntimeError, match="install"):
        context.current()


def test_the_installed_services_are_the_current_ones(store, tmp_path) -> None:
    first = install(store, RecordingAnswers(NOTHING), tmp_path)
    assert context.current() is first
    second = install(store, RecordingAnswers(NOTHING), tmp_path)
    assert context.current() is second  # a new install replaces the old one


def test_uninstalling_removes_the_services(store, tmp_path) -> None:
    install(store, RecordingAnswers(NOTHING), tmp_path)
    context.install(None)
    with pytest.raises(RuntimeError):
        context.current()


def test_the_apis_answer_service_takes_every_argument_the_actions_pass() -> None:
    """The actions call `answers.answer(...)` with the Protocol's keywords: the api's service accepts
    the same names, kinds and defaults."""
    from api.services.citizen_answers import CitizenAnswers

    for method in ("answer", "document_language"):
        expected = inspect.signature(getattr(context.CitizenAnswerer, method)).parameters
        actual = inspect.signature(getattr(CitizenAnswers, method)).parameters
        assert [(p.name, p.kind, p.default) for p in actual.values()] == [
            (p.name, p.kind, p.default) for p in expected.values()
        ], method
