//! The per-client circuit breaker.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use super::CircuitState;
use super::policy::{CircuitBreakerPolicy, Trip};
use super::window::Window;

// The state word: a generation (bumped by every transition) above two bits
// of phase. A permit remembers the word it was granted under, so an outcome
// recorded after a transition is ignored.
const PHASE_MASK: u64 = 0b11;
const CLOSED: u64 = 0;
const OPEN: u64 = 1;
const HALF_OPEN: u64 = 2;

fn phase(word: u64) -> u64 {
    word & PHASE_MASK
}

fn next(word: u64, phase: u64) -> u64 {
    ((word >> 2).wrapping_add(1) << 2) | phase
}

/// `now + d`, saturating far in the future instead of overflowing.
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

enum Tripper {
    Ratio {
        window: Window,
        failure_ratio: f64,
        min_calls: u64,
    },
    Consecutive {
        run: AtomicU32,
        failures: u32,
    },
}

/// What changes only on transitions and in the half-open state.
struct Transitions {
    open_until: Instant,
    /// Trial permits handed out and not given back (in flight or
    /// succeeded).
    trials_admitted: u32,
    trials_succeeded: u32,
}

/// The circuit breaker of one client, shared by its clones.
///
/// The closed path (acquire, then record) takes no lock: one load of the
/// state word to acquire; to record, an atomic add in the current bucket
/// of the window (or on the run of failures) and loads of the buckets. The
/// mutex is taken on transitions, in the open and half-open states, and
/// once per bucket step of the window.
pub(crate) struct CircuitBreaker {
    state: AtomicU64,
    tripper: Tripper,
    open_for: Duration,
    half_open_calls: u32,
    transitions: Mutex<Transitions>,
}

impl std::fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("phase", &phase(self.state.load(Ordering::Relaxed)))
            .finish_non_exhaustive()
    }
}

/// Leave to send one attempt. Record its outcome with
/// [`success`](Self::success) or [`failure`](Self::failure); dropping the
/// permit unrecorded (the attempt was cut by the deadline or the caller
/// dropped the call) counts nothing and gives back a half-open trial slot.
#[must_use = "an unrecorded permit counts nothing"]
pub(crate) struct BreakerPermit<'a> {
    breaker: &'a CircuitBreaker,
    /// The state word the permit was granted under.
    word: u64,
    recorded: bool,
}

impl std::fmt::Debug for BreakerPermit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreakerPermit")
            .field("trial", &(phase(self.word) == HALF_OPEN))
            .finish()
    }
}

impl BreakerPermit<'_> {
    /// The attempt completed and counts as a success.
    pub(crate) fn success(mut self, now: Instant) {
        self.recorded = true;
        self.breaker.record(self.word, now, false);
    }

    /// The attempt failed (connection, network, body, attempt timeout,
    /// 408/500/502/503/504).
    pub(crate) fn failure(mut self, now: Instant) {
        self.recorded = true;
        self.breaker.record(self.word, now, true);
    }
}

impl Drop for BreakerPermit<'_> {
    fn drop(&mut self) {
        if !self.recorded && phase(self.word) == HALF_OPEN {
            self.breaker.give_back(self.word);
        }
    }
}

impl CircuitBreaker {
    /// A closed breaker. The policy is expected to be validated.
    pub(crate) fn new(policy: &CircuitBreakerPolicy) -> Self {
        let now = Instant::now();
        let tripper = match policy.trip {
            Trip::Ratio {
                failure_ratio,
                min_calls,
                window,
            } => Tripper::Ratio {
                window: Window::new(window, now),
                failure_ratio,
                min_calls: u64::from(min_calls.max(1)),
            },
            Trip::Consecutive { failures } => Tripper::Consecutive {
                run: AtomicU32::new(0),
                failures: failures.max(1),
            },
        };
        CircuitBreaker {
            state: AtomicU64::new(CLOSED),
            tripper,
            open_for: policy.open_for,
            half_open_calls: policy.half_open_calls.max(1),
            transitions: Mutex::new(Transitions {
                open_until: now,
                trials_admitted: 0,
                trials_succeeded: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Transitions> {
        self.transitions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Leave to send one attempt starting at `now`.
    ///
    /// `Err(Some(remaining))` while open; `Err(None)` while half-open with
    /// every trial slot taken.
    pub(crate) fn acquire(&self, now: Instant) -> Result<BreakerPermit<'_>, Option<Duration>> {
        let word = self.state.load(Ordering::Acquire);
        if phase(word) == CLOSED {
            return Ok(self.permit(word));
        }
        self.acquire_slow(now)
    }

    fn permit(&self, word: u64) -> BreakerPermit<'_> {
        BreakerPermit {
            breaker: self,
            word,
            recorded: false,
        }
    }

    #[cold]
    fn acquire_slow(&self, now: Instant) -> Result<BreakerPermit<'_>, Option<Duration>> {
        let mut t = self.lock();
        // Transitions happen under the lock: the word is stable here.
        let mut word = self.state.load(Ordering::Acquire);
        if phase(word) == OPEN {
            if now < t.open_until {
                return Err(Some(t.open_until - now));
            }
            word = next(word, HALF_OPEN);
            t.trials_admitted = 0;
            t.trials_succeeded = 0;
            self.state.store(word, Ordering::Release);
            tracing::info!(
                circuit.state = "half_open",
                circuit.half_open_calls = self.half_open_calls,
                "circuit breaker half-open: admitting trial attempts"
            );
        }
        match phase(word) {
            HALF_OPEN if t.trials_admitted < self.half_open_calls => {
                t.trials_admitted += 1;
                Ok(self.permit(word))
            }
            HALF_OPEN => Err(None),
            _ => Ok(self.permit(word)),
        }
    }

    fn record(&self, word: u64, now: Instant, failed: bool) {
        if phase(word) == HALF_OPEN {
            self.record_trial(word, now, failed);
            return;
        }
        if self.state.load(Ordering::Acquire) != word {
            // The circuit moved on since the permit was granted.
            return;
        }
        match &self.tripper {
            Tripper::Ratio {
                window,
                failure_ratio,
                min_calls,
            } => {
                if let Some(totals) = window.record(now, failed)
                    && totals.failures > 0
                    && totals.completed >= *min_calls
                    && totals.failures as f64 / totals.completed as f64 >= *failure_ratio
                {
                    self.open(word, now, totals.completed, totals.failures);
                }
            }
            Tripper::Consecutive { run, failures } => {
                if failed {
                    let n = run.fetch_add(1, Ordering::AcqRel).saturating_add(1);
                    if n >= *failures {
                        self.open(word, now, u64::from(n), u64::from(n));
                    }
                } else if run.load(Ordering::Relaxed) != 0 {
                    run.store(0, Ordering::Relaxed);
                }
            }
        }
    }

    #[cold]
    fn open(&self, word: u64, now: Instant, completed: u64, failures: u64) {
        let mut t = self.lock();
        if self.state.load(Ordering::Acquire) != word {
            return;
        }
        t.open_until = later(now, self.open_for);
        self.state.store(next(word, OPEN), Ordering::Release);
        tracing::warn!(
            circuit.state = "open",
            circuit.previous_state = "closed",
            circuit.completed = completed,
            circuit.failures = failures,
            circuit.open_for_ms = millis(self.open_for),
            "circuit breaker opened"
        );
    }

    #[cold]
    fn record_trial(&self, word: u64, now: Instant, failed: bool) {
        let mut t = self.lock();
        if self.state.load(Ordering::Acquire) != word {
            return;
        }
        if failed {
            t.open_until = later(now, self.open_for);
            self.state.store(next(word, OPEN), Ordering::Release);
            tracing::warn!(
                circuit.state = "open",
                circuit.previous_state = "half_open",
                circuit.open_for_ms = millis(self.open_for),
                "circuit breaker opened again: a trial attempt failed"
            );
            return;
        }
        t.trials_succeeded += 1;
        if t.trials_succeeded >= self.half_open_calls {
            match &self.tripper {
                Tripper::Ratio { window, .. } => window.reset(),
                Tripper::Consecutive { run, .. } => run.store(0, Ordering::Relaxed),
            }
            self.state.store(next(word, CLOSED), Ordering::Release);
            tracing::info!(
                circuit.state = "closed",
                circuit.previous_state = "half_open",
                circuit.trials = t.trials_succeeded,
                "circuit breaker closed"
            );
        }
    }

    #[cold]
    fn give_back(&self, word: u64) {
        let mut t = self.lock();
        if self.state.load(Ordering::Acquire) == word {
            t.trials_admitted = t.trials_admitted.saturating_sub(1);
        }
    }

    /// How many transitions the breaker went through.
    #[cfg(test)]
    pub(super) fn transitions(&self) -> u64 {
        self.state.load(Ordering::Acquire) >> 2
    }

    /// A snapshot of the state at `now`. An open circuit whose `open_for`
    /// has passed reports `HalfOpen`: the next attempt is a trial.
    pub(crate) fn state(&self, now: Instant) -> CircuitState {
        let word = self.state.load(Ordering::Acquire);
        match phase(word) {
            CLOSED => CircuitState::Closed,
            HALF_OPEN => CircuitState::HalfOpen,
            _ => {
                let t = self.lock();
                if self.state.load(Ordering::Acquire) != word {
                    drop(t);
                    return self.state(now);
                }
                if now < t.open_until {
                    CircuitState::Open {
                        remaining: t.open_until - now,
                    }
                } else {
                    CircuitState::HalfOpen
                }
            }
        }
    }
}
