data "entra_group_licenses" "sales" {
  group_id = "1132b215-826f-42a9-8cfe-1643d19d17fd"
}

output "sales_members_with_errors" {
  value = [for m in data.entra_group_licenses.sales.member_license_errors : m.user_principal_name]
}
