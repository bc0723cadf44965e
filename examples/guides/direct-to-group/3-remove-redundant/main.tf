terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

provider "entra" {}

variable "group_id" {
  type        = string
  description = "Object ID of the security group whose members hold the SKU directly today."
}

# The SKU the members hold directly, with the plans they have enabled directly: a plan
# the group switches off is not covered, and the direct licence that enables it stays.
resource "entra_group_license_assignment" "e3" {
  group_id = var.group_id

  licenses = {
    "ENTERPRISEPACK" = {
      disabled_plans = ["YAMMER_ENTERPRISE"]
    }
  }

  # The default: the apply returns once every member is processed, and reports the
  # members the group's licence could not reach.
  wait_for_processing = true

  timeouts {
    create = "1h"
    update = "1h"
  }
}

# Removes the direct licences the group fully covers, and only those. The plan lists them
# (removals) and the others with the reason (kept); the apply re-checks each user first.
resource "entra_redundant_direct_license_removal" "e3" {
  group_id   = entra_group_license_assignment.e3.group_id
  skus       = ["ENTERPRISEPACK"]
  batch_size = 10

  # Change a value to survey and remove again, e.g. after fixing the kept ones.
  triggers = {
    round = "1"
  }
}

output "removals" {
  value = [for r in entra_redundant_direct_license_removal.e3.removals : r.user_principal_name]
}

output "kept" {
  value = {
    for k in entra_redundant_direct_license_removal.e3.kept :
    k.user_principal_name => "${k.reason_code}: ${k.reason}"
  }
}

output "results" {
  value = {
    for r in entra_redundant_direct_license_removal.e3.results :
    r.user_principal_name => r.detail == "" ? r.outcome : "${r.outcome}: ${r.detail}"
  }
}
