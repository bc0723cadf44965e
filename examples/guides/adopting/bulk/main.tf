# Needs Terraform 1.7 or newer (an import block with for_each).
#
# Adopts every licensed group in one apply: the import block and the resource iterate
# over the same data source, and each resource's licences are the ones the group holds.
terraform {
  required_providers {
    entra = { source = "entra/entra" }
  }
}

provider "entra" {}

data "entra_licensed_groups" "all" {
  # Narrow the adoption if you like:
  # sku                 = "SPE_E5"
  # display_name_prefix = "Sales"
}

import {
  for_each = data.entra_licensed_groups.all.groups
  to       = entra_group_license_assignment.adopted[each.key]
  id       = each.key
}

resource "entra_group_license_assignment" "adopted" {
  for_each = data.entra_licensed_groups.all.groups

  group_id = each.key
  licenses = {
    for sku, license in each.value.licenses : sku => { disabled_plans = license.disabled_plans }
  }
}
