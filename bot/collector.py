"""The garbage collector of a long-running server process (the service, the dialogue core).

What a process built to start (modules, the app, a loaded model: most of its objects) leaves
the collector's sight (`gc.freeze()`): every full collection walked them all again, 0.1 s or
more in which no request was answered. Young collections come every `YOUNG_COLLECTION_EVERY`
new objects rather than Python's 700, so a request's objects mostly die young instead of
being promoted and bringing the next full collection on. Standard library only: the dialogue
core's environment imports it too.
"""

import gc

YOUNG_COLLECTION_EVERY = 10_000  # new objects between two young garbage collections


def freeze_what_is_built() -> None:
    """Call once the process has started: its objects so far are kept out of collections."""
    gc.collect()  # what starting left behind is freed first, not kept for good
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])
