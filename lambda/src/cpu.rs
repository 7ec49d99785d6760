//! The CPU time of the synchronous stretches of a request, read from the clock of the thread
//! running them. A request's task may move between threads at each `.await`, so the meter is
//! paused before every await and resumed after it: each stretch starts and ends on one thread.

use nix::time::{clock_gettime, ClockId};

/// This thread's CPU time in nanoseconds; `None` where the clock is not available.
pub fn thread_cpu_ns() -> Option<u64> {
    let now = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
    Some(now.tv_sec() as u64 * 1_000_000_000 + now.tv_nsec() as u64)
}

/// Sums the thread CPU time between each `resume` and the following `pause`.
#[derive(Debug, Default)]
pub struct Meter {
    running_since: Option<u64>,
    total_ns: u64,
    unavailable: bool,
}

impl Meter {
    /// A meter that is running.
    pub fn started() -> Meter {
        let mut meter = Meter::default();
        meter.resume();
        meter
    }

    pub fn resume(&mut self) {
        self.running_since = thread_cpu_ns();
        self.unavailable |= self.running_since.is_none();
    }

    pub fn pause(&mut self) {
        if let (Some(since), Some(now)) = (self.running_since.take(), thread_cpu_ns()) {
            self.total_ns += now.saturating_sub(since);
        }
    }

    /// The CPU time counted so far, in microseconds.
    pub fn total_us(&self) -> Option<f64> {
        (!self.unavailable).then(|| self.total_ns as f64 / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy() -> u64 {
        (0..20_000_000u64).fold(0, |a, b| std::hint::black_box(a.wrapping_add(b)))
    }

    #[test]
    fn counts_only_while_running() {
        let mut meter = Meter::started();
        meter.pause();
        assert!(busy() > 0); // not counted
        let idle = meter.total_us().unwrap();
        meter.resume();
        std::thread::sleep(std::time::Duration::from_millis(50));
        meter.pause();
        let slept = meter.total_us().unwrap() - idle;
        meter.resume();
        assert!(busy() > 0);
        meter.pause();
        let worked = meter.total_us().unwrap() - idle - slept;
        assert!(idle < 1_000.0, "a paused meter counted {idle} us");
        assert!(slept < 5_000.0, "sleeping 50 ms counted {slept} us of CPU");
        assert!(worked > 1_000.0, "a busy loop counted only {worked} us");
    }
}
