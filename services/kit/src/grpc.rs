//! Serving gRPC: every service's router starts with the standard health
//! service and reflection, and stops on the shared shutdown signal.

use crate::shutdown::Shutdown;
use tokio::net::TcpListener;
use tonic::transport::server::{Router, TcpIncoming};
use tonic::transport::Server;
use tonic_health::ServingStatus;

/// Largest request the health and reflection services decode: a service
/// name or a symbol. (Each service sets its own servers' limit.)
pub const MAX_STANDARD_MESSAGE_BYTES: usize = 16 * 1024;

/// A router with health (each of `services` reported as serving) and
/// reflection over the mesh's descriptor set. Add the service's own
/// servers to it, each with its `max_decoding_message_size`.
pub async fn base_router(services: &[&'static str]) -> anyhow::Result<Router> {
    let (reporter, health) = tonic_health::server::health_reporter();
    for name in services {
        reporter
            .set_service_status(*name, ServingStatus::Serving)
            .await;
    }
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(complaints_proto::FILE_DESCRIPTOR_SET)
        .build_v1()?
        .max_decoding_message_size(MAX_STANDARD_MESSAGE_BYTES);
    let health = health.max_decoding_message_size(MAX_STANDARD_MESSAGE_BYTES);
    Ok(Server::builder()
        .add_service(health)
        .add_service(reflection))
}

/// Binds the gRPC listener (`127.0.0.1:0` picks a free port, for tests).
pub async fn bind(addr: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|err| anyhow::anyhow!("cannot listen on {addr}: {err}"))
}

/// Serves until shutdown; in-flight calls finish first.
pub async fn serve(
    router: Router,
    listener: TcpListener,
    shutdown: Shutdown,
) -> anyhow::Result<()> {
    // Without TCP_NODELAY a response written in pieces waits for the
    // client's delayed ack: ~40 ms per call.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    router
        .serve_with_incoming_shutdown(incoming, async move { shutdown.cancelled().await })
        .await?;
    Ok(())
}

/// What tonic and prost do with bad bytes before a handler runs, checked
/// over a real connection (docs/input-validation.md): a message over the
/// server's `max_decoding_message_size` is `OUT_OF_RANGE`, a string field
/// that is not UTF-8 is `INTERNAL` naming the message and the field, as
/// gRPC's status-code table says for a request that does not parse.
#[cfg(test)]
mod tests {
    use bytes::{Buf, BufMut, Bytes};
    use complaints_proto::v1::intake_server::{Intake, IntakeServer};
    use complaints_proto::v1::{
        Case, GetCaseRequest, RequestReviewRequest, RequestReviewResponse, SubmitComplaintRequest,
        SubmitComplaintResponse,
    };
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
    use tonic::codegen::http::uri::PathAndQuery;
    use tonic::transport::server::TcpIncoming;
    use tonic::transport::{Channel, Server};
    use tonic::{Code, Request, Response, Status};

    /// Counts the calls that reach the handler.
    #[derive(Clone, Default)]
    struct Counting(Arc<AtomicUsize>);

    #[tonic::async_trait]
    impl Intake for Counting {
        async fn submit_complaint(
            &self,
            _request: Request<SubmitComplaintRequest>,
        ) -> Result<Response<SubmitComplaintResponse>, Status> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Response::new(SubmitComplaintResponse::default()))
        }
        async fn get_case(&self, _: Request<GetCaseRequest>) -> Result<Response<Case>, Status> {
            Err(Status::unimplemented("test"))
        }
        async fn request_review(
            &self,
            _: Request<RequestReviewRequest>,
        ) -> Result<Response<RequestReviewResponse>, Status> {
            Err(Status::unimplemented("test"))
        }
    }

    /// Sends the bytes as they are, whatever they encode.
    #[derive(Clone, Copy)]
    struct Raw;

    impl Codec for Raw {
        type Encode = Bytes;
        type Decode = Bytes;
        type Encoder = Raw;
        type Decoder = Raw;
        fn encoder(&mut self) -> Raw {
            Raw
        }
        fn decoder(&mut self) -> Raw {
            Raw
        }
    }

    impl Encoder for Raw {
        type Item = Bytes;
        type Error = Status;
        fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
            dst.put(item);
            Ok(())
        }
    }

    impl Decoder for Raw {
        type Item = Bytes;
        type Error = Status;
        fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
            Ok(Some(src.copy_to_bytes(src.remaining())))
        }
    }

    /// `facts` (field 5) with the given bytes, length-delimited.
    fn with_facts(facts: &[u8]) -> Bytes {
        let mut buf = Vec::new();
        buf.push((5 << 3) | 2);
        prost::encoding::encode_varint(facts.len() as u64, &mut buf);
        buf.extend_from_slice(facts);
        Bytes::from(buf)
    }

    #[tokio::test]
    async fn oversized_and_non_utf8_requests_never_reach_the_handler() -> anyhow::Result<()> {
        const LIMIT: usize = 1024;
        let calls = Counting::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = Server::builder()
            .add_service(IntakeServer::new(calls.clone()).max_decoding_message_size(LIMIT))
            .serve_with_incoming(TcpIncoming::from(listener));
        let server = tokio::spawn(server);
        let channel = Channel::from_shared(format!("http://{addr}"))?
            .connect()
            .await?;
        let client = tonic::client::Grpc::new(channel);
        let send = |body: Bytes| {
            let mut client = client.clone();
            async move {
                client
                    .ready()
                    .await
                    .map_err(|e| Status::unknown(e.to_string()))?;
                client
                    .unary(
                        Request::new(body),
                        PathAndQuery::from_static("/complaints.v1.Intake/SubmitComplaint"),
                        Raw,
                    )
                    .await
            }
        };

        send(with_facts("暖气不热".as_bytes())).await?;
        assert_eq!(
            calls.0.load(Ordering::SeqCst),
            1,
            "a good request is served"
        );

        let status = send(with_facts(&[b'a'; LIMIT])).await.expect_err("too big");
        assert_eq!(status.code(), Code::OutOfRange, "{status:?}");
        assert!(
            status.message().contains("the limit is: 1024 bytes"),
            "{status:?}"
        );

        let status = send(with_facts(&[0xE6, 0x9A, 0xFF]))
            .await
            .expect_err("not UTF-8");
        assert_eq!(status.code(), Code::Internal, "{status:?}");
        assert!(
            status
                .message()
                .contains("SubmitComplaintRequest.facts: invalid string value"),
            "{status:?}"
        );

        assert_eq!(
            calls.0.load(Ordering::SeqCst),
            1,
            "no bad request was served"
        );
        // The connection survives both.
        send(with_facts(b"ok")).await?;
        assert_eq!(calls.0.load(Ordering::SeqCst), 2);
        server.abort();
        Ok(())
    }
}
