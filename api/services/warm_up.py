"""Start-up work done in the background, so no citizen's turn waits for it.

Loading what the api serves from (language models, the router, the index, spaCy) leaves
millions of long-lived objects; each full garbage collection walked all of them again
(~200-300 ms here, a pause in every request in flight). Once the warm-ups are done they are
moved out of the collector's view (`gc.freeze`), so a full collection only looks at what
requests created since.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable

log = logging.getLogger("loket.api")
# Once per process: an object frozen and later dropped inside a reference cycle is never
# freed, so an app built again in the same process (the tests do) must not freeze again.
_frozen = False


def warm_up_in_background(tasks: list[Callable[[], object]]) -> threading.Thread:
    """Run the tasks one after the other in a daemon thread, then freeze what they loaded."""

    def run() -> None:
        global _frozen
        for task in tasks:
            try:
                task()
            except Exception:  # noqa: BLE001 - the first request will do (and report) it again
                log.exception("Warm-up %s failed", getattr(task, "__name__", task))
        if _frozen:
            return
        _frozen = True
        gc.collect()
        gc.freeze()
        log.info("Warm-up done; %d start-up objects kept out of garbage collection", gc.get_freeze_count())

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread
