terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

provider "entra" {}

# A user who keeps a direct licence (not in the group, or needing a plan the group
# switches off), under Terraform from now on. Import it first, by user principal name:
#   terraform import entra_user_license_assignment.lee lee@contoso.example
# Only direct licences are read and managed; what the user inherits from groups is never
# drift and never removed.
resource "entra_user_license_assignment" "lee" {
  user_id = "lee@contoso.example"

  licenses = {
    "ENTERPRISEPACK" = {}
  }
}
