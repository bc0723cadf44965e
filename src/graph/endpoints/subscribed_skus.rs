//! `GET /subscribedSkus` (permission `LicenseAssignment.Read.All`):
//! <https://learn.microsoft.com/graph/api/subscribedsku-list>. Supports only `$select`.

use tokio_util::sync::CancellationToken;

use crate::graph::client::GraphClient;
use crate::graph::error::GraphError;
use crate::graph::models::SubscribedSku;

/// The permission to name when this call is refused.
const PERMISSION: &str = "LicenseAssignment.Read.All";

impl GraphClient {
    /// Every SKU the tenant subscribes to.
    pub async fn subscribed_skus(&self, cancel: &CancellationToken) -> Result<Vec<SubscribedSku>, GraphError> {
        self.get_all(cancel, "/subscribedSkus")
            .await
            .map_err(|e| e.needing(PERMISSION))
    }
}
