# The quick start: `./quickstart.sh` runs this against the local Graph emulator.
terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

# Settings come from ARM_* / ENTRA_* environment variables (quickstart.sh points them at
# the emulator), exactly as in a pipeline.
provider "entra" {}

data "entra_group" "sales" {
  display_name = "Sales"
}

resource "entra_group_license_assignment" "sales" {
  group_id = data.entra_group.sales.id

  licenses = {
    # Office 365 E5 without Viva Engage and Sway. The tenant has 3 seats for Sales's 4
    # members: the plan warns, and the apply reports the member left without a licence.
    "ENTERPRISEPREMIUM" = {
      disabled_plans = ["YAMMER_ENTERPRISE", "SWAY"]
    }
    # Entra ID P1, every plan on, named by its SKU ID.
    "078d2b04-f1bd-4111-bbd4-b4b1b354cef4" = {}
  }
}

output "effective_licenses" {
  value = entra_group_license_assignment.sales.effective_licenses
}

output "members_with_license_errors" {
  value = entra_group_license_assignment.sales.members_with_license_errors_count
}
