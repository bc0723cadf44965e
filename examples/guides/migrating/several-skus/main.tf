# Needs Terraform 1.8 or newer (moved across resource types; removed blocks are 1.7+).
#
# Two azuread_group_license resources of one group (one per SKU) become one
# entra_group_license_assignment: one moves, the other leaves the state without being
# destroyed, and its SKU joins the entra resource. The removed block makes Terraform
# configure the azuread provider for this one run (see the guide), or use
# `terraform state rm azuread_group_license.sales_ems` instead of the removed block.
terraform {
  required_providers {
    entra   = { source = "entra/entra" }
    azuread = { source = "hashicorp/azuread", version = "~> 3.0" }
  }
}

provider "entra" {}

moved {
  from = azuread_group_license.sales_p1
  to   = entra_group_license_assignment.sales
}

removed {
  from = azuread_group_license.sales_ems

  lifecycle {
    destroy = false
  }
}

resource "entra_group_license_assignment" "sales" {
  group_id = "1132b215-826f-42a9-8cfe-1643d19d17fd"
  licenses = {
    AAD_PREMIUM = {}
    EMS         = { disabled_plans = ["INTUNE_A"] }
  }
}
