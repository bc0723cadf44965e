terraform {
  required_providers {
    entra = {
      source = "entra/entra"
    }
  }
}

provider "entra" {}

variable "group_id" {
  type        = string
  description = "Object ID of the security group whose members hold the SKU directly today."
}

# Terraform 1.14+. Nothing in state: run it when you choose, as often as you like:
#   terraform apply -invoke=action.entra_redundant_direct_license_removal.e3
action "entra_redundant_direct_license_removal" "e3" {
  config {
    group_id   = var.group_id
    skus       = ["ENTERPRISEPACK"]
    batch_size = 10
  }
}
