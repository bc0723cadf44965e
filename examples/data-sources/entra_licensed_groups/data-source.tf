# Every group holding Microsoft 365 E5 whose name starts with "Sales".
data "entra_licensed_groups" "sales_e5" {
  sku                 = "SPE_E5"
  display_name_prefix = "Sales"
}

output "sales_e5_groups" {
  value = { for id, group in data.entra_licensed_groups.sales_e5.groups : group.display_name => keys(group.licenses) }
}
