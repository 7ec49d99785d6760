//! The CPU time a future costs, read from the clock of the thread that polls it. Each poll is
//! timed on its own thread, so the figure stays right when a multi-threaded runtime moves the
//! task between threads.

use std::future::Future;
use std::pin::pin;

use nix::time::{clock_gettime, ClockId};

/// This thread's CPU time in nanoseconds; `None` where the clock is not available.
pub fn thread_cpu_ns() -> Option<u64> {
    let now = clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID).ok()?;
    Some(now.tv_sec() as u64 * 1_000_000_000 + now.tv_nsec() as u64)
}

/// Runs `future` and returns its output with the CPU time spent polling it, in nanoseconds.
pub async fn metered<F: Future>(future: F) -> (F::Output, Option<u64>) {
    let mut future = pin!(future);
    let mut spent = Some(0u64);
    let output = std::future::poll_fn(|cx| {
        let before = thread_cpu_ns();
        let poll = future.as_mut().poll(cx);
        spent = spent
            .zip(before)
            .zip(thread_cpu_ns())
            .map(|((sum, before), after)| sum + after.saturating_sub(before));
        poll
    })
    .await;
    (output, spent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_work_and_not_waiting() {
        let (_, idle) = metered(tokio::time::sleep(std::time::Duration::from_millis(50))).await;
        let (sum, busy) = metered(async {
            (0..20_000_000u64).fold(0u64, |a, b| std::hint::black_box(a.wrapping_add(b)))
        })
        .await;
        assert!(sum > 0);
        let (idle, busy) = (idle.unwrap(), busy.unwrap());
        assert!(idle < 5_000_000, "sleeping 50 ms cost {idle} ns of CPU");
        assert!(busy > 1_000_000, "a busy loop cost only {busy} ns");
    }
}
