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

output "license_processing_state" {
  value = entra_group_license_assignment.e3.license_processing_state
}

output "member_license_errors" {
  value = entra_group_license_assignment.e3.member_license_errors
}
