//! The supervisor of a service's children: what it does when one of them ends.
//!
//! An end that may call for a restart is queued on the parent's supervisor as the child and the
//! number of the run that ended, by whoever ended that run: a failure that stopped at the child
//! ([`lifecycle::pass_up`](crate::lifecycle)), or a stop of a permanent child
//! ([`Context::stop`]). One task at a time per parent works through the queue, each end under
//! the parent's sequence lock: a restart never overlaps the parent's start, stop or reload, nor
//! another restart. It acts only while the parent is ready, so no restart begins while the
//! parent stops, and it races every wait of a restart against the parent's stop. An end names
//! its run: once that child has been started again (by a restart, or by anyone), it is stale
//! and dropped.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Mutex;
use std::time::Instant;

use futures::future::{Either, select};

use crate::error::{Error, ErrorKind};
use crate::lifecycle::{escalate, pass_up};
use crate::state::lock;
use crate::{Context, Intensity, Restart, State, Strategy};

/// A parent's supervision: its children's policies, its strategy and intensity, and the ends it
/// has still to deal with. Made on first use, so a service that supervises nothing carries one
/// empty pointer.
pub(crate) struct Supervisor {
    book: Mutex<Book>,
}

struct Book {
    strategy: Strategy,
    intensity: Intensity,
    /// The supervised children; a child not listed has no policy.
    policies: Vec<(Context, Restart)>,
    /// Runs of children that ended and may call for a restart, oldest first.
    ended: VecDeque<(Context, u64)>,
    /// A task is working through `ended`.
    working: bool,
    /// When each restart of the current period was decided, oldest first.
    restarts: VecDeque<Instant>,
    /// Children that a restart stopped and has not started again yet (it failed partway).
    owed: Vec<Context>,
}

impl Supervisor {
    fn new() -> Self {
        Supervisor {
            book: Mutex::new(Book {
                strategy: Strategy::default(),
                intensity: Intensity::default(),
                policies: Vec::new(),
                ended: VecDeque::new(),
                working: false,
                restarts: VecDeque::new(),
                owed: Vec::new(),
            }),
        }
    }

    pub(crate) fn configure(&self, strategy: Strategy, intensity: Intensity) {
        let mut book = lock(&self.book);
        book.strategy = strategy;
        book.intensity = intensity;
    }

    pub(crate) fn set_policy(&self, child: &Context, restart: Restart) {
        let mut book = lock(&self.book);
        book.policies.retain(|(c, _)| c != child);
        book.policies.push((child.clone(), restart));
    }

    /// `child` is no longer a child: it has no policy, and its ends are not dealt with.
    pub(crate) fn forget(&self, child: &Context) {
        let mut book = lock(&self.book);
        book.policies.retain(|(c, _)| c != child);
        book.ended.retain(|(c, _)| c != child);
        book.owed.retain(|c| c != child);
    }

    pub(crate) fn policy(&self, child: &Context) -> Option<Restart> {
        lock(&self.book).policy(child)
    }

    /// The parent begins a new run: a supervisor starts afresh (as a restarted OTP supervisor
    /// does), with no restarts counted and nothing left to do from the last run.
    pub(crate) fn new_run(&self) {
        let mut book = lock(&self.book);
        book.ended.clear();
        book.restarts.clear();
        book.owed.clear();
    }
}

impl Book {
    fn policy(&self, child: &Context) -> Option<Restart> {
        self.policies.iter().find(|(c, _)| c == child).map(|(_, restart)| *restart)
    }

    /// Nothing more to do: the parent is not ready.
    fn give_up(&mut self) {
        self.ended.clear();
        self.owed.clear();
    }
}

/// The children a restart of child `at` takes with it, among `count`, by `strategy`.
fn group(strategy: Strategy, count: usize, at: usize) -> Range<usize> {
    match strategy {
        Strategy::OneForOne => at..at + 1,
        Strategy::OneForAll => 0..count,
        Strategy::RestForOne => at..count,
    }
}

/// What a restart is to do, decided under the book's lock.
struct Plan {
    /// The members of the group, in order.
    members: Vec<Context>,
    /// Those to start again, in order.
    to_start: Vec<Context>,
    /// The wait before starting them.
    delay: std::time::Duration,
}

impl Context {
    /// This service's supervisor, made on first use.
    pub(crate) fn supervisor(&self) -> &Supervisor {
        self.node.supervisor.get_or_init(|| Box::new(Supervisor::new()))
    }

    /// Run `number` of `child`, one of this service's children, has ended (or is ending) in a
    /// way that may call for a restart: queue it, and start working through the queue unless a
    /// task already is.
    pub(crate) fn child_ended(&self, child: &Context, number: u64) {
        let supervisor = self.supervisor();
        let begin = {
            let mut book = lock(&supervisor.book);
            if !book.ended.iter().any(|(c, n)| c == child && *n == number) {
                book.ended.push_back((child.clone(), number));
            }
            !std::mem::replace(&mut book.working, true)
        };
        if !begin {
            return;
        }
        match self.manager() {
            Ok(manager) => {
                let parent = self.clone();
                manager.spawn(Box::pin(async move { parent.supervise_children().await }));
            }
            // A parent without a manager has never run: nothing to restart.
            Err(_) => lock(&supervisor.book).working = false,
        }
    }

    /// Works through the ended runs, one at a time, each under the sequence lock.
    async fn supervise_children(self) {
        let supervisor = self.supervisor();
        loop {
            let _sequence = self.node.sequence.lock().await;
            let next = {
                let mut book = lock(&supervisor.book);
                if self.state() != State::Ready {
                    book.give_up();
                }
                book.ended.pop_front()
            };
            let Some((child, number)) = next else {
                // Decided under the book's lock, so an end queued from now on begins a new task.
                let mut book = lock(&supervisor.book);
                if book.ended.is_empty() {
                    book.working = false;
                    return;
                }
                continue;
            };
            self.restart_after(&child, number).await;
        }
    }

    /// Deals with the end of run `number` of `child`, holding the sequence lock.
    async fn restart_after(&self, child: &Context, number: u64) {
        // Its stop may still be under way; a later run means the end is stale.
        let Some(ended) = child.node.run.over(number).await else { return };
        let Some(plan) = self.plan_restart(child, &ended) else { return };
        for member in plan.members.iter().rev() {
            if member != child {
                let _ = member.stop_inline().await;
            }
        }
        if !self.wait_unless_stopping(plan.delay).await {
            return;
        }
        for (index, member) in plan.to_start.iter().enumerate() {
            if member.state().is_running() {
                continue;
            }
            member.node.run.count_restart();
            match self.start_unless_stopping(member).await {
                Some(Ok(())) => {}
                // The parent is stopping: its stop does the rest.
                None => return,
                Some(Err(err)) => {
                    self.restart_failed(member, err, &plan.to_start[index + 1..]);
                    return;
                }
            }
        }
    }

    /// Decides whether `child`'s ended run is followed by a restart, and of which children;
    /// fails this service instead if its intensity allows no more restarts. Logs each restart.
    fn plan_restart(&self, child: &Context, ended: &crate::run::Record) -> Option<Plan> {
        let supervisor = self.supervisor();
        let mut book = lock(&supervisor.book);
        let failed = ended.state == State::Failed;
        let restarts = book.policy(child).is_some_and(|restart| restart.restarts_after(failed));
        if !restarts || self.state() != State::Ready {
            return None;
        }
        let children = self.children();
        let at = children.iter().position(|c| c == child)?;
        let intensity = book.intensity.clone();
        let now = Instant::now();
        while book.restarts.front().is_some_and(|decided| now.duration_since(*decided) >= intensity.period) {
            book.restarts.pop_front();
        }
        let retry = book.restarts.len();
        if retry >= intensity.restarts as usize {
            book.give_up();
            book.restarts.clear();
            drop(book);
            let err = Error::new(
                ErrorKind::TooManyRestarts,
                self.path(),
                format!("more than {} restarts of its children within {:?}", intensity.restarts, intensity.period),
            );
            escalate(
                self,
                match &ended.failure {
                    Some(cause) => err.with_source(cause.clone()),
                    None => err,
                },
            );
            return None;
        }
        book.restarts.push_back(now);
        let strategy = book.strategy;
        let members = children[group(strategy, children.len(), at)].to_vec();
        let to_start: Vec<Context> = members
            .iter()
            .filter(|m| *m == child || m.state().is_running() || book.owed.contains(m))
            .filter(|m| book.policy(m) != Some(crate::Restart::Temporary))
            .cloned()
            .collect();
        book.owed.retain(|c| !members.contains(c));
        drop(book);
        let delay = intensity.backoff.delay(u32::try_from(retry).unwrap_or(u32::MAX), fastrand::f64());
        let count = format!("restart {} of at most {} within {:?}", retry + 1, intensity.restarts, intensity.period);
        // To the millisecond: the jitter's microseconds say nothing to a reader.
        let shown = std::time::Duration::from_millis(u64::try_from(delay.as_millis()).unwrap_or(u64::MAX));
        match &ended.failure {
            Some(failure) => {
                log::warn!("{}: restarting in {shown:?} ({count}) after: {}", child.path(), failure.chain())
            }
            None => log::info!("{}: restarting in {shown:?} ({count}): it stopped", child.path()),
        }
        for member in to_start.iter().filter(|m| *m != child) {
            log::info!("{}: restarting with {} ({strategy})", member.path(), child.path());
        }
        Some(Plan { members, to_start, delay })
    }

    /// `member`'s restart failed with `err`; `rest` were to start after it. A supervised member's
    /// failed start is an end like any other (counted, backed off, restarted with its group);
    /// an unsupervised one's is this service's failure. A start refused because someone else
    /// started the member meanwhile is no end: that run is theirs.
    fn restart_failed(&self, member: &Context, err: Error, rest: &[Context]) {
        if err.kind() == ErrorKind::InvalidState {
            return;
        }
        let supervisor = self.supervisor();
        let mut book = lock(&supervisor.book);
        if book.policy(member).is_none() {
            drop(book);
            // Logged where it happened, by the start.
            pass_up(member, err);
            return;
        }
        book.owed.extend(rest.iter().cloned());
        let number = member.node.run.read(|run| run.number);
        book.ended.retain(|(c, n)| !(c == member && *n == number));
        book.ended.push_front((member.clone(), number));
    }

    /// Waits `delay`; false if this service's stop was requested first.
    async fn wait_unless_stopping(&self, delay: std::time::Duration) -> bool {
        let Ok(manager) = self.manager() else { return false };
        let sleep = manager.sleep(delay);
        match select(sleep, std::pin::pin!(self.stop_requested())).await {
            Either::Left(_) => self.state() == State::Ready,
            Either::Right(_) => false,
        }
    }

    /// Starts `member`, unless this service's stop is requested first: then interrupts the
    /// start, waits until `member` is down again and returns `None`.
    async fn start_unless_stopping(&self, member: &Context) -> Option<Result<(), Error>> {
        let start = std::pin::pin!(member.start());
        match select(start, std::pin::pin!(self.stop_requested())).await {
            Either::Left((started, _)) => Some(started),
            Either::Right((_, start)) => {
                member.stop_in_background();
                let _ = start.await;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_the_child_all_children_or_the_child_and_those_after_it() {
        assert_eq!(group(Strategy::OneForOne, 4, 1), 1..2);
        assert_eq!(group(Strategy::OneForAll, 4, 1), 0..4);
        assert_eq!(group(Strategy::RestForOne, 4, 1), 1..4);
        assert_eq!(group(Strategy::RestForOne, 4, 3), 3..4);
    }
}
