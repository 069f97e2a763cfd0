//! One connection of an `HttpServer`: served by hyper until it closes, the stop shuts it down,
//! or it has waited too long.

use std::io::{self, IoSlice};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::future::{Either, select};
use http::{Request, Version};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::rt::ReadBufCursor;
use hyper_util::server::conn::auto::Builder;
use tower::ServiceExt;

use super::super::PeerAddr;
use super::super::backend::{IdleLimits, InFlight, RequestActivity};
use super::executor::TaskExecutor;
use super::server::{BoxedService, Failure, ResponseBody};
use crate::{BoxError, Context, TaskResult};

/// How long a connection told to close for idleness gets to do so (an HTTP/2 client answers
/// the server's GOAWAY) before it is cut; a request that came in meanwhile is answered first.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What every connection of one server is served with.
pub(super) struct Served {
    pub(super) builder: Builder<TaskExecutor>,
    pub(super) idle: IdleLimits,
}

/// Serves one connection, `io`, until it closes. Once the service begins to stop, shuts it
/// down gracefully (the task's cancellation at `stop_timeout` cuts what is left). Once it has
/// waited longer than `served.idle` allows, shuts it down too, and cuts it if it is still open
/// after [`CLOSE_GRACE`] with nothing in progress.
pub(super) async fn serve_connection<I>(
    ctx: &Context,
    served: &Served,
    io: I,
    service: BoxedService,
    peer: &PeerAddr,
) -> TaskResult
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let Some(manager) = ctx.async_manager().cloned() else { return Ok(()) };
    let activity = Arc::new(RequestActivity::new(served.idle));
    let io = Watched { io, activity: activity.clone() };
    let answering = activity.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_flight = answering.request(request.version() == Version::HTTP_2);
        let answer = service.clone().oneshot(request);
        async move {
            let response = answer.await?;
            Ok::<_, Failure>(response.map(|body| Answered { body, _in_flight: in_flight }))
        }
    });
    let mut connection = pin!(served.builder.serve_connection(io, service));
    let idle = {
        let expired = pin!(activity.expired(manager.as_ref()));
        match select(connection.as_mut(), select(pin!(ctx.stopping()), expired)).await {
            Either::Left((served, _)) => return ended(ctx, peer, served),
            Either::Right((Either::Left(((), _)), _)) => false,
            Either::Right((Either::Right(((), _)), _)) => true,
        }
    };
    connection.as_mut().graceful_shutdown();
    if !idle {
        return ended(ctx, peer, connection.await);
    }
    log::debug!("{}: HTTP connection from {peer}: closed after waiting too long", ctx.path());
    activity.restart(IdleLimits { idle_timeout: CLOSE_GRACE, header_read_timeout: CLOSE_GRACE });
    match select(connection.as_mut(), pin!(activity.expired(manager.as_ref()))).await {
        Either::Left((served, _)) => ended(ctx, peer, served),
        // Dropping the connection closes it.
        Either::Right(((), _)) => Ok(()),
    }
}

fn ended(ctx: &Context, peer: &PeerAddr, served: Result<(), BoxError>) -> TaskResult {
    if let Err(err) = served {
        // Clients that go away, malformed requests: not the server's failure.
        log::debug!("{}: HTTP connection from {peer}: {err}", ctx.path());
    }
    Ok(())
}

/// The connection's stream, telling its [`RequestActivity`] when bytes come. hyper's reads
/// say only whether they are done, not how much they brought: a read that is done brought
/// bytes, or the end of the stream, with which the connection ends anyway.
struct Watched<I> {
    io: I,
    activity: Arc<RequestActivity>,
}

impl<I: hyper::rt::Read + Unpin> hyper::rt::Read for Watched<I> {
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: ReadBufCursor<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = polled {
            this.activity.received();
        }
        polled
    }
}

impl<I: hyper::rt::Write + Unpin> hyper::rt::Write for Watched<I> {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// A response's body, holding its request in flight until hyper drops it: once sent, or
/// abandoned.
struct Answered {
    body: ResponseBody,
    _in_flight: InFlight,
}

impl Body for Answered {
    type Data = Bytes;
    type Error = Failure;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Result<Frame<Bytes>, Failure>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
