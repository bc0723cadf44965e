# Needs Terraform 1.8 or newer (moved across resource types).
#
# One azuread_group_license becomes one entra_group_license_assignment. The azuread
# provider stays installed for this step (Terraform reads its schema to move the state)
# but is never configured: no Azure credentials are needed.
terraform {
  required_providers {
    entra   = { source = "entra/entra" }
    azuread = { source = "hashicorp/azuread", version = "~> 3.0" }
  }
}

provider "entra" {}

moved {
  from = azuread_group_license.engineering_e3
  to   = entra_group_license_assignment.engineering
}

resource "entra_group_license_assignment" "engineering" {
  group_id = "2c9d8e71-4a3b-4c5d-9e8f-000000000002"
  licenses = {
    ENTERPRISEPACK = { disabled_plans = ["YAMMER_ENTERPRISE"] }
  }
}
