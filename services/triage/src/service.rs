//! The `complaints.v1.Triage` gRPC service: routing advice for dispatch.

use crate::live::LiveRules;
use complaints_proto::v1::triage_server::Triage;
use complaints_proto::v1::{
    HandlingMode, ReloadRulesRequest, ReloadRulesResponse, SuggestRouteRequest,
    SuggestRouteResponse,
};
use mesh_kit::network::Network;
use std::sync::Arc;
use tonic::{Request, Response, Status};

#[derive(Clone)]
pub struct TriageService {
    pub rules: LiveRules,
    pub network: Arc<Network>,
}

#[tonic::async_trait]
impl Triage for TriageService {
    async fn suggest_route(
        &self,
        request: Request<SuggestRouteRequest>,
    ) -> Result<Response<SuggestRouteResponse>, Status> {
        mesh_kit::telemetry::adopt_grpc_parent(request.metadata());
        let req = request.into_inner();
        let category = req.category.trim();
        let rules = self.rules.get();
        if !rules.has_category(category) {
            return Err(Status::invalid_argument(format!(
                "category: {category:?} is not in the taxonomy"
            )));
        }
        let region = req.region.trim();
        if self.network.region(region).is_none() {
            return Err(Status::invalid_argument(format!(
                "region: {region:?} is not a region of this network"
            )));
        }
        let reply = match rules.route_excluding(category, region, &req.exclude) {
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
        match self.rules.reload() {
            Ok(rules) => Ok(Response::new(ReloadRulesResponse {
                categories: u32::try_from(rules.categories.len()).unwrap_or(u32::MAX),
                routes: u32::try_from(rules.route_count()).unwrap_or(u32::MAX),
            })),
            Err(err) => Err(Status::failed_precondition(format!(
                "rules not reloaded, the rules in force stay: {err}"
            ))),
        }
    }
}
