"""Tests mirror the code: every production module has a test module at the mirrored path.

`api/services/chat.py` is tested in `tests/api/services/test_chat.py`, `knowledge/index.py`
in `tests/knowledge/test_index.py`. A new module without its test module fails here.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "actions", "bot", "knowledge", "routing")
# Modules with nothing of their own to test: they only assemble or re-export (api/main.py was one
# until create_app set the BLAS threads: tests/api/test_main.py).
NOTHING_TO_TEST: set[str] = set()
# Tests of behaviour that spans modules or of data files rather than one module.
CROSS_CUTTING = {
    "tests/test_layout.py",  # this file
    "tests/test_eval_leakage.py",  # evaluation splits vs. training data
    "tests/knowledge/test_access_control.py",  # access filtering through index, search and answers
    "tests/knowledge/test_heldout_retrieval.py",  # the held-out retrieval gate, on the real model
    "tests/bot/test_rasa_data.py",  # domain, NLU data and stories
    "tests/bot/test_domain_languages.py",  # every response in every language
    "tests/bot/test_rules_cover_every_intent.py",  # the rules alone decide each turn (config.yml)
    "tests/api/test_openapi_fuzz.py",  # every operation of the OpenAPI schema, fuzzed, for every role
}


def production_modules() -> list[Path]:
    modules = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if path.name == "__init__.py" or relative.as_posix() in NOTHING_TO_TEST:
                continue
            modules.append(relative)
    return modules


def mirrored_test(module: Path) -> Path:
    return ROOT / "tests" / module.parent / f"test_{module.stem}.py"


def test_every_production_module_has_its_test_module() -> None:
    missing = [module.as_posix() for module in production_modules() if not mirrored_test(module).is_file()]
    assert not missing, f"modules without tests/<same path>/test_<module>.py: {missing}"


def test_no_test_module_without_its_production_module() -> None:
    """A renamed or removed module takes its test module along."""
    production = {mirrored_test(module) for module in production_modules()}
    orphans = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "tests").rglob("test_*.py"))
        if path not in production
        and path.relative_to(ROOT).as_posix() not in CROSS_CUTTING
        and "integration" not in path.parts
    ]
    assert not orphans, f"test modules that mirror no production module: {orphans}"
