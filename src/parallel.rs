//! The one bounded parallel map: work spread over at most as many threads as there are
//! cores, results in input order. Used for fingerprinting and extracting locations and for
//! building environments (so 100 locations never mean 100 installers at once).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many threads: the number of cores, at least 1.
pub(crate) fn workers() -> usize {
    std::thread::available_parallelism()
        .map(|w| w.get())
        .unwrap_or(2)
}

/// `f(0..n)` on up to [`workers`] threads; results in index order.
pub(crate) fn parallel_map<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    parallel_map_with(workers(), n, f)
}

/// `f(0..n)` on up to `limit` threads; results in index order.
pub(crate) fn parallel_map_with<R: Send>(
    limit: usize,
    n: usize,
    f: impl Fn(usize) -> R + Sync,
) -> Vec<R> {
    let threads = limit.max(1).min(n);
    if threads <= 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let done = Mutex::new(Vec::with_capacity(n));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n {
                        break;
                    }
                    let r = f(i);
                    done.lock().expect("no panics while locked").push((i, r));
                }
            });
        }
    });
    let mut done = done.into_inner().expect("threads joined");
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn results_keep_order_and_threads_stay_bounded() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let out = parallel_map_with(3, 20, |i| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(5));
            running.fetch_sub(1, Ordering::SeqCst);
            i * 2
        });
        assert_eq!(out, (0..20).map(|i| i * 2).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 3);
    }
}
