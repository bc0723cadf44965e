terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

# Settings may also come from ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_USE_OIDC…
provider "entra" {
  tenant_id = "00000000-0000-0000-0000-000000000000"
  client_id = "11111111-1111-1111-1111-111111111111"
  use_oidc  = true
}
