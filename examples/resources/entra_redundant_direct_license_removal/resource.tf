# Step 1 of a move from direct to group-based licensing: the group gets the SKU its members
# hold directly today, with the plans they use.
resource "entra_group_license_assignment" "sales" {
  group_id = "1132b215-826f-42a9-8cfe-1643d19d17fd"
  licenses = {
    "SPE_E3" = { disabled_plans = ["YAMMER_ENTERPRISE"] }
  }
}

# Step 2, once processing is complete: remove only the direct licences the group fully
# covers. `terraform plan` lists them (removals) and the ones left alone with the reason
# (kept); the apply re-checks each user just before removing.
resource "entra_redundant_direct_license_removal" "sales" {
  group_id   = entra_group_license_assignment.sales.group_id
  skus       = ["SPE_E3"]
  batch_size = 10

  # Change a value to survey and remove again, e.g. after fixing the kept ones.
  triggers = {
    round = "1"
  }
}

output "left_in_place" {
  value = entra_redundant_direct_license_removal.sales.kept
}
