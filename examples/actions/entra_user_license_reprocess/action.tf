# Terraform 1.14+. Run it on demand:
#   terraform apply -invoke=action.entra_user_license_reprocess.sales
action "entra_user_license_reprocess" "sales" {
  config {
    group_id = entra_group_license_assignment.sales.group_id
  }
}

# Or after every change of the group's licences:
resource "entra_group_license_assignment" "sales" {
  group_id = "1132b215-826f-42a9-8cfe-1643d19d17fd"
  licenses = {
    "SPE_E5" = {}
  }

  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.entra_user_license_reprocess.sales]
    }
  }
}
