# The configuration examples/try-with-emulator.sh plans and applies against the local Graph
# emulator (the Contoso test tenant). Edit it and run terraform again: see README.md, "Try
# the provider with your Terraform".
terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

# Every setting comes from the environment (try/env.sh): ENTRA_GRAPH_ENDPOINT,
# ENTRA_AUTHORITY_ENDPOINT, ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_USE_CLI.
provider "entra" {}

# Groups by name; their object IDs are in the `groups` output.
data "entra_group" "contoso" {
  for_each     = toset(["Sales", "Engineering", "Marketing", "Contractors", "Empty Pilot"])
  display_name = each.key
}

# Microsoft 365 E3 for Marketing (2 members), without Viva Engage, and Entra ID P1 in full.
resource "entra_group_license_assignment" "marketing" {
  group_id = data.entra_group.contoso["Marketing"].id

  licenses = {
    "SPE_E3" = {
      disabled_plans = ["YAMMER_ENTERPRISE"]
    }
    "AAD_PREMIUM" = {}
  }
}

output "groups" {
  value = { for name, group in data.entra_group.contoso : name => group.id }
}

output "marketing_licenses" {
  value = entra_group_license_assignment.marketing.effective_licenses
}
