//! The in-memory backend's state and its operations, each a synchronous
//! step under the backend's lock: nothing here awaits, so every operation
//! is atomic and a dropped future cannot leave half of one.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::store::{Admission, DeadLetter, IdState, Job, Lease, ReceiptCounts, ReceiptError};

/// The bounds of one backend.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    pub(super) max_ids: usize,
    pub(super) max_depth: usize,
    pub(super) max_bytes: usize,
    pub(super) max_dead_letters: usize,
}

/// What is remembered of a delivery id.
#[derive(Debug, Clone, Copy)]
enum Record {
    /// Its job is held (ready, delayed or leased). Never expires, never
    /// evicted: the job is alive.
    Pending,
    /// Handled or dead-lettered; `seq` is its place in `done_order`.
    Done { seq: u64, expires: Instant },
}

#[derive(Debug)]
struct Entry {
    job: Job,
    place: Place,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Ready,
    Delayed(Instant),
    Leased { until: Instant, token: u64 },
}

#[derive(Debug)]
struct Dead {
    job: Job,
    error: String,
}

#[derive(Debug, Default)]
pub(super) struct State {
    /// Every remembered id. Keys are shared with `done_order`.
    records: HashMap<Arc<str>, Record>,
    /// Done ids, oldest first, with the `seq` they were done under. An
    /// entry whose record is no longer done under that `seq` (the id was
    /// re-driven, or expired and admitted again) is skipped when reached.
    done_order: VecDeque<(Arc<str>, u64)>,
    /// How many records are done.
    done: usize,
    next_seq: u64,
    /// Unfinished jobs by receipt.
    jobs: HashMap<u64, Entry>,
    /// Receipts of ready jobs, oldest first. An entry whose job is no
    /// longer ready (it was acknowledged after its lease expired) is
    /// skipped when reached; `ready` counts the live ones.
    ready_order: VecDeque<u64>,
    ready: usize,
    delayed: BTreeSet<(Instant, u64)>,
    leased: BTreeSet<(Instant, u64)>,
    dead: BTreeMap<u64, Dead>,
    /// Payload and id bytes of unfinished jobs and dead letters.
    bytes: usize,
    next_receipt: u64,
    next_token: u64,
    pub(super) dead_letters_dropped: u64,
}

/// `now + d`, or far in the future when that is past the clock's range.
pub(super) fn after(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

fn parse_receipt(receipt: &str) -> Option<u64> {
    receipt.parse().ok()
}

impl State {
    fn depth(&self) -> usize {
        self.ready + self.delayed.len() + self.leased.len()
    }

    pub(super) fn counts(&self) -> ReceiptCounts {
        ReceiptCounts {
            ready: self.ready,
            delayed: self.delayed.len(),
            leased: self.leased.len(),
            dead_letters: self.dead.len(),
            pending_ids: self.records.len() - self.done,
            done_ids: self.done,
            bytes: self.bytes,
        }
    }

    pub(super) fn id_state(&self, id: &str, now: Instant) -> Option<IdState> {
        match self.records.get(id)? {
            Record::Pending => Some(IdState::Pending),
            Record::Done { expires, .. } => (*expires > now).then_some(IdState::Done),
        }
    }

    /// Claims the id and enqueues the job, or says why not. Constant time
    /// but for the amortised skipping of stale `done_order` entries.
    pub(super) fn admit(
        &mut self,
        job: Job,
        now: Instant,
        limits: &Limits,
    ) -> Result<Admission, ReceiptError> {
        self.expire_done(now);
        if let Some(id) = job.delivery_id() {
            match self.records.get(id) {
                Some(Record::Pending) => return Ok(Admission::Duplicate(IdState::Pending)),
                Some(Record::Done { expires, .. }) if *expires > now => {
                    return Ok(Admission::Duplicate(IdState::Done));
                }
                Some(Record::Done { .. }) => self.forget(id),
                None => {}
            }
        }
        let size = job.size();
        if self.depth() >= limits.max_depth || size > limits.max_bytes.saturating_sub(self.bytes) {
            return Err(ReceiptError::full());
        }
        let id: Option<Arc<str>> = job.delivery_id().map(Arc::from);
        if let Some(id) = &id {
            if self.records.len() >= limits.max_ids && !self.evict_oldest_done() {
                return Err(ReceiptError::full());
            }
            self.records.insert(Arc::clone(id), Record::Pending);
        }
        let receipt = self.next_receipt;
        self.next_receipt += 1;
        self.bytes += size;
        self.jobs.insert(
            receipt,
            Entry {
                job,
                place: Place::Ready,
            },
        );
        self.ready_order.push_back(receipt);
        self.ready += 1;
        Ok(Admission::Admitted)
    }

    /// Hands out up to `max` ready jobs after making due delayed jobs and
    /// expired leases ready. `Err(next)` when none is ready: the instant
    /// something becomes ready by itself, if any.
    pub(super) fn take(
        &mut self,
        max: usize,
        now: Instant,
        lease: Duration,
    ) -> Result<Vec<Lease>, Option<Instant>> {
        self.promote(now);
        let mut out = Vec::new();
        while out.len() < max {
            let Some(receipt) = self.ready_order.pop_front() else {
                break;
            };
            let Some(entry) = self.jobs.get_mut(&receipt) else {
                continue;
            };
            if entry.place != Place::Ready {
                continue;
            }
            let token = self.next_token;
            self.next_token += 1;
            let until = after(now, lease);
            entry.place = Place::Leased { until, token };
            entry.job.count_attempt();
            self.leased.insert((until, receipt));
            self.ready -= 1;
            out.push(Lease::new(receipt.to_string(), token, entry.job.clone()));
        }
        if out.is_empty() {
            let next = [self.delayed.first(), self.leased.first()]
                .into_iter()
                .flatten()
                .map(|(at, _)| *at)
                .min();
            return Err(next);
        }
        Ok(out)
    }

    /// Due delayed jobs go to the tail, expired leases to the head (they
    /// were taken before anything now ready).
    fn promote(&mut self, now: Instant) {
        while let Some(&(at, receipt)) = self.delayed.first() {
            if at > now {
                break;
            }
            self.delayed.pop_first();
            if let Some(entry) = self.jobs.get_mut(&receipt) {
                entry.place = Place::Ready;
                self.ready_order.push_back(receipt);
                self.ready += 1;
            }
        }
        let mut expired = Vec::new();
        while let Some(&(until, receipt)) = self.leased.first() {
            if until > now {
                break;
            }
            self.leased.pop_first();
            if let Some(entry) = self.jobs.get_mut(&receipt) {
                entry.place = Place::Ready;
                expired.push(receipt);
                self.ready += 1;
            }
        }
        if !expired.is_empty() {
            tracing::warn!(
                webhook.event = "lease_expired",
                jobs = expired.len(),
                "webhook jobs whose lease expired are handed out again"
            );
        }
        for receipt in expired.into_iter().rev() {
            self.ready_order.push_front(receipt);
        }
    }

    /// The entry of `lease` when this lease still holds it.
    fn held(&mut self, lease: &Lease) -> Option<(u64, Instant)> {
        let receipt = parse_receipt(lease.receipt())?;
        match self.jobs.get(&receipt)?.place {
            Place::Leased { until, token } if token == lease.token() => Some((receipt, until)),
            _ => None,
        }
    }

    pub(super) fn renew(&mut self, lease: &Lease, now: Instant, lease_for: Duration) -> bool {
        let Some((receipt, until)) = self.held(lease) else {
            return false;
        };
        let new_until = after(now, lease_for);
        self.leased.remove(&(until, receipt));
        self.leased.insert((new_until, receipt));
        if let Some(entry) = self.jobs.get_mut(&receipt) {
            entry.place = Place::Leased {
                until: new_until,
                token: lease.token(),
            };
        }
        true
    }

    pub(super) fn ack(&mut self, lease: &Lease, now: Instant, ttl: Duration, limits: &Limits) {
        let Some(receipt) = parse_receipt(lease.receipt()) else {
            return;
        };
        let Some(entry) = self.jobs.remove(&receipt) else {
            return;
        };
        self.leave(receipt, entry.place);
        self.bytes = self.bytes.saturating_sub(entry.job.size());
        if let Some(id) = entry.job.delivery_id() {
            self.mark_done(id, now, ttl, limits);
        }
    }

    pub(super) fn retry(&mut self, lease: &Lease, now: Instant, delay: Duration) -> bool {
        let Some((receipt, until)) = self.held(lease) else {
            return false;
        };
        self.leased.remove(&(until, receipt));
        let at = after(now, delay);
        self.delayed.insert((at, receipt));
        if let Some(entry) = self.jobs.get_mut(&receipt) {
            entry.place = Place::Delayed(at);
        }
        true
    }

    pub(super) fn dead_letter(
        &mut self,
        lease: &Lease,
        error: &str,
        now: Instant,
        ttl: Duration,
        limits: &Limits,
    ) -> bool {
        let Some((receipt, until)) = self.held(lease) else {
            return false;
        };
        self.leased.remove(&(until, receipt));
        let Some(entry) = self.jobs.remove(&receipt) else {
            return false;
        };
        if let Some(id) = entry.job.delivery_id() {
            self.mark_done(id, now, ttl, limits);
        }
        while self.dead.len() >= limits.max_dead_letters {
            let Some((dropped, old)) = self.dead.pop_first() else {
                break;
            };
            self.bytes = self.bytes.saturating_sub(old.job.size());
            self.dead_letters_dropped += 1;
            tracing::error!(
                webhook.event = "dead_letter_dropped",
                receipt = dropped,
                delivery.id = old.job.delivery_id(),
                "the oldest webhook dead letter was dropped to keep the bound"
            );
        }
        self.dead.insert(
            receipt,
            Dead {
                job: entry.job,
                error: error.to_owned(),
            },
        );
        true
    }

    pub(super) fn release(&mut self, lease: &Lease) -> bool {
        let Some((receipt, until)) = self.held(lease) else {
            return false;
        };
        self.leased.remove(&(until, receipt));
        if let Some(entry) = self.jobs.get_mut(&receipt) {
            entry.place = Place::Ready;
        }
        self.ready_order.push_front(receipt);
        self.ready += 1;
        true
    }

    pub(super) fn dead_letters(&self, after: Option<&str>, limit: usize) -> Vec<DeadLetter> {
        let start = match after {
            None => Bound::Unbounded,
            Some(receipt) => match parse_receipt(receipt) {
                Some(r) => Bound::Excluded(r),
                // Not one of ours: before every receipt when it sorts
                // before digits, else after all of them.
                None if receipt.is_empty() => Bound::Unbounded,
                None => return Vec::new(),
            },
        };
        self.dead
            .range((start, Bound::Unbounded))
            .take(limit)
            .map(|(receipt, dead)| {
                DeadLetter::new(receipt.to_string(), dead.job.clone(), dead.error.clone())
            })
            .collect()
    }

    pub(super) fn redrive(&mut self, receipt: &str, limits: &Limits) -> Result<bool, ReceiptError> {
        let Some(receipt) = parse_receipt(receipt) else {
            return Ok(false);
        };
        if !self.dead.contains_key(&receipt) {
            return Ok(false);
        }
        if self.depth() >= limits.max_depth {
            return Err(ReceiptError::full());
        }
        let Some(dead) = self.dead.remove(&receipt) else {
            return Ok(false);
        };
        let job = dead.job.with_attempts(0);
        if let Some(id) = job.delivery_id() {
            match self.records.get(id) {
                Some(Record::Pending) => {}
                Some(Record::Done { .. }) => {
                    self.done -= 1;
                    if let Some(record) = self.records.get_mut(id) {
                        *record = Record::Pending;
                    }
                }
                None => {
                    if self.records.len() >= limits.max_ids {
                        self.evict_oldest_done();
                    }
                    self.records.insert(Arc::from(id), Record::Pending);
                }
            }
        }
        self.jobs.insert(
            receipt,
            Entry {
                job,
                place: Place::Ready,
            },
        );
        self.ready_order.push_back(receipt);
        self.ready += 1;
        Ok(true)
    }

    pub(super) fn purge(&mut self, receipt: &str) -> bool {
        let Some(dead) = parse_receipt(receipt).and_then(|r| self.dead.remove(&r)) else {
            return false;
        };
        self.bytes = self.bytes.saturating_sub(dead.job.size());
        true
    }

    /// Removes a job's place bookkeeping (not the entry itself).
    fn leave(&mut self, receipt: u64, place: Place) {
        match place {
            // Its `ready_order` entry is skipped when reached.
            Place::Ready => self.ready -= 1,
            Place::Delayed(at) => {
                self.delayed.remove(&(at, receipt));
            }
            Place::Leased { until, .. } => {
                self.leased.remove(&(until, receipt));
            }
        }
    }

    fn mark_done(&mut self, id: &str, now: Instant, ttl: Duration, limits: &Limits) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let record = Record::Done {
            seq,
            expires: after(now, ttl),
        };
        let key = match self.records.get_key_value(id) {
            Some((key, previous)) => {
                let key = Arc::clone(key);
                if matches!(previous, Record::Done { .. }) {
                    self.done -= 1;
                }
                key
            }
            None => {
                if self.records.len() >= limits.max_ids {
                    self.evict_oldest_done();
                }
                Arc::from(id)
            }
        };
        self.records.insert(Arc::clone(&key), record);
        self.done += 1;
        self.done_order.push_back((key, seq));
    }

    /// Forgets an id's record.
    fn forget(&mut self, id: &str) {
        if let Some(Record::Done { .. }) = self.records.remove(id) {
            self.done -= 1;
        }
    }

    /// Whether the front of `done_order` names a live done record with that
    /// `seq`; its expiry if so.
    fn front_done(&self) -> Option<Option<Instant>> {
        let (id, seq) = self.done_order.front()?;
        Some(match self.records.get(id) {
            Some(Record::Done { seq: s, expires }) if s == seq => Some(*expires),
            _ => None,
        })
    }

    /// Drops expired done records from the front (oldest first).
    fn expire_done(&mut self, now: Instant) {
        while let Some(front) = self.front_done() {
            match front {
                Some(expires) if expires > now => break,
                Some(_) => {
                    if let Some((id, _)) = self.done_order.pop_front() {
                        self.forget(&id);
                    }
                }
                None => {
                    self.done_order.pop_front();
                }
            }
        }
    }

    /// Evicts the oldest done record; `false` when there is none (every
    /// record is pending).
    fn evict_oldest_done(&mut self) -> bool {
        while let Some(front) = self.front_done() {
            let popped = self.done_order.pop_front();
            if front.is_some()
                && let Some((id, _)) = popped
            {
                self.forget(&id);
                return true;
            }
        }
        false
    }
}
