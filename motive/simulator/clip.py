"""Video clips of any size, made up as they are sent: deterministic bytes, never held whole.

A recall's clip in the simulator is `size` bytes generated from its path in 64 KiB blocks, each
block stamped with its offset so that no two are alike; a test computes the same digest from the
same path and size without either side keeping the clip in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator

BLOCK = 1 << 16
HEADER = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"


def clip_blocks(path: str, size: int) -> Iterator[bytes]:
    pattern = hashlib.sha256(path.encode()).digest() * (BLOCK // 32)
    for offset in range(0, size, BLOCK):
        block = offset.to_bytes(8, "big") + pattern[8:]
        if offset == 0:
            block = HEADER + block[len(HEADER) :]
        yield block[: min(BLOCK, size - offset)]


async def clip_stream(path: str, size: int) -> AsyncIterator[bytes]:
    for block in clip_blocks(path, size):
        yield block


def clip_sha256(path: str, size: int) -> str:
    digest = hashlib.sha256()
    for block in clip_blocks(path, size):
        digest.update(block)
    return digest.hexdigest()
