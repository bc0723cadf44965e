# Import the licences already assigned to a group, by the group's object ID. Licences are
# keyed by SKU part number and disabled plans named by service plan name.
terraform import entra_group_license_assignment.sales 1132b215-826f-42a9-8cfe-1643d19d17fd

# Or, with Terraform 1.5+, an import block (add -generate-config-out=generated.tf to plan
# to have the HCL written for you):
#
# import {
#   to = entra_group_license_assignment.sales
#   id = "1132b215-826f-42a9-8cfe-1643d19d17fd"
# }
