//! One log output (standard error, standard output or a file) behind a bounded queue and a
//! writer thread of its own, so that logging never blocks or fails the code that logs.
//!
//! Logging a line only appends it to the queue, under a lock held for as long as that takes.
//! The writer thread takes lines from the queue and writes them out. When the destination
//! fails (a closed pipe, a full disk, a file size limit), the line is dropped and counted under
//! the error; when the destination stalls (a pipe nobody reads), the queue fills up and the
//! lines that do not fit are dropped and counted. The next time a write succeeds, the output
//! first says how many lines were lost and why, in a warning line of its own format.
//!
//! The shape is tracing-appender's non-blocking writer (a bounded queue, a worker thread,
//! lossy when full); the counting and reporting of losses is ours.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Instant;

/// Why lines that did not fit in the queue were lost.
const OVERFLOW: &str = "the output did not keep up";

/// Makes a warning line (of the runner, in the output's format, without the newline) from a
/// message.
pub(crate) type Warning = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// The writing end of one output: cheap to push to from any thread. Dropping it lets the
/// writer thread write what is queued and end.
pub(crate) struct LogOutput {
    shared: Arc<Shared>,
}

struct Shared {
    queue: Mutex<Queue>,
    /// Wakes the writer: a line was queued, or the output was dropped.
    filled: Condvar,
    /// Wakes those waiting for the queue to be written out.
    drained: Condvar,
}

struct Queue {
    entries: VecDeque<Entry>,
    /// The bytes the entries hold, at most `capacity` (but a line always fits an empty queue).
    bytes: usize,
    capacity: usize,
    /// The writer is writing something it took from the queue.
    writing: bool,
    /// The writer waits on `filled`.
    sleeping: bool,
    /// The `LogOutput` was dropped: write what is left, then end.
    closed: bool,
    warning: Warning,
}

/// A line (newline included) and how many lines that came after it did not fit in the queue.
/// (Bytes from a daemon's standard output count as a line each time they come.)
struct Entry {
    line: Vec<u8>,
    lost_after: u64,
}

/// Every output that is live or still writing, for [`wait_all_written`].
static OUTPUTS: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LogOutput {
    /// Starts the writer thread for `destination`, with a queue of `capacity` bytes.
    pub(crate) fn start(
        destination: Box<dyn Write + Send>,
        capacity: usize,
        warning: Warning,
    ) -> io::Result<LogOutput> {
        let queue = Queue {
            entries: VecDeque::new(),
            bytes: 0,
            capacity,
            writing: false,
            sleeping: false,
            closed: false,
            warning,
        };
        let shared = Arc::new(Shared { queue: Mutex::new(queue), filled: Condvar::new(), drained: Condvar::new() });
        let writer =
            Writer { shared: shared.clone(), destination, losses: Vec::new(), last_write_failed: false, torn: false };
        std::thread::Builder::new().name("ginkgo-log".into()).spawn(move || writer.run())?;
        let mut outputs = lock(&OUTPUTS);
        outputs.retain(|output| output.strong_count() > 0);
        outputs.push(Arc::downgrade(&shared));
        Ok(LogOutput { shared })
    }

    /// Queues `line` (a newline is added), or counts it as lost if the queue is full. Never
    /// blocks beyond a short lock, never fails.
    pub(crate) fn push(&self, line: impl fmt::Display) {
        let mut bytes = Vec::new();
        let _ = writeln!(bytes, "{line}");
        self.push_bytes(bytes);
    }

    /// Queues `bytes` as they are (what a daemon's standard output passes on), like `push`.
    pub(crate) fn push_bytes(&self, bytes: Vec<u8>) {
        let mut queue = lock(&self.shared.queue);
        if !queue.entries.is_empty() && queue.bytes + bytes.len() > queue.capacity {
            if let Some(last) = queue.entries.back_mut() {
                last.lost_after += 1;
            }
            return;
        }
        queue.bytes += bytes.len();
        queue.entries.push_back(Entry { line: bytes, lost_after: 0 });
        let wake = queue.sleeping;
        drop(queue);
        if wake {
            self.shared.filled.notify_one();
        }
    }

    /// From now on, reports of lost lines are made by `warning`.
    pub(crate) fn set_warning(&self, warning: Warning) {
        lock(&self.shared.queue).warning = warning;
    }

    /// Blocks until everything queued so far is written (or dropped), at most until
    /// `deadline`; true if it was.
    pub(crate) fn wait_written(&self, deadline: Instant) -> bool {
        self.shared.wait_written(deadline)
    }
}

impl Drop for LogOutput {
    fn drop(&mut self) {
        lock(&self.shared.queue).closed = true;
        self.shared.filled.notify_one();
    }
}

impl Shared {
    fn wait_written(&self, deadline: Instant) -> bool {
        let mut queue = lock(&self.queue);
        while !queue.entries.is_empty() || queue.writing {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            queue = self.drained.wait_timeout(queue, left).unwrap_or_else(PoisonError::into_inner).0;
        }
        true
    }
}

/// Blocks until every output has written what it was given, at most until `deadline`; true
/// if they all have. Outputs that were dropped but still have lines to write count too.
pub(crate) fn wait_all_written(deadline: Instant) -> bool {
    let outputs: Vec<Arc<Shared>> = lock(&OUTPUTS).iter().filter_map(Weak::upgrade).collect();
    // One that gives up has reached the deadline: the others would give up at once too.
    outputs.iter().all(|output| output.wait_written(deadline))
}

/// What the writer thread does next.
enum Job {
    Write(Entry, Warning),
    /// Nothing queued, but losses to report on a destination that works.
    Report(Warning),
    Stop,
}

/// The writer thread's side: the destination and what was lost on the way to it.
struct Writer {
    shared: Arc<Shared>,
    destination: Box<dyn Write + Send>,
    /// Lines lost since the last report, by reason, in the order the reasons came up.
    losses: Vec<(String, u64)>,
    last_write_failed: bool,
    /// A write failed halfway through a line: the next write starts a new line first.
    torn: bool,
}

impl Writer {
    fn run(mut self) {
        loop {
            match self.next() {
                Job::Write(entry, warning) => {
                    self.deliver(&entry.line, &warning);
                    self.lose(OVERFLOW, entry.lost_after);
                }
                Job::Report(warning) => {
                    let _ = self.report(&warning);
                }
                Job::Stop => return,
            }
        }
    }

    /// Waits for the next job. Whoever waits in `wait_written` is woken once the queue is empty
    /// and the losses are reported (or cannot be, the destination failing).
    fn next(&self) -> Job {
        let mut queue = lock(&self.shared.queue);
        loop {
            if let Some(entry) = queue.entries.pop_front() {
                queue.bytes -= entry.line.len();
                queue.writing = true;
                return Job::Write(entry, queue.warning.clone());
            }
            if !self.losses.is_empty() && !self.last_write_failed {
                queue.writing = true;
                return Job::Report(queue.warning.clone());
            }
            if queue.writing {
                queue.writing = false;
                self.shared.drained.notify_all();
            }
            if queue.closed {
                return Job::Stop;
            }
            queue.sleeping = true;
            queue = self.shared.filled.wait(queue).unwrap_or_else(PoisonError::into_inner);
            queue.sleeping = false;
        }
    }

    /// Writes `line`, after the report of earlier losses if there are any; a line that cannot
    /// be written is counted under the error.
    fn deliver(&mut self, line: &[u8], warning: &Warning) {
        let written = match self.report(warning) {
            Ok(()) => self.write(line),
            Err(err) => Err(err),
        };
        if let Err(err) = written {
            self.lose(&err.to_string(), 1);
        }
    }

    /// Writes one warning line per reason lines were lost, and forgets them once written.
    fn report(&mut self, warning: &Warning) -> io::Result<()> {
        if self.losses.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        for (reason, count) in &self.losses {
            let lines = if *count == 1 { "line" } else { "lines" };
            text.push_str(&warning(&format!("{count} log {lines} lost: {reason}")));
            text.push('\n');
        }
        self.write(text.as_bytes())?;
        self.losses.clear();
        Ok(())
    }

    fn lose(&mut self, reason: &str, count: u64) {
        if count == 0 {
            return;
        }
        match self.losses.iter_mut().find(|(known, _)| known == reason) {
            Some((_, total)) => *total += count,
            None => self.losses.push((reason.to_string(), count)),
        }
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let result = self.write_whole(bytes);
        self.last_write_failed = result.is_err();
        result
    }

    fn write_whole(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.torn {
            self.destination.write_all(b"\n")?;
            self.torn = false;
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            let written = match self.destination.write(rest) {
                Ok(0) => Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(written) => Ok(written),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => Err(err),
            };
            match written {
                Ok(written) => rest = &rest[written..],
                Err(err) => {
                    self.torn = rest.len() < bytes.len();
                    return Err(err);
                }
            }
        }
        self.destination.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    /// Far above what the tests need: only turns a hang into a failure.
    const LIMIT: Duration = Duration::from_secs(20);

    /// A destination that fails the writes it is told to, and can be held (blocked) at will.
    #[derive(Clone, Default)]
    struct Script(Arc<Mutex<ScriptState>>);

    #[derive(Default)]
    struct ScriptState {
        written: Vec<u8>,
        /// Errors the next writes return, in order.
        failures: VecDeque<io::Error>,
        /// Accept at most this many bytes of the next write (before any failure).
        short: Option<usize>,
        hold: Option<mpsc::Receiver<()>>,
        held: Option<mpsc::Sender<()>>,
    }

    impl Write for Script {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let (hold, held) = {
                let mut state = lock(&self.0);
                (state.hold.take(), state.held.take())
            };
            if let (Some(hold), Some(held)) = (hold, held) {
                held.send(()).unwrap();
                hold.recv_timeout(LIMIT).unwrap();
            }
            let mut state = lock(&self.0);
            if let Some(short) = state.short.take() {
                let take = short.min(buf.len());
                state.written.extend_from_slice(&buf[..take]);
                return Ok(take);
            }
            if let Some(err) = state.failures.pop_front() {
                return Err(err);
            }
            state.written.extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Script {
        fn text(&self) -> String {
            String::from_utf8(lock(&self.0).written.clone()).unwrap()
        }

        fn fail_next(&self, errors: impl IntoIterator<Item = io::Error>) {
            lock(&self.0).failures.extend(errors);
        }

        /// The next write blocks until the returned sender sends; the receiver hears when it
        /// has started blocking.
        fn hold_next(&self) -> (mpsc::Sender<()>, mpsc::Receiver<()>) {
            let (release, hold) = mpsc::channel();
            let (held, blocked) = mpsc::channel();
            let mut state = lock(&self.0);
            state.hold = Some(hold);
            state.held = Some(held);
            (release, blocked)
        }
    }

    fn warning() -> Warning {
        Arc::new(|message| format!("WARN {message}"))
    }

    fn output(script: &Script, capacity: usize) -> LogOutput {
        LogOutput::start(Box::new(script.clone()), capacity, warning()).unwrap()
    }

    fn written(output: &LogOutput) {
        assert!(output.wait_written(Instant::now() + LIMIT), "the output did not drain");
    }

    fn full_disk() -> io::Error {
        io::Error::from_raw_os_error(28)
    }

    #[test]
    fn lines_come_out_in_order() {
        let script = Script::default();
        let output = output(&script, 1024);
        for line in ["one", "two", "three"] {
            output.push(line);
        }
        written(&output);
        assert_eq!(script.text(), "one\ntwo\nthree\n");
    }

    #[test]
    fn failed_lines_are_counted_and_reported_once_writing_works_again() {
        let script = Script::default();
        let output = output(&script, 1024);
        output.push("before");
        written(&output);
        script.fail_next([full_disk(), full_disk(), io::Error::from_raw_os_error(27)]);
        for line in ["lost 1", "lost 2", "lost 3", "after"] {
            output.push(line);
        }
        written(&output);
        assert_eq!(
            script.text(),
            "before\n\
             WARN 2 log lines lost: No space left on device (os error 28)\n\
             WARN 1 log line lost: File too large (os error 27)\n\
             after\n"
        );
    }

    #[test]
    fn a_failing_report_costs_the_line_and_is_tried_again() {
        let script = Script::default();
        let output = output(&script, 1024);
        script.fail_next([full_disk(), full_disk()]);
        output.push("lost 1");
        output.push("lost 2");
        output.push("after");
        written(&output);
        assert_eq!(script.text(), "WARN 2 log lines lost: No space left on device (os error 28)\nafter\n");
    }

    #[test]
    fn a_line_cut_short_by_a_failure_is_ended_before_the_next_one() {
        let script = Script::default();
        let output = output(&script, 1024);
        {
            let mut state = lock(&script.0);
            state.short = Some(3);
            state.failures.push_back(full_disk());
        }
        output.push("torn line");
        output.push("next");
        written(&output);
        assert_eq!(script.text(), "tor\nWARN 1 log line lost: No space left on device (os error 28)\nnext\n");
    }

    #[test]
    fn a_stalled_destination_never_blocks_the_caller_and_the_overflow_is_reported_where_it_happened() {
        let script = Script::default();
        // Room for three lines of "line NN\n".
        let output = output(&script, 24);
        let (release, blocked) = script.hold_next();
        output.push("first");
        blocked.recv_timeout(LIMIT).unwrap();
        // The writer holds "first"; three lines fit in the queue, seven do not.
        for n in 10..20 {
            output.push(format!("line {n}"));
        }
        release.send(()).unwrap();
        written(&output);
        assert_eq!(
            script.text(),
            "first\nline 10\nline 11\nline 12\nWARN 7 log lines lost: the output did not keep up\n"
        );
        output.push("later");
        written(&output);
        assert!(script.text().ends_with("keep up\nlater\n"), "{}", script.text());
    }

    #[test]
    fn waiting_for_a_stalled_destination_gives_up_at_the_deadline() {
        let script = Script::default();
        let output = output(&script, 1024);
        let (release, blocked) = script.hold_next();
        output.push("stuck");
        blocked.recv_timeout(LIMIT).unwrap();
        assert!(!output.wait_written(Instant::now()));
        assert!(!wait_all_written(Instant::now()));
        release.send(()).unwrap();
        written(&output);
    }

    #[test]
    fn a_dropped_output_still_writes_what_was_queued() {
        let script = Script::default();
        let output = output(&script, 1024);
        let (release, blocked) = script.hold_next();
        output.push("one");
        blocked.recv_timeout(LIMIT).unwrap();
        output.push("two");
        drop(output);
        release.send(()).unwrap();
        assert!(wait_all_written(Instant::now() + LIMIT));
        assert_eq!(script.text(), "one\ntwo\n");
    }
}
