variable "e5_seat_count" {
  description = "Microsoft 365 E5 seats bought; raise it after a purchase to reprocess again."
  type        = number
  default     = 10
}

resource "entra_group_license_assignment" "sales" {
  group_id = "1132b215-826f-42a9-8cfe-1643d19d17fd"
  licenses = {
    "SPE_E5" = {}
  }
}

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
