# Import the licences assigned directly to a user, by object ID or user principal name.
# Only direct licences are imported (inherited ones belong to their groups); they are keyed
# by SKU part number and disabled plans are named by service plan name.
terraform import entra_user_license_assignment.adele adele@contoso.example

# Or, with Terraform 1.5+, an import block (add -generate-config-out=generated.tf to plan
# to have the HCL written for you):
#
# import {
#   to = entra_user_license_assignment.adele
#   id = "adele@contoso.example"
# }
