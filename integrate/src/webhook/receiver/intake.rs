//! Whether the receiver admits deliveries: open until the last worker pool
//! on it stops, and how many admissions are in flight, so a stopping pool
//! knows when no new job can still arrive.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Notify;

#[derive(Debug, Default)]
pub(crate) struct Intake {
    closed: AtomicBool,
    pools: AtomicUsize,
    admitting: AtomicUsize,
    idle: Notify,
}

/// Held while one delivery is being admitted.
pub(crate) struct Admitting<'a> {
    intake: &'a Intake,
}

impl Drop for Admitting<'_> {
    fn drop(&mut self) {
        if self.intake.admitting.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.intake.idle.notify_waiters();
        }
    }
}

impl Intake {
    /// Starts an admission, unless the intake is closed. Sequentially
    /// consistent with [`close`](Intake::close): either the closing side
    /// sees this admission in flight and waits for it, or this side sees
    /// the intake closed.
    pub(crate) fn enter(&self) -> Option<Admitting<'_>> {
        self.admitting.fetch_add(1, Ordering::SeqCst);
        let guard = Admitting { intake: self };
        if self.closed.load(Ordering::SeqCst) {
            return None;
        }
        Some(guard)
    }

    pub(crate) fn is_open(&self) -> bool {
        !self.closed.load(Ordering::SeqCst)
    }

    /// A worker pool started: the intake is open.
    pub(crate) fn pool_started(&self) {
        self.pools.fetch_add(1, Ordering::SeqCst);
        self.closed.store(false, Ordering::SeqCst);
    }

    /// A worker pool stopped; the intake closes with the last one. `true`
    /// when it closed.
    pub(crate) fn pool_stopped(&self) -> bool {
        let last = self
            .pools
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok_and(|before| before == 1);
        if last {
            self.closed.store(true, Ordering::SeqCst);
        }
        last
    }

    /// Waits until no admission is in flight.
    pub(crate) async fn idle(&self) {
        loop {
            let notified = self.idle.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            if self.admitting.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }
}
