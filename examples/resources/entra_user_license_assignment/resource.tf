resource "entra_user_license_assignment" "adele" {
  # An object ID or a user principal name. The user needs a usage location.
  user_id = "adele@contoso.example"

  # Licences assigned directly to the user; licences it inherits from groups are never
  # touched nor shown as drift.
  licenses = {
    "EMS" = {}
    "SPE_E3" = {
      disabled_plans = ["YAMMER_ENTERPRISE"]
    }
  }

  exclusive = false # true: direct licences of the user that are not listed are removed
}
