//! One connection of an `HttpServer`: served by hyper until it closes, the stop shuts it down,
//! or it has waited too long.

use std::io;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::future::{Either, select};
use ginkgo_core::net::PeerAddr;
use ginkgo_core::net::backend::{IdleLimits, InFlight, RequestActivity};
use ginkgo_core::{BoxError, Context, TaskResult};
use http::{Request, Version};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower::ServiceExt;

use crate::Stream;
use crate::http_server::{BoxedService, Failure, ResponseBody};
use crate::task_executor::TaskExecutor;

/// How long a connection told to close for idleness gets to do so (an HTTP/2 client answers
/// the server's GOAWAY) before it is cut; a request that came in meanwhile is answered first.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

/// What every connection of one server is served with.
pub(crate) struct Served {
    pub(crate) builder: Builder<TaskExecutor>,
    pub(crate) idle: IdleLimits,
}

/// Serves one connection until it closes. Once the service begins to stop, shuts it down
/// gracefully (the task's cancellation at `stop_timeout` cuts what is left). Once it has waited
/// longer than `served.idle` allows, shuts it down too, and cuts it if it is still open after
/// [`CLOSE_GRACE`] with nothing in progress.
pub(crate) async fn serve_connection(
    ctx: &Context,
    served: &Served,
    stream: Stream,
    service: BoxedService,
    peer: &PeerAddr,
) -> TaskResult {
    let Some(manager) = ctx.async_manager().cloned() else { return Ok(()) };
    let activity = Arc::new(RequestActivity::new(served.idle));
    let io = TokioIo::new(Watched { stream, activity: activity.clone() });
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

/// The connection's socket, telling its [`RequestActivity`] when bytes come.
struct Watched {
    stream: Stream,
    activity: Arc<RequestActivity>,
}

impl AsyncRead for Watched {
    fn poll_read(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.received();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
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
