"""Send outbox rows to chat platforms: retries with backoff, rate limits, no doubles."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

import anyio.to_thread
import structlog

from bot.domain import Contradiction
from bot.ports import (
    AlertRecord,
    AlertView,
    ChatAdapter,
    Clock,
    Delivery,
    DeliveryError,
    DeliveryStatus,
    Posted,
    Store,
)

log = structlog.get_logger("denialwatch.delivery")

BACKOFF_BASE = 1.0
BACKOFF_CAP = 300.0
CLAIM_LEASE = timedelta(seconds=60)
MAX_AGE = timedelta(hours=24)
CHANNEL_INTERVAL = 1.0


def backoff(attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
    """Full-jitter exponential backoff, never shorter than the server's Retry-After."""
    delay = rng.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2 ** max(attempt, 0)))
    return max(delay, retry_after or 0.0)


class DeliveryWorker:
    """Drain due deliveries; each one is claimed, sent, and marked, in that order."""

    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, ChatAdapter],
        clock: Clock,
        *,
        rng: random.Random | None = None,
        max_age: timedelta = MAX_AGE,
        channel_interval: float = CHANNEL_INTERVAL,
        on_outcome: object = None,
    ) -> None:
        self._store = store
        self._adapters = adapters
        self._clock = clock
        self._rng = rng or random.Random()
        self._max_age = max_age
        self._channel_interval = channel_interval
        self._last_sent: dict[str, float] = {}
        self._on_outcome = on_outcome

    async def run_once(self, limit: int = 20) -> int:
        """Send what is due now; return how many deliveries were confirmed."""
        now = self._clock.now()
        due = await anyio.to_thread.run_sync(self._store.due_deliveries, now, limit)
        sent = 0
        for delivery in due:
            if await self._deliver(delivery):
                sent += 1
        return sent

    async def _deliver(self, delivery: Delivery) -> bool:
        adapter = self._adapters.get(delivery.channel.platform)
        if adapter is None:
            await self._finish(delivery, DeliveryStatus.FAILED,
                               error=f"no {delivery.channel.platform} adapter configured")
            return False
        record = await anyio.to_thread.run_sync(self._store.alert, delivery.alert_key)
        contradiction = _find(record, delivery.contradiction_key)
        if record is None or contradiction is None:
            await self._finish(delivery, DeliveryStatus.FAILED, error="alert not found")
            return False
        now = self._clock.now()
        if delivery.created_at and now - delivery.created_at > self._max_age:
            log.error("delivery dead", delivery=delivery.key, attempts=delivery.attempts,
                      last_error=delivery.last_error)
            await self._finish(delivery, DeliveryStatus.DEAD, error=delivery.last_error)
            return False
        lead = None
        if not delivery.is_lead:
            lead = await anyio.to_thread.run_sync(
                self._store.lead_delivery, delivery.alert_key, delivery.channel)
            if lead is None and await self._lead_pending(delivery):
                await self._reschedule(delivery, 2.0, "waiting for the lead message")
                return False
        claimed = replace(delivery, attempts=delivery.attempts + 1,
                          next_attempt_at=now + CLAIM_LEASE)
        await anyio.to_thread.run_sync(self._store.update_delivery, claimed)
        view = AlertView(alert=record.alert, contradiction=contradiction,
                         is_lead=lead is None, sources=_sources(record))
        await self._pace(str(delivery.channel))
        try:
            posted = await self._send(adapter, claimed, view, lead)
        except DeliveryError as error:
            return await self._failed(claimed, error)
        except Exception as error:  # noqa: BLE001 - any adapter bug must not lose the row
            return await self._failed(claimed, DeliveryError(type(error).__name__))
        await self._finish(claimed, DeliveryStatus.SENT, posted=posted)
        log.info("alert delivered", delivery=delivery.key, channel=str(delivery.channel),
                 message_id=posted.message_id, lead=lead is None)
        return True

    async def _send(self, adapter: ChatAdapter, delivery: Delivery, view: AlertView,
                    lead: Delivery | None) -> Posted:
        if lead is not None and delivery.update:
            await adapter.update_alert(delivery.channel, lead.message_id, replace(
                view, is_lead=True, contradiction=_lead_contradiction(view)))
            return Posted(lead.message_id, lead.message_id)
        if lead is None and delivery.attempts > 1:
            find = getattr(adapter, "find_posted", None)
            if find is not None:
                found: Posted | None = await find(delivery.channel, delivery.key)
                if found is not None:
                    log.info("delivery reconciled", delivery=delivery.key)
                    return found
        thread = lead.message_id if lead is not None else ""
        return await adapter.post_alert(delivery.channel, view, delivery.key, thread)

    async def _lead_pending(self, delivery: Delivery) -> bool:
        def pending() -> bool:
            record = self._store.alert(delivery.alert_key)
            return record is not None and any(
                d.is_lead and d.channel == delivery.channel and d.status is DeliveryStatus.PENDING
                for d in record.deliveries)
        return await anyio.to_thread.run_sync(pending)

    async def _pace(self, channel: str) -> None:
        loop = asyncio.get_running_loop()
        last = self._last_sent.get(channel)
        if last is not None:
            wait = self._channel_interval - (loop.time() - last)
            if wait > 0:
                await asyncio.sleep(wait)
        self._last_sent[channel] = loop.time()

    async def _failed(self, delivery: Delivery, error: DeliveryError) -> bool:
        if error.permanent:
            log.error("delivery failed permanently", delivery=delivery.key, error=str(error))
            await self._finish(delivery, DeliveryStatus.FAILED, error=str(error))
            return False
        attempts = delivery.attempts
        if error.retry_after is not None:
            attempts -= 1  # a rate limit is the server pacing us, not a failed attempt
        delay = backoff(attempts, self._rng, error.retry_after)
        log.warning("delivery retry", delivery=delivery.key, error=str(error),
                    retry_in=round(delay, 1))
        await self._reschedule(replace(delivery, attempts=attempts), delay, str(error))
        return False

    async def _reschedule(self, delivery: Delivery, delay: float, error: str) -> None:
        later = replace(delivery, next_attempt_at=self._clock.now() + timedelta(seconds=delay),
                        last_error=error[:300])
        await anyio.to_thread.run_sync(self._store.update_delivery, later)
        self._outcome(delivery, "retry")

    async def _finish(self, delivery: Delivery, status: DeliveryStatus, *, error: str = "",
                      posted: Posted | None = None) -> None:
        done = replace(delivery, status=status, last_error=error[:300] or delivery.last_error,
                       message_id=posted.message_id if posted else delivery.message_id,
                       thread_id=posted.thread_id if posted else delivery.thread_id)
        await anyio.to_thread.run_sync(self._store.update_delivery, done)
        self._outcome(delivery, str(status))

    def _outcome(self, delivery: Delivery, outcome: str) -> None:
        if callable(self._on_outcome):
            self._on_outcome(delivery, outcome)


def _find(record: AlertRecord | None, key: str) -> Contradiction | None:
    if record is None:
        return None
    return next((c for c in record.alert.contradictions if c.key == key), None)


def _lead_contradiction(view: AlertView) -> Contradiction:
    return view.alert.contradictions[0] if view.alert.contradictions else view.contradiction


def _sources(record: AlertRecord) -> tuple[str, ...]:
    seen: list[str] = []
    for c in record.alert.contradictions:
        for statement in (c.earlier, c.new):
            label = statement.source or statement.report_id
            if label not in seen:
                seen.append(label)
    return tuple(seen)


def oldest_pending_age(deliveries: list[Delivery], now: datetime) -> float:
    ages = [(now - d.created_at).total_seconds() for d in deliveries
            if d.status is DeliveryStatus.PENDING and d.created_at]
    return max(ages, default=0.0)
