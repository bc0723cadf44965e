//! The services go-plugin's client expects beside the provider: controller, stdio, broker
//! and health.
//!
//! - `plugin.GRPCController/Shutdown`: Terraform calls it when done with a process and
//!   otherwise waits 2 s before killing it, for every provider process of every command.
//!   It fires the server's shutdown token; the process exits right after.
//! - `plugin.GRPCStdio/StreamStdio`: called once after connecting. Our logs already go to
//!   stderr, which Terraform reads line by line, so the stream stays open and empty.
//! - `plugin.GRPCBroker/StartStream`: providers never broker connections; the stream stays
//!   open and empty.
//! - `grpc.health.v1.Health` reports the service `plugin` as SERVING.

use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status, Streaming};

use super::proto::go_plugin::{
    self, ConnInfo, Empty, StdioData, grpc_broker_server::GrpcBroker, grpc_controller_server::GrpcController,
    grpc_stdio_server::GrpcStdio,
};

type StreamOf<T> = std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// Answers Shutdown by cancelling `shutdown`.
pub struct Controller {
    /// Fired when Terraform asks the plugin to exit.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcController for Controller {
    async fn shutdown(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::debug!("Shutdown requested by Terraform");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }
}

/// An stdio stream that stays open and empty until shutdown.
pub struct Stdio {
    /// Ends the stream when the server shuts down.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcStdio for Stdio {
    async fn stream_stdio(&self, _request: Request<()>) -> Result<Response<StreamOf<StdioData>>, Status> {
        Ok(Response::new(quiet_stream(self.shutdown.clone())))
    }
}

/// A broker that never brokers.
pub struct Broker {
    /// Ends the stream when the server shuts down.
    pub shutdown: CancellationToken,
}

#[tonic::async_trait]
impl GrpcBroker for Broker {
    async fn start_stream(
        &self,
        _request: Request<Streaming<ConnInfo>>,
    ) -> Result<Response<StreamOf<ConnInfo>>, Status> {
        Ok(Response::new(quiet_stream(self.shutdown.clone())))
    }
}

/// A stream that yields nothing and ends when the server shuts down.
fn quiet_stream<T: Send + 'static>(shutdown: CancellationToken) -> StreamOf<T> {
    use futures::StreamExt;
    let until_shutdown = futures::stream::once(shutdown.cancelled_owned());
    Box::pin(until_shutdown.filter_map(|()| async { None }))
}

/// The tonic services, ready to add to a router.
pub fn services(
    shutdown: &CancellationToken,
) -> (
    go_plugin::grpc_controller_server::GrpcControllerServer<Controller>,
    go_plugin::grpc_stdio_server::GrpcStdioServer<Stdio>,
    go_plugin::grpc_broker_server::GrpcBrokerServer<Broker>,
) {
    (
        go_plugin::grpc_controller_server::GrpcControllerServer::new(Controller {
            shutdown: shutdown.clone(),
        }),
        go_plugin::grpc_stdio_server::GrpcStdioServer::new(Stdio {
            shutdown: shutdown.clone(),
        }),
        go_plugin::grpc_broker_server::GrpcBrokerServer::new(Broker {
            shutdown: shutdown.clone(),
        }),
    )
}
