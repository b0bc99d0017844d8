//! The `complaints.v1.Triage` gRPC service: routing advice for dispatch.

use crate::error::TriageError;
use crate::live::LiveRules;
use crate::rules::Rules;
use complaints_proto::v1::triage_server::Triage;
use complaints_proto::v1::{
    HandlingMode, ReloadRulesRequest, ReloadRulesResponse, SuggestRouteRequest,
    SuggestRouteResponse,
};
use mesh_kit::input::{self, FieldError};
use mesh_kit::network::Network;
use std::sync::Arc;
use tonic::{Request, Response, Status};

/// Largest request triage's gRPC server decodes (`max_decoding_message_size`);
/// a bigger one is refused by tonic with `OUT_OF_RANGE` before any handler
/// runs. The largest valid `SuggestRouteRequest` (every code at 40
/// characters, [`MAX_EXCLUDE`] of them) is about 21 KiB.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Most departments a `SuggestRouteRequest` may exclude: more than any
/// network has that returned one case.
pub const MAX_EXCLUDE: usize = 500;

#[derive(Clone)]
pub struct TriageService {
    pub rules: LiveRules,
    pub network: Arc<Network>,
}

/// A `SuggestRouteRequest` whose every field obeys its rule.
#[derive(Debug, PartialEq, Eq)]
struct RouteQuery {
    category: String,
    region: String,
    exclude: Vec<String>,
}

impl RouteQuery {
    fn parse(
        req: &SuggestRouteRequest,
        rules: &Rules,
        network: &Network,
    ) -> Result<Self, TriageError> {
        let category = input::required_code("category", &req.category)?;
        if !rules.has_category(&category) {
            return Err(FieldError::new(
                "category",
                format!("{category:?} is not in the taxonomy"),
            )
            .into());
        }
        let region = input::required_code("region", &req.region)?;
        if network.region(&region).is_none() {
            return Err(FieldError::new(
                "region",
                format!("{region:?} is not a region of this network"),
            )
            .into());
        }
        let exclude = input::codes("exclude", &req.exclude, MAX_EXCLUDE)?;
        Ok(Self {
            category,
            region,
            exclude,
        })
    }
}

#[tonic::async_trait]
impl Triage for TriageService {
    async fn suggest_route(
        &self,
        request: Request<SuggestRouteRequest>,
    ) -> Result<Response<SuggestRouteResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        let rules = self.rules.get();
        let query = RouteQuery::parse(request.get_ref(), &rules, &self.network)?;
        let reply = match rules.route_excluding(&query.category, &query.region, &query.exclude) {
            Some(route) => SuggestRouteResponse {
                department: route.department.clone(),
                mode: HandlingMode::from(route.mode) as i32,
                rule: format!("{} × {}", route.category, route.region),
            },
            None => SuggestRouteResponse {
                department: self.network.centre().code.clone(),
                mode: HandlingMode::Direct as i32,
                rule: "no rule left: the centre".into(),
            },
        };
        Ok(Response::new(reply))
    }

    async fn reload_rules(
        &self,
        _request: Request<ReloadRulesRequest>,
    ) -> Result<Response<ReloadRulesResponse>, Status> {
        let rules = self.rules.reload().map_err(TriageError::from)?;
        Ok(Response::new(ReloadRulesResponse {
            categories: u32::try_from(rules.categories.len()).unwrap_or(u32::MAX),
            routes: u32::try_from(rules.route_count()).unwrap_or(u32::MAX),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::tests::{network, rules};
    use prost::Message;
    use tonic::Code;

    fn query(category: &str, region: &str, exclude: &[&str]) -> SuggestRouteRequest {
        SuggestRouteRequest {
            category: category.into(),
            region: region.into(),
            exclude: exclude.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// The status a bad request gets; it must be INVALID_ARGUMENT.
    fn refused(req: SuggestRouteRequest) -> String {
        let err = RouteQuery::parse(&req, &rules(), &network()).expect_err("invalid");
        let status = Status::from(err);
        assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
        status.message().to_owned()
    }

    #[test]
    fn a_valid_query_is_trimmed() {
        let q = RouteQuery::parse(
            &query(" heating ", "east", &["east-heat"]),
            &rules(),
            &network(),
        )
        .expect("valid");
        assert_eq!(q.category, "heating");
        assert_eq!(q.exclude, ["east-heat"]);
    }

    #[test]
    fn each_field_is_checked_and_named() {
        assert_eq!(refused(query("", "east", &[])), "category: is required");
        assert!(refused(query("gas", "east", &[])).starts_with("category: \"gas\" is not in"));
        assert!(refused(query("heating", "", &[])).starts_with("region: is required"));
        assert!(refused(query("heating", "south", &[])).starts_with("region: \"south\""));
        assert!(refused(query("heating", "east", &["East Heat"])).starts_with("exclude: entry 0: "));
        let many: Vec<String> = (0..=MAX_EXCLUDE).map(|i| format!("d{i}")).collect();
        let message = refused(SuggestRouteRequest {
            exclude: many,
            ..query("heating", "east", &[])
        });
        assert_eq!(message, "exclude: has 501 entries; at most 500 are allowed");
    }

    #[test]
    fn a_huge_value_is_refused_with_a_short_message() {
        let message = refused(query(&"x".repeat(50_000), "east", &[]));
        assert!(message.starts_with("category: "), "{message}");
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn the_largest_valid_query_fits_the_message_limit() {
        let code = "c".repeat(input::MAX_CODE);
        let req = SuggestRouteRequest {
            category: code.clone(),
            region: code.clone(),
            exclude: vec![code; MAX_EXCLUDE],
        };
        assert!(
            req.encoded_len() * 2 < MAX_MESSAGE_BYTES,
            "{}",
            req.encoded_len()
        );
    }
}
