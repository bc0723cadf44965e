# Terraform 1.14+. Run it on demand, after the group's licence has reached its members:
#   terraform apply -invoke=action.entra_redundant_direct_license_removal.sales
action "entra_redundant_direct_license_removal" "sales" {
  config {
    group_id   = "1132b215-826f-42a9-8cfe-1643d19d17fd"
    skus       = ["SPE_E3"]
    batch_size = 10
  }
}
