//! `ManagerTimer`: hyper's timer, over the sleeps of a service's manager.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;

use crate::AsyncManager;

/// The timer hyper's HTTP/2 connections ping their peers with: the sleeps of the manager
/// running the server, so that they are the backend's own timers.
#[derive(Clone)]
pub(super) struct ManagerTimer(Arc<dyn AsyncManager>);

impl ManagerTimer {
    pub(super) fn new(manager: Arc<dyn AsyncManager>) -> Self {
        ManagerTimer(manager)
    }
}

impl hyper::rt::Timer for ManagerTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(ManagerSleep(Mutex::new(self.0.sleep(duration))))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep(deadline.saturating_duration_since(Instant::now()))
    }
}

/// A manager's sleep, which is `Send` but not `Sync` as hyper's `Sleep` must be: the mutex
/// makes it so, and is never locked (polling has the sleep to itself: `get_mut`).
struct ManagerSleep(Mutex<BoxFuture<'static, ()>>);

impl Future for ManagerSleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let sleep = self.get_mut().0.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner());
        sleep.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for ManagerSleep {}
