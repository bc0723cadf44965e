terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

provider "entra" {}

variable "group_id" {
  type = string
}

# The group's processing state and its members in error, read again at any time (after a
# timeout, or after fixing the causes).
data "entra_group_licenses" "e3" {
  group_id = var.group_id
}

output "license_processing_state" {
  value = data.entra_group_licenses.e3.license_processing_state
}

output "members_in_error" {
  value = [
    for e in data.entra_group_licenses.e3.member_license_errors :
    "${e.user_principal_name} (${e.sku_part_number}): ${e.error}"
  ]
}

# Once the causes are fixed (seats bought, a conflicting licence removed, a usage location
# set): reprocess the members in error. Change the trigger to run it again.
resource "entra_user_license_reprocess" "e3_errors" {
  group_id = var.group_id
  triggers = {
    round = "1"
  }
}
