resource "entra_group_license_assignment" "sales" {
  group_id = "1132b215-826f-42a9-8cfe-1643d19d17fd" # changing it replaces the resource

  licenses = {
    # The key names the SKU: its part number or its SKU ID.
    "SPE_E5" = {
      # Service plans to switch off, by name or ID.
      disabled_plans = ["YAMMER_ENTERPRISE", "a413a9ff-720c-4822-98ef-2f37c2a21f4c"]
    }
    "EMSPREMIUM" = {
      # Or an allow-list: every other plan is off, including plans Microsoft adds later.
      enabled_plans = ["AAD_PREMIUM_P2", "INTUNE_A"]
    }
    "6fd2c87f-b296-42f0-b197-1e91e994b900" = {} # ENTERPRISEPACK, every plan on
  }

  exclusive           = false # true: SKUs on the group that are not listed are removed
  wait_for_processing = true  # wait for licence processing and report member errors

  timeouts {
    create = "30m"
  }
}

output "sales_member_license_errors" {
  value = entra_group_license_assignment.sales.member_license_errors
}
