data "entra_group" "sales" {
  display_name = "Sales"
}

resource "entra_group_license_assignment" "sales" {
  group_id = data.entra_group.sales.id
  licenses = {
    "SPE_E5" = {}
  }
}
