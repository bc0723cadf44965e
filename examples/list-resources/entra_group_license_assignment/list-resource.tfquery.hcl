# In a query file (*.tfquery.hcl), run with `terraform query` (Terraform 1.14+).
# The groups holding Microsoft 365 E5 whose display name starts with "Sales".
list "entra_group_license_assignment" "sales_e5" {
  provider = entra

  config {
    sku                 = "SPE_E5"
    display_name_prefix = "Sales"
  }
}

# Every licensed group whose members have licence errors, with the assignment itself.
list "entra_group_license_assignment" "in_error" {
  provider         = entra
  include_resource = true

  config {
    with_member_license_errors = true
  }
}
