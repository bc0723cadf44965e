data "entra_subscribed_skus" "e5" {
  sku_part_number = "SPE_E5"
}

output "e5_free_seats" {
  value = data.entra_subscribed_skus.e5.skus[0].units.available
}
