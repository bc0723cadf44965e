# Writes one import block per licensed group, for `terraform plan -generate-config-out`:
#
#   terraform apply                                  # reads the data source only
#   terraform output -raw import_blocks > ../imports.tf
#
# Works on every Terraform release the provider supports; the generated configuration
# needs Terraform 1.5 or newer.
terraform {
  required_providers {
    entra = { source = "entra/entra" }
  }
}

provider "entra" {}

data "entra_licensed_groups" "all" {}

locals {
  # A readable, unique resource name per group: its display name in snake case, then the
  # first 8 characters of its object ID.
  names = {
    for id, group in data.entra_licensed_groups.all.groups :
    id => "${trim(replace(lower(group.display_name), "/[^a-z0-9]+/", "_"), "_")}_${substr(id, 0, 8)}"
  }
}

output "import_blocks" {
  value = join("", [
    for id, name in local.names :
    "import {\n  to = entra_group_license_assignment.${can(regex("^[a-z]", name)) ? name : "group_${name}"}\n  id = \"${id}\"\n}\n"
  ])
}
