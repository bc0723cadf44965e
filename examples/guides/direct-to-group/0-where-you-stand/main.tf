terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

provider "entra" {}

# The users the group will license: object IDs or user principal names.
variable "users" {
  type    = set(string)
  default = ["adele@contoso.example", "alex@contoso.example", "diego@contoso.example"]
}

data "entra_user_licenses" "each" {
  for_each = var.users
  user_id  = each.value
}

locals {
  # Per user, per SKU held directly: the plans the direct licence switches off.
  direct = {
    for user, held in data.entra_user_licenses.each : user => {
      for l in held.licenses : l.sku_part_number => flatten([
        for s in l.sources : tolist(s.disabled_plans) if s.assigned_by_group == null
      ]) if l.direct
    }
  }
}

# Per user: the SKUs held directly, with the plans switched off on each.
output "direct_licenses" {
  value = local.direct
}

# Per user: the SKUs inherited, with the groups they come from.
output "inherited_from" {
  value = {
    for user, held in data.entra_user_licenses.each : user => {
      for l in held.licenses : l.sku_part_number => l.group_ids if length(l.group_ids) > 0
    }
  }
}

# Per SKU: the plans every direct holder has switched off. The group may switch off these
# and no more: a plan it switches off that a user has on directly leaves that user's
# direct licence uncovered.
output "group_may_disable" {
  value = {
    for sku in distinct(flatten([for user, skus in local.direct : keys(skus)])) :
    sku => sort(setintersection([for user, skus in local.direct : skus[sku] if contains(keys(skus), sku)]...))
  }
}

# Users who cannot keep a direct licence (Graph needs a usage location for it); group
# licensing gives them the tenant's default location.
output "without_usage_location" {
  value = sort([for user, held in data.entra_user_licenses.each : user if held.usage_location == null])
}
