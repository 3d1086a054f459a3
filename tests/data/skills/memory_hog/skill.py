"""Asks for 1.5 GiB, 4 MiB at a time: the worker's 1 GiB address-space limit
(LIMIT_WORKER_MEMORY_BYTES) must stop it with a MemoryError on the way, and
it says how far it got (tests/integration/test_isolation.py checks the
amount). bytes(n) comes from calloc, so the pages count against the limit
without being touched: the test costs address space, not the machine's RAM."""
from skillkit import launch

STEP = 4 * 1024 * 1024
WANTED = 1536 * 1024 * 1024
MIB = 1024 * 1024


@launch
def welcome(req):
    chunks = []
    try:
        while len(chunks) * STEP < WANTED:
            chunks.append(bytes(STEP))
    except MemoryError:
        got = len(chunks) * STEP // MIB
        chunks.clear()
        return f"MemoryError after {got} MiB."
    got = len(chunks) * STEP // MIB
    chunks.clear()
    return f"No MemoryError: I got all {got} MiB."
