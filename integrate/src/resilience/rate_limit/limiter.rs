//! The limiter: GCRA for the spacing and burst, a log of the last
//! `requests` start slots for the window rule, and a FIFO queue of
//! reservations for the waiters.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::task::Poll;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::RateLimit;

/// `t + d`, saturating far in the future instead of overflowing.
fn later(t: Instant, d: Duration) -> Instant {
    t.checked_add(d)
        .or_else(|| t.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(t)
}

/// Who holds a reserved slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// A waiter, by id, sleeping until the slot.
    Waiting(u64),
    /// The attempt started.
    Started,
    /// The waiter left and no later waiter moved in. The slot stays in
    /// the log (counted as a start) unless it is the last reservation.
    Vacant,
}

/// A slot reserved while waiters are queued, with what is needed to undo
/// it when it is the last one.
#[derive(Debug)]
struct Reservation {
    slot: Instant,
    holder: Holder,
    /// The GCRA theoretical arrival time before this reservation.
    prev_tat: Option<Instant>,
    /// The log entry pushed out by this reservation.
    evicted: Option<Instant>,
}

#[derive(Debug)]
struct State {
    /// GCRA theoretical arrival time: the next start without burst.
    tat: Option<Instant>,
    /// The last `requests` slots handed out (started or reserved), in
    /// order.
    log: VecDeque<Instant>,
    /// Reservations since the oldest one whose waiter is still queued; in
    /// arrival order, so slots never decrease. Empty when no one waits.
    queue: VecDeque<Reservation>,
    next_id: u64,
}

/// A rate limiter shared by all clones of a client (or one per method).
#[derive(Debug)]
pub(crate) struct RateLimiter {
    per: Duration,
    requests: usize,
    /// `per / requests`: the spacing beyond the burst.
    interval: Duration,
    /// `interval * (burst - 1)`: how far ahead of the spacing a start may
    /// be.
    tolerance: Duration,
    state: Mutex<State>,
    /// Wakes waiters after a waiter left and those behind it moved up.
    moved_up: Notify,
}

impl RateLimiter {
    /// A limiter for a validated `limit`.
    pub(crate) fn new(limit: &RateLimit) -> Self {
        let requests = limit.requests.max(1);
        let burst = limit.burst_size().clamp(1, requests);
        let interval = limit.per / requests;
        RateLimiter {
            per: limit.per,
            requests: requests as usize,
            interval,
            tolerance: interval.saturating_mul(burst - 1),
            state: Mutex::new(State {
                tat: None,
                log: VecDeque::with_capacity((requests as usize).min(1024)),
                queue: VecDeque::new(),
                next_id: 0,
            }),
            moved_up: Notify::new(),
        }
    }

    /// How many slots the log holds.
    #[cfg(test)]
    pub(crate) fn log_len(&self) -> usize {
        self.lock().log.len()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for the slot of one attempt arriving at `now`.
    ///
    /// Slots are handed out in arrival order. When the slot would begin at
    /// or after `deadline` (and later than `now`), nothing is reserved and
    /// the wait it would have needed is returned. Dropping the future
    /// before its slot gives the slot back: the waiters behind move up one
    /// slot each, and the last slot is released.
    ///
    /// Returns when the attempt may start: `now` when it need not wait,
    /// else its slot (so the caller need not read the clock again).
    pub(crate) async fn acquire(
        &self,
        now: Instant,
        deadline: Instant,
    ) -> Result<Instant, Duration> {
        let Some((id, slot)) = self.reserve(now, deadline)? else {
            return Ok(now);
        };
        let mut waiter = Waiter {
            limiter: self,
            id,
            started: false,
        };
        // Boxed: only a call that waits pays for the timer and the
        // notification, and every call's future stays smaller.
        Box::pin(waiter.wait(slot)).await;
        Ok(slot)
    }

    /// Takes the next slot. `Ok(None)`: start now; `Ok(Some((id, slot)))`:
    /// wait until `slot` as waiter `id`.
    fn reserve(&self, now: Instant, deadline: Instant) -> Result<Option<(u64, Instant)>, Duration> {
        let mut s = self.lock();
        if s.queue.is_empty() {
            // Slots at least `per` old constrain nothing: forget them, so
            // the log holds only the starts of the last `per` (a generous
            // quota does not make it grow to `requests` entries). Only when
            // no reservation can be undone, so undoing stays exact.
            while s.log.front().is_some_and(|&t| later(t, self.per) <= now) {
                s.log.pop_front();
            }
        }
        let mut slot = now;
        if let Some(tat) = s.tat
            && let Some(earliest) = tat.checked_sub(self.tolerance)
        {
            slot = slot.max(earliest);
        }
        if s.log.len() >= self.requests
            && let Some(&oldest) = s.log.front()
        {
            slot = slot.max(later(oldest, self.per));
        }
        if let Some(last) = s.queue.back() {
            // Arrival order even when callers' clock readings interleave.
            slot = slot.max(last.slot);
        }
        if slot > now && slot >= deadline {
            return Err(slot - now);
        }
        let prev_tat = s.tat;
        s.tat = Some(later(
            prev_tat.map_or(slot, |tat| tat.max(slot)),
            self.interval,
        ));
        let evicted = if s.log.len() >= self.requests {
            s.log.pop_front()
        } else {
            None
        };
        s.log.push_back(slot);
        if slot <= now && s.queue.is_empty() {
            return Ok(None);
        }
        let (holder, result) = if slot <= now {
            (Holder::Started, None)
        } else {
            let id = s.next_id;
            s.next_id += 1;
            (Holder::Waiting(id), Some((id, slot)))
        };
        s.queue.push_back(Reservation {
            slot,
            holder,
            prev_tat,
            evicted,
        });
        Ok(result)
    }

    /// The slot waiter `id` holds now (it only moves earlier).
    fn slot_of(&self, id: u64) -> Option<Instant> {
        self.lock()
            .queue
            .iter()
            .find(|r| r.holder == Holder::Waiting(id))
            .map(|r| r.slot)
    }

    fn start(&self, id: u64) {
        let mut s = self.lock();
        if let Some(r) = s.queue.iter_mut().find(|r| r.holder == Holder::Waiting(id)) {
            r.holder = Holder::Started;
        }
        trim_front(&mut s);
    }

    /// Waiter `id` left before its slot: every waiter behind it moves up
    /// one slot, and the last slot is released.
    fn leave(&self, id: u64) {
        let mut s = self.lock();
        let Some(mut free) = s.queue.iter().position(|r| r.holder == Holder::Waiting(id)) else {
            return;
        };
        let mut moved = false;
        for k in free + 1..s.queue.len() {
            if let Holder::Waiting(other) = s.queue[k].holder {
                s.queue[free].holder = Holder::Waiting(other);
                free = k;
                moved = true;
            }
        }
        s.queue[free].holder = Holder::Vacant;
        // Undo vacant reservations at the end, newest first.
        while s.queue.back().is_some_and(|r| r.holder == Holder::Vacant) {
            if let Some(r) = s.queue.pop_back() {
                s.tat = r.prev_tat;
                s.log.pop_back();
                if let Some(evicted) = r.evicted {
                    s.log.push_front(evicted);
                }
            }
        }
        trim_front(&mut s);
        drop(s);
        if moved {
            self.moved_up.notify_waiters();
        }
    }
}

/// Forgets the reservations before the first queued waiter: they can no
/// longer be undone (their slots stay in the log).
fn trim_front(s: &mut State) {
    while s
        .queue
        .front()
        .is_some_and(|r| !matches!(r.holder, Holder::Waiting(_)))
    {
        s.queue.pop_front();
    }
}

/// A queued waiter; leaving the queue on drop unless it started.
struct Waiter<'a> {
    limiter: &'a RateLimiter,
    id: u64,
    started: bool,
}

impl Waiter<'_> {
    async fn wait(&mut self, mut slot: Instant) {
        loop {
            let mut moved_up = pin!(self.limiter.moved_up.notified());
            // Registered before reading the slot, so a move in between is
            // not missed.
            moved_up.as_mut().enable();
            if let Some(current) = self.limiter.slot_of(self.id) {
                slot = current;
            }
            let mut sleep = pin!(tokio::time::sleep_until(slot));
            let elapsed = poll_fn(|cx| {
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(true);
                }
                if moved_up.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(false);
                }
                Poll::Pending
            })
            .await;
            if elapsed {
                break;
            }
        }
        self.started = true;
        self.limiter.start(self.id);
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if !self.started {
            self.limiter.leave(self.id);
        }
    }
}
