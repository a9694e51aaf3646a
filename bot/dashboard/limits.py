"""Per-person request limits of the dashboard's API: a token bucket per key, in this process
(each instance limits what reaches it; a limit, not a record, so nothing is lost with it)."""

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Buckets are kept for this many keys at most (the least recently seen are forgotten: full).
REMEMBERED_KEYS = 10_000


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """`per_minute` requests a minute for each key, in bursts of up to that many."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def retry_after(self, key: str) -> int:
        """0 when the request may go ahead (and is counted); else whole seconds to wait."""
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(self.capacity, now)
            while len(self.buckets) > REMEMBERED_KEYS:
                self.buckets.popitem(last=False)
        else:
            self.buckets.move_to_end(key)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0
        return max(1, math.ceil((1 - bucket.tokens) / self.rate))
