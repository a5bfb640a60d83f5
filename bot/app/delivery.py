"""Send outbox rows to chat platforms: retries with backoff, rate limits, no doubles.

Delivery is a fixed sequence of small stages, after Alertmanager's notify
pipeline, each with one job:

    expire → resolve → mute → await lead → claim → pace → send → record

A stage either hands the attempt on or settles the row (dead, failed, suppressed,
rescheduled) and stops. The mute rule is `bot.core.alerts.silence_for`, the same
function routing uses; pacing per channel is `ChannelPacer`, the only pacing in the
code (adapters do not pace on their own).

The delivery table is the notification log (RELIABILITY R-07): a row is claimed in
the store (attempts + 1, next attempt pushed out by a lease) before anything goes to
the platform, and marked sent after. A crash between the two leaves a row whose
attempts show it may have been posted; the next attempt asks the adapter whether
the message is there (the `MessageFinder` capability, Slack) before posting again.
Matrix reuses the delivery key as transaction id, so its resend is harmless.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Protocol

import anyio.to_thread
import structlog

from bot.app.ports import (
    AlertView,
    ChatAdapter,
    Clock,
    DeliveryError,
    MessageFinder,
    OutboxRepository,
    Posted,
    SilenceRepository,
)
from bot.core.alerts import pending_lead, silence_for
from bot.core.domain import AlertKey, Channel, Contradiction, Silence
from bot.core.records import AlertRecord, Delivery, DeliveryOutcome, DeliveryStatus

log = structlog.get_logger("denialwatch.delivery")

BACKOFF_BASE = 1.0
BACKOFF_CAP = 300.0
CLAIM_LEASE = timedelta(seconds=60)
"""How long a claimed row is left alone: a crashed worker's row is retried after this."""
MAX_AGE = timedelta(hours=24)
CHANNEL_INTERVAL = 1.0
"""Seconds between two posts to one channel (Slack: about one message per second)."""
AUTH_PAUSE = timedelta(seconds=60)
"""While a platform rejects our credentials, probe it at most this often."""
LEAD_WAIT = timedelta(seconds=2)

OutcomeHandler = Callable[[Delivery, DeliveryOutcome], None]
"""Called with each delivery outcome (for metrics and operator alerts)."""


def backoff(attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(max(attempt, 0), 32))
    return max(rng.uniform(0, ceiling), retry_after or 0.0)


class ChannelPacer:
    """Keep posts to one channel `interval` seconds apart, for every kind of post."""

    def __init__(
        self,
        interval: float = CHANNEL_INTERVAL,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interval = interval
        self._sleep = sleep
        self._monotonic = monotonic
        self._last: dict[Channel, float] = {}

    async def wait(self, channel: Channel) -> None:
        """Wait until the channel may take the next post, and count that post as sent."""
        last = self._last.get(channel)
        if last is not None:
            wait = self._interval - (self._monotonic() - last)
            if wait > 0:
                await self._sleep(wait)
        self._last[channel] = self._monotonic()


@dataclass(slots=True)
class Attempt:
    """One delivery on its way through the stages; each stage fills in what it found."""

    delivery: Delivery
    silences: Sequence[Silence]
    adapter: ChatAdapter | None = None
    record: AlertRecord | None = None
    contradiction: Contradiction | None = None
    root: Delivery | None = None
    """The message a follow-up goes under (None: this one goes out top-level)."""
    posted: Posted | None = None


class DeliveryStore(OutboxRepository, SilenceRepository, Protocol):
    """The roles delivery needs: the outbox, and the silences the mute stage reads."""


Stage = Callable[[Attempt], Awaitable[bool]]
"""A delivery stage: True hands the attempt on, False means the row is settled."""


class DeliveryWorker:
    """Drain due deliveries through the stages; channels side by side, each in order.

    A rate-limited channel is left alone until its Retry-After has passed, and a
    platform that rejects our credentials is paused.
    """

    def __init__(
        self,
        store: DeliveryStore,
        adapters: Mapping[str, ChatAdapter],
        clock: Clock,
        *,
        rng: random.Random | None = None,
        max_age: timedelta = MAX_AGE,
        channel_interval: float = CHANNEL_INTERVAL,
        pacer: ChannelPacer | None = None,
        lease: timedelta | None = None,
        auth_pause: timedelta = AUTH_PAUSE,
        on_outcome: OutcomeHandler | None = None,
        page_link: Callable[[AlertKey], str] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._adapters = adapters
        # Capabilities are declared by the adapters and looked up once, here.
        self._finders = {
            name: adapter
            for name, adapter in adapters.items()
            if isinstance(adapter, MessageFinder)
        }
        self._clock = clock
        self._rng = rng or random.Random()
        self._max_age = max_age
        self.pacer = pacer or ChannelPacer(channel_interval, sleep=sleep, monotonic=monotonic)
        # Read at construction, not at import, so a test harness can shorten it.
        self._lease = lease if lease is not None else CLAIM_LEASE
        self._auth_pause = auth_pause
        self._on_outcome = on_outcome
        self._page_link = page_link
        self._channel_hold: dict[Channel, datetime] = {}
        self._claimed: frozenset[str] = frozenset()
        """The rows this worker claimed in the current `run_once`."""
        self._coalesced: set[str] = set()
        """Rows of that batch coalesced into an edit already made: skipped."""
        self._platform_hold: dict[str, datetime] = {}
        self._stages: tuple[Stage, ...] = (
            self._expire,
            self._resolve,
            self._mute,
            self._await_lead,
            self._claim,
            self._pace,
            self._send,
            self._record,
        )

    async def run_once(self, limit: int = 20) -> int:
        """Send what is due now; return how many deliveries were confirmed.

        `limit` stays small: the store's claim on a batch must outlast draining it
        at one message per second per channel. A store failure propagates after
        every channel has stopped: with no notification log, nothing more is sent
        (R-07).
        """
        now = self._clock.now()
        due = await anyio.to_thread.run_sync(self._store.due_deliveries, now, limit)
        if not due:
            return 0
        self._claimed = frozenset(d.key for d in due)
        self._coalesced = set()
        silences = await anyio.to_thread.run_sync(self._store.silences)
        by_channel: dict[Channel, list[Delivery]] = {}
        for delivery in due:
            by_channel.setdefault(delivery.channel, []).append(delivery)
        results = await asyncio.gather(
            *(self._drain(rows, silences) for rows in by_channel.values()),
            return_exceptions=True,
        )
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]
        return sum(r for r in results if isinstance(r, int))

    async def _drain(self, deliveries: Sequence[Delivery], silences: Sequence[Silence]) -> int:
        sent = 0
        for delivery in deliveries:
            if delivery.key in self._coalesced:
                continue
            hold = self._hold(delivery)
            if hold is not None:
                # Release the claim without counting an attempt; try after the hold.
                await self._store_update(replace(delivery, next_attempt_at=hold))
                continue
            if await self.deliver(Attempt(delivery, silences)):
                sent += 1
        return sent

    async def deliver(self, attempt: Attempt) -> bool:
        """Run one delivery through every stage; True when the platform confirmed it."""
        for stage in self._stages:
            if not await stage(attempt):
                return False
        return True

    def _hold(self, delivery: Delivery) -> datetime | None:
        now = self._clock.now()
        holds = [
            h
            for h in (
                self._platform_hold.get(delivery.channel.platform),
                self._channel_hold.get(delivery.channel),
            )
            if h is not None
        ]
        latest = max(holds, default=None)
        return latest if latest is not None and latest > now else None

    # -- the stages, in order ----------------------------------------------------------

    async def _expire(self, attempt: Attempt) -> bool:
        """A row older than `max_age` is dead: an alert a day late is no alert."""
        delivery, now = attempt.delivery, self._clock.now()
        if delivery.created_at is None or now - delivery.created_at < self._max_age:
            return True
        log.error(
            "delivery dead",
            delivery=delivery.key,
            channel=str(delivery.channel),
            attempts=delivery.attempts,
            last_error=delivery.last_error,
            age_hours=round((now - delivery.created_at).total_seconds() / 3600, 1),
        )
        await self._finish(delivery, DeliveryStatus.DEAD, error=delivery.last_error)
        return False

    async def _resolve(self, attempt: Attempt) -> bool:
        """Find the platform's adapter and the alert evidence the row points at."""
        delivery = attempt.delivery
        attempt.adapter = self._adapters.get(delivery.channel.platform)
        if attempt.adapter is None:
            # Not lost: the platform may be configured again before the row dies.
            await self._pause(delivery, f"no {delivery.channel.platform} adapter configured")
            return False
        attempt.record = await anyio.to_thread.run_sync(self._store.alert, delivery.alert_key)
        attempt.contradiction = _find(attempt.record, delivery.contradiction_key)
        if attempt.contradiction is None:
            log.error("delivery failed permanently", delivery=delivery.key, error="alert not found")
            await self._finish(delivery, DeliveryStatus.FAILED, error="alert not found")
            return False
        return True

    async def _mute(self, attempt: Attempt) -> bool:
        """A silence that began after routing still holds the row back (suppressed)."""
        assert attempt.contradiction is not None
        muted = silence_for(attempt.silences, attempt.contradiction, self._clock.now())
        if muted is None:
            return True
        delivery = attempt.delivery
        log.info("delivery suppressed: muted", delivery=delivery.key, target=muted.target)
        await self._finish(delivery, DeliveryStatus.SUPPRESSED, error=f"muted: {muted.target}")
        return False

    async def _await_lead(self, attempt: Attempt) -> bool:
        """A follow-up goes under its lead: while the lead is pending, wait for it."""
        delivery, record = attempt.delivery, attempt.record
        assert record is not None
        if delivery.is_lead:
            return True
        attempt.root = thread_root(record, delivery.channel)
        waiting = pending_lead(delivery, record.deliveries)
        if attempt.root is not None or waiting is None:
            return True
        now = self._clock.now()
        later = max(now + LEAD_WAIT, waiting.next_attempt_at or now)
        await self._store_update(replace(delivery, next_attempt_at=later))
        return False

    async def _claim(self, attempt: Attempt) -> bool:
        """Write the attempt to the notification log before sending: no database, no send."""
        delivery = attempt.delivery
        attempt.delivery = replace(
            delivery,
            attempts=delivery.attempts + 1,
            next_attempt_at=self._clock.now() + self._lease,
        )
        await self._store_update(attempt.delivery)
        return True

    async def _pace(self, attempt: Attempt) -> bool:
        await self.pacer.wait(attempt.delivery.channel)
        return True

    async def _send(self, attempt: Attempt) -> bool:
        """Post, edit or reconcile; a platform error settles or reschedules the row."""
        try:
            attempt.posted = await self._post(attempt)
        except DeliveryError as error:
            await self._failed(attempt.delivery, error)
            return False
        except Exception as error:  # any adapter bug must not lose the row
            await self._failed(
                attempt.delivery, DeliveryError(f"{type(error).__name__}: {error}"[:200])
            )
            return False
        return True

    async def _record(self, attempt: Attempt) -> bool:
        delivery, posted = attempt.delivery, attempt.posted
        assert posted is not None
        try:
            await self._finish(delivery, DeliveryStatus.SENT, posted=posted)
        except Exception:
            # The platform has it but we could not record it: the next attempt reconciles.
            log.error(
                "delivery outcome not recorded", delivery=delivery.key, message_id=posted.message_id
            )
            raise
        log.info(
            "alert delivered",
            delivery=delivery.key,
            channel=str(delivery.channel),
            message_id=posted.message_id,
            lead=attempt.root is None,
            update=delivery.update,
            attempts=delivery.attempts,
        )
        if delivery.update and attempt.root is not None:
            await self._coalesce(attempt)
        return True

    async def _coalesce(self, attempt: Attempt) -> None:
        """The edit just made listed every source of the alert as read: the other
        pending source-list edits of this lead whose evidence was in it are done too."""
        delivery, record = attempt.delivery, attempt.record
        assert record is not None
        # A set, not `_find` per row: thousands of pending edits meet thousands of
        # contradictions in a burst of copies.
        rendered = {c.key for c in record.alert.contradictions}
        carried = [
            d
            for d in record.deliveries
            if d.update
            and d.channel == delivery.channel
            and d.status is DeliveryStatus.PENDING
            and d.key != delivery.key
            and d.contradiction_key in rendered
        ]
        if not carried:
            return
        marked = set(
            await anyio.to_thread.run_sync(
                partial(
                    self._store.coalesce_deliveries,
                    [d.key for d in carried],
                    self._clock.now(),
                    claimed=self._claimed,
                )
            )
        )
        self._coalesced |= marked
        for row in carried:
            if row.key in marked:
                self._outcome(row, DeliveryOutcome.COALESCED)
        log.info("source-list edits coalesced", delivery=delivery.key, coalesced=len(marked))

    # -- what the stages share ---------------------------------------------------------

    async def _post(self, attempt: Attempt) -> Posted:
        delivery, record, root, adapter = (
            attempt.delivery,
            attempt.record,
            attempt.root,
            attempt.adapter,
        )
        assert record is not None and adapter is not None and attempt.contradiction is not None
        view = AlertView(
            alert=record.alert,
            contradiction=attempt.contradiction,
            is_lead=root is None,
            sources=sources(record),
            timeline_url=self._page_link(record.alert.key) if self._page_link else "",
        )
        if root is not None and delivery.update:
            # A copy of the story: edit the lead's list of sources; an edit is idempotent.
            lead_view = replace(
                view,
                is_lead=True,
                contradiction=_find(record, root.contradiction_key) or view.contradiction,
            )
            await adapter.update_alert(delivery.channel, root.message_id, lead_view)
            return Posted(root.message_id, root.thread_id)
        thread = root.message_id if root is not None else ""
        finder = self._finders.get(delivery.channel.platform)
        if delivery.attempts > 1 and finder is not None:
            # An earlier attempt may have reached the platform before we lost track.
            found = await finder.find_posted(delivery.channel, delivery.key, thread)
            if found is not None:
                log.info("delivery reconciled", delivery=delivery.key, message_id=found.message_id)
                return Posted(found.message_id, found.thread_id or thread)
        return await adapter.post_alert(delivery.channel, view, delivery.key, thread)

    async def _failed(self, delivery: Delivery, error: DeliveryError) -> None:
        if error.auth:
            await self._pause(replace(delivery, attempts=delivery.attempts - 1), str(error))
            return
        if error.permanent:
            log.error(
                "delivery failed permanently",
                delivery=delivery.key,
                channel=str(delivery.channel),
                error=str(error),
            )
            await self._finish(delivery, DeliveryStatus.FAILED, error=str(error))
            return
        now = self._clock.now()
        attempts = delivery.attempts
        outcome = DeliveryOutcome.RETRY
        if error.retry_after is not None:
            # The server pacing us is not a failed attempt; the whole channel waits.
            attempts -= 1
            outcome = DeliveryOutcome.RATELIMITED
            hold = now + timedelta(seconds=error.retry_after)
            self._channel_hold[delivery.channel] = max(
                hold, self._channel_hold.get(delivery.channel, hold)
            )
        delay = backoff(attempts, self._rng, error.retry_after)
        log.warning(
            "delivery retry",
            delivery=delivery.key,
            error=str(error),
            attempts=attempts,
            retry_in=round(delay, 1),
        )
        await self._reschedule(replace(delivery, attempts=attempts), delay, str(error), outcome)

    async def _pause(self, delivery: Delivery, reason: str) -> None:
        """Keep the row pending and leave its platform alone for `auth_pause`."""
        now = self._clock.now()
        platform = delivery.channel.platform
        hold = self._platform_hold.get(platform)
        if hold is None or hold <= now:
            log.error(
                "delivery paused",
                platform=platform,
                reason=reason,
                retry_in=self._auth_pause.total_seconds(),
            )
            self._platform_hold[platform] = now + self._auth_pause
        await self._reschedule(
            delivery, self._auth_pause.total_seconds(), reason, DeliveryOutcome.PAUSED
        )

    async def _reschedule(
        self, delivery: Delivery, delay: float, error: str, outcome: DeliveryOutcome
    ) -> None:
        later = replace(
            delivery,
            next_attempt_at=self._clock.now() + timedelta(seconds=delay),
            last_error=error[:300],
        )
        await self._store_update(later)
        self._outcome(delivery, outcome)

    async def _finish(
        self,
        delivery: Delivery,
        status: DeliveryStatus,
        *,
        error: str = "",
        posted: Posted | None = None,
    ) -> None:
        done = replace(
            delivery,
            status=status,
            last_error=error[:300] or delivery.last_error,
            message_id=posted.message_id if posted else delivery.message_id,
            thread_id=posted.thread_id if posted else delivery.thread_id,
        )
        await self._store_update(done)
        self._outcome(delivery, DeliveryOutcome(status.value))

    async def _store_update(self, delivery: Delivery) -> None:
        await anyio.to_thread.run_sync(self._store.update_delivery, delivery)

    def _outcome(self, delivery: Delivery, outcome: DeliveryOutcome) -> None:
        if self._on_outcome is not None:
            self._on_outcome(delivery, outcome)


def thread_root(record: AlertRecord, channel: Channel) -> Delivery | None:
    """The message follow-ups go under in a channel: the posted lead, else the first
    evidence that went out top-level because its lead could not be posted."""
    rows = [d for d in record.deliveries if d.channel == channel and d.message_id]
    lead = next((d for d in rows if d.is_lead), None)
    if lead is not None:
        return lead
    return next(
        (d for d in rows if d.status is DeliveryStatus.SENT and not d.thread_id and not d.update),
        None,
    )


def _find(record: AlertRecord | None, key: str) -> Contradiction | None:
    if record is None:
        return None
    return next((c for c in record.alert.contradictions if c.key == key), None)


def sources(record: AlertRecord) -> tuple[str, ...]:
    """Every source the alert's evidence came from, first seen first."""
    seen: list[str] = []
    for c in record.alert.contradictions:
        for statement in (c.earlier, c.new):
            label = statement.source or statement.report_id
            if label not in seen:
                seen.append(label)
    return tuple(seen)


def oldest_pending_age(deliveries: list[Delivery], now: datetime) -> float:
    """Seconds since the oldest still-pending delivery was written (0 when none)."""
    ages = [
        (now - d.created_at).total_seconds()
        for d in deliveries
        if d.status is DeliveryStatus.PENDING and d.created_at
    ]
    return max(ages, default=0.0)
