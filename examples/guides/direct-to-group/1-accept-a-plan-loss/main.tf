terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

provider "entra" {}

# Imported first: terraform import entra_user_license_assignment.alex alex@contoso.example
# Then the direct licence switches off what the group switches off. The plan warns "User
# Loses Service Plans" and names them: that is the loss, accepted knowingly. Once applied,
# the group covers this direct licence.
resource "entra_user_license_assignment" "alex" {
  user_id = "alex@contoso.example"

  licenses = {
    "ENTERPRISEPACK" = {
      disabled_plans = ["YAMMER_ENTERPRISE"]
    }
  }
}
