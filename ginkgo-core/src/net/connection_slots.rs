//! `ConnectionSlots`: a server's cap on open connections, and the count it is checked against.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use event_listener::{Event, listener};

use super::OpenConnection;
use crate::Gauge;

/// A server's open connections, counted against its cap: the accept loop takes a slot for each
/// connection it accepts ([`take`](ConnectionSlots::take)) and, when all are taken, waits for
/// [`room`](ConnectionSlots::room) before accepting again; the slot is freed when the
/// connection's [`OpenConnection`] is dropped. The count is also shown in the server's gauge
/// (`connections`).
///
/// Only the accept loop takes slots, one at a time, so the count never goes above the cap.
///
/// ```
/// use ginkgo::Gauge;
/// use ginkgo_core::net::backend::ConnectionSlots;
///
/// let gauge = Gauge::default();
/// let slots = ConnectionSlots::new(2, gauge.clone());
/// let first = slots.take();
/// let second = slots.take();
/// assert!(slots.is_full());
/// assert_eq!((slots.open(), gauge.get()), (2, 2));
/// drop(first);
/// assert!(!slots.is_full());
/// futures::executor::block_on(slots.room()); // at once: there is room
/// drop(second);
/// assert_eq!((slots.open(), gauge.get()), (0, 0));
/// ```
#[derive(Clone, Debug)]
pub struct ConnectionSlots(Arc<Slots>);

#[derive(Debug)]
pub(crate) struct Slots {
    cap: usize,
    open: AtomicUsize,
    gauge: Gauge,
    /// Notified when a slot is freed while all were taken.
    freed: Event,
}

impl ConnectionSlots {
    /// `cap` slots (at least one), counted in `gauge` too.
    pub fn new(cap: usize, gauge: Gauge) -> Self {
        ConnectionSlots(Arc::new(Slots { cap: cap.max(1), open: AtomicUsize::new(0), gauge, freed: Event::new() }))
    }

    /// The cap.
    pub fn cap(&self) -> usize {
        self.0.cap
    }

    /// How many slots are taken: connections open.
    pub fn open(&self) -> usize {
        self.0.open.load(Ordering::Acquire)
    }

    /// True while every slot is taken.
    pub fn is_full(&self) -> bool {
        self.open() >= self.0.cap
    }

    /// Resolves once a slot is free (at once if one is).
    pub async fn room(&self) {
        loop {
            if !self.is_full() {
                return;
            }
            listener!(self.0.freed => freed);
            if !self.is_full() {
                return;
            }
            freed.await;
        }
    }

    /// Takes a slot for a connection just accepted, until the returned value is dropped. Call
    /// it only when there is room (the cap is a promise of the accept loop, not a check here).
    pub fn take(&self) -> OpenConnection {
        self.0.open.fetch_add(1, Ordering::AcqRel);
        self.0.gauge.inc();
        OpenConnection::in_slots(self.0.clone())
    }
}

impl Slots {
    /// Frees a slot; wakes the accept loop if it was waiting for room.
    pub(crate) fn free(&self) {
        let before = self.open.fetch_sub(1, Ordering::AcqRel);
        self.gauge.dec();
        if before >= self.cap {
            self.freed.notify(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll};

    use futures::task::noop_waker_ref;

    use super::*;

    #[test]
    fn room_waits_until_a_slot_is_freed() {
        let slots = ConnectionSlots::new(1, Gauge::default());
        let open = slots.take();
        let mut room = pin!(slots.room());
        let mut cx = Context::from_waker(noop_waker_ref());
        assert!(room.as_mut().poll(&mut cx).is_pending());
        assert!(room.as_mut().poll(&mut cx).is_pending(), "still full");
        drop(open);
        assert_eq!(room.as_mut().poll(&mut cx), Poll::Ready(()));
    }

    #[test]
    fn a_cap_of_zero_is_a_cap_of_one() {
        let slots = ConnectionSlots::new(0, Gauge::default());
        assert_eq!(slots.cap(), 1);
        assert!(!slots.is_full());
    }
}
