//! The adaptive sampling schedule: the base interval ramping to the maximum between 1 s and 10 s, on fixed deadlines.

use std::time::{Duration, Instant};

/// When the ramp from the base to the maximum interval starts and ends.
const RAMP_START: Duration = Duration::from_secs(1);
const RAMP_END: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub base: Duration,
    pub max: Duration,
}

impl Schedule {
    /// The sampling interval in force `elapsed` after the start.
    pub fn interval_at(&self, elapsed: Duration) -> Duration {
        if elapsed <= RAMP_START || self.max <= self.base {
            return self.base;
        }
        if elapsed >= RAMP_END {
            return self.max;
        }
        let f = (elapsed - RAMP_START).as_secs_f64() / (RAMP_END - RAMP_START).as_secs_f64();
        self.base + (self.max - self.base).mul_f64(f)
    }

    /// The deadline after `prev`. Deadlines advance from the previous deadline,
    /// not from when the last sample finished, so the time a sample takes does
    /// not make the period drift; deadlines already missed are skipped rather
    /// than sampled in a burst.
    pub fn next_deadline(&self, start: Instant, prev: Instant, now: Instant) -> Instant {
        let mut next = prev + self.interval_at(prev - start);
        while next <= now {
            next += self.interval_at(next - start);
        }
        next
    }
}

/// CLOCK_MONOTONIC now, in nanoseconds: the clock of `Instant` on Linux, of `bpf_ktime_get_ns`,
/// and of the spawner's spawn times.
#[cfg(unix)]
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a valid pointer to a local timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn ramps_linearly_between_one_and_ten_seconds() {
        let s = Schedule { base: ms(100), max: ms(1000) };
        assert_eq!(s.interval_at(ms(0)), ms(100));
        assert_eq!(s.interval_at(ms(1000)), ms(100));
        assert_eq!(s.interval_at(ms(5500)), ms(550));
        assert_eq!(s.interval_at(ms(10_000)), ms(1000));
        assert_eq!(s.interval_at(ms(60_000)), ms(1000));
    }

    #[test]
    fn deadlines_do_not_drift_with_sampling_cost() {
        let s = Schedule { base: ms(100), max: ms(100) };
        let start = Instant::now();
        // A sample that took 30 ms must not push the next deadline to 130 ms.
        let next = s.next_deadline(start, start, start + ms(30));
        assert_eq!(next - start, ms(100));
        let next = s.next_deadline(start, next, next + ms(99));
        assert_eq!(next - start, ms(200));
    }

    #[test]
    fn missed_deadlines_are_skipped_not_bursted() {
        let s = Schedule { base: ms(100), max: ms(100) };
        let start = Instant::now();
        let next = s.next_deadline(start, start, start + ms(350));
        assert_eq!(next - start, ms(400));
    }
}
