data "entra_user_licenses" "adele" {
  user_id = "adele@contoso.example" # or the object ID
}

# The SKUs Adele holds directly, whatever groups also give her.
output "direct_skus" {
  value = [for l in data.entra_user_licenses.adele.licenses : l.sku_part_number if l.direct]
}

# Per SKU, the groups it is inherited from.
output "inherited_from" {
  value = { for l in data.entra_user_licenses.adele.licenses : l.sku_part_number => l.group_ids }
}
