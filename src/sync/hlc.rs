//! Hybrid logical clocks: the order of changes across devices.
//!
//! A reading is the wall time in milliseconds and a counter. It never goes
//! back: a device whose wall clock is behind the latest reading it has seen
//! (its own or another device's) counts on from that reading instead. So a
//! clock set a year ahead moves every device's readings a year ahead; it
//! never stops sync or reorders what was already written. Equal readings
//! from two devices are ordered by device id (see `Stamp`).

use serde::{Deserialize, Serialize};

/// One reading of a hybrid logical clock.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch, or later than the wall clock when
    /// a reading from a clock ahead was seen.
    pub ms: u64,
    /// Events within the same millisecond.
    pub count: u32,
}

impl Hlc {
    /// The reading before any event.
    pub const ZERO: Hlc = Hlc { ms: 0, count: 0 };

    /// The reading for a local event at wall time `now_ms`: later than
    /// this one, and than the wall clock.
    #[must_use]
    pub fn tick(self, now_ms: u64) -> Hlc {
        if now_ms > self.ms {
            Hlc {
                ms: now_ms,
                count: 0,
            }
        } else {
            self.next()
        }
    }

    /// The reading after seeing `remote` at wall time `now_ms`: later than
    /// this one, than `remote`, and than the wall clock.
    #[must_use]
    pub fn observe(self, remote: Hlc, now_ms: u64) -> Hlc {
        let latest = self.max(remote);
        if now_ms > latest.ms {
            Hlc {
                ms: now_ms,
                count: 0,
            }
        } else {
            latest.next()
        }
    }

    /// The next reading after this one.
    fn next(self) -> Hlc {
        match self.count.checked_add(1) {
            Some(count) => Hlc { ms: self.ms, count },
            // Four billion events in one millisecond: borrow the next one.
            None => Hlc {
                ms: self.ms.saturating_add(1),
                count: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_clock_behind_counts_on_from_the_latest_reading() {
        let a = Hlc::ZERO.tick(1_000);
        assert_eq!(
            a,
            Hlc {
                ms: 1_000,
                count: 0
            }
        );
        // The wall clock went back: the reading does not.
        let b = a.tick(500);
        assert_eq!(
            b,
            Hlc {
                ms: 1_000,
                count: 1
            }
        );
        // A device a year ahead: its reading is taken, and counted on.
        let year = 365 * 24 * 3_600 * 1_000;
        let ahead = Hlc::ZERO.tick(1_000 + year);
        let c = b.observe(ahead, 2_000);
        assert_eq!(
            c,
            Hlc {
                ms: 1_000 + year,
                count: 1
            }
        );
        assert_eq!(
            c.tick(3_000),
            Hlc {
                ms: 1_000 + year,
                count: 2
            }
        );
        // Once the wall clock catches up, it leads again.
        assert_eq!(
            c.tick(2_000 + year),
            Hlc {
                ms: 2_000 + year,
                count: 0
            }
        );
    }

    #[test]
    fn the_counter_never_wraps() {
        let full = Hlc {
            ms: 7,
            count: u32::MAX,
        };
        assert_eq!(full.tick(0), Hlc { ms: 8, count: 0 });
    }

    proptest! {
        #[test]
        fn every_reading_is_later_than_what_it_saw(
            start in any::<(u64, u32)>(),
            events in proptest::collection::vec((any::<bool>(), any::<u64>(), any::<u64>(), any::<u32>()), 1..50),
        ) {
            let mut clock = Hlc { ms: start.0 >> 1, count: start.1 };
            for (local, now, remote_ms, remote_count) in events {
                let (now, remote) = (now >> 1, Hlc { ms: remote_ms >> 1, count: remote_count });
                let next = if local { clock.tick(now) } else { clock.observe(remote, now) };
                prop_assert!(next > clock);
                prop_assert!(next.ms >= now);
                if !local {
                    prop_assert!(next > remote);
                }
                clock = next;
            }
        }
    }
}
