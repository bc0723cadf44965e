# Reprocess every member of the group that has licence errors, again whenever more
# seats are bought.
resource "entra_user_license_reprocess" "after_seat_purchase" {
  group_id = entra_group_license_assignment.sales.group_id
  triggers = {
    e5_seats = var.e5_seat_count
  }
}

# Or named users:
resource "entra_user_license_reprocess" "vip" {
  user_ids = ["047dd774-f1c4-40f2-82f0-278de79f9b83"]
}
