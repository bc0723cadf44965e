//! Bad input, end to end: every bad value a practitioner can write (or export) gets one
//! clear diagnostic, on the attribute at fault, before anything is written to the tenant.
//!
//! The table below is the catalogue of bad configurations: the resources, the data sources,
//! the provider block, and provider settings that come from environment variables. Each
//! case names the one error summary Terraform must show, and the source line Terraform must
//! print under it: the offending attribute's line proves the diagnostic is placed on that
//! attribute, not on the resource. A value from the environment has no line in `main.tf`;
//! such a case is unplaced and its diagnostic must name the variable instead. Cases that are
//! static checks run `terraform validate` (no provider configuration, no Graph call); the
//! others run `terraform plan`. One emulator serves every case, and after the last one its
//! request log must hold no Graph write at all.

use std::path::Path;

use crate::support::{BackgroundEmulator, Workspace, terraform_or_skip};

const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
const EMPTY_PILOT: &str = "6031c2b5-8e7f-4091-bc23-000000000006";
/// A distribution group (not security-enabled): it cannot hold licences.
const ANNOUNCEMENTS: &str = "4e1fa093-6c5d-4e7f-9a01-000000000004";
const ADELE: &str = "a1b2c3d4-0001-4000-8000-000000000001";
/// Assigns ENTERPRISEPACK (and nothing else) in the Contoso tenant.
const ENGINEERING: &str = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
/// A well-formed object ID that no group in the tenant has.
const NO_SUCH_GROUP: &str = "00000000-0000-4000-8000-0000000000aa";
/// The only secrets any case uses: neither may ever be printed.
const SECRETS: [&str; 2] = ["ci-secret-value", "not-the-secret"];

const TERRAFORM_BLOCK: &str = r#"terraform {
  required_providers {
    entra = { source = "entra/entra" }
  }
}
"#;

/// Settings that would otherwise give the provider a credential: cleared (an empty value
/// counts as unset) for the cases about other credentials.
const NO_CREDENTIALS: &[(&str, &str)] = &[
    ("ARM_CLIENT_SECRET", ""),
    ("ARM_CLIENT_CERTIFICATE", ""),
    ("ARM_CLIENT_CERTIFICATE_PATH", ""),
    ("ARM_USE_OIDC", ""),
    ("ARM_OIDC_TOKEN", ""),
    ("ARM_OIDC_TOKEN_FILE_PATH", ""),
    ("AZURE_FEDERATED_TOKEN_FILE", ""),
    ("ARM_OIDC_REQUEST_URL", ""),
    ("ARM_OIDC_REQUEST_TOKEN", ""),
    ("ACTIONS_ID_TOKEN_REQUEST_URL", ""),
    ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", ""),
    ("ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID", ""),
    ("ARM_OIDC_AZURE_SERVICE_CONNECTION_ID", ""),
    ("SYSTEM_OIDCREQUESTURI", ""),
    ("SYSTEM_ACCESSTOKEN", ""),
    ("ARM_USE_MSI", ""),
    ("ARM_MSI_ENDPOINT", ""),
];

/// Where Terraform fails on the case.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    /// `terraform validate`: static checks, before the provider is configured.
    Validate,
    /// `terraform plan`: provider configuration, the tenant's catalogue, data sources.
    Plan,
}

/// Where the diagnostic must point.
#[derive(Clone, Debug)]
enum Place {
    /// The source line Terraform shows under the diagnostic (compared trimmed).
    Line(String),
    /// The bad value comes from this environment variable: nothing in `main.tf` is at
    /// fault, so the diagnostic names the variable and points at no attribute.
    Unplaced(&'static str),
}

struct Case {
    name: &'static str,
    stage: Stage,
    /// `main.tf` after the `terraform` block.
    hcl: String,
    /// Environment for this case, over the emulator's settings (`""` unsets).
    env: &'static [(&'static str, &'static str)],
    /// The one error summary, exactly.
    summary: &'static str,
    place: Place,
    /// Further text the diagnostic must contain.
    mentions: Vec<&'static str>,
}

fn case(name: &'static str, stage: Stage, summary: &'static str, hcl: String, place: Place) -> Case {
    Case {
        name,
        stage,
        hcl,
        env: &[],
        summary,
        place,
        mentions: Vec::new(),
    }
}

impl Case {
    fn env(mut self, env: &'static [(&'static str, &'static str)]) -> Self {
        self.env = env;
        self
    }

    fn mentions(mut self, texts: &[&'static str]) -> Self {
        self.mentions.extend_from_slice(texts);
        self
    }
}

fn at(line: &str) -> Place {
    Place::Line(line.to_owned())
}

fn block(kind: &str, type_name: &str, lines: &[&str]) -> String {
    let body: String = lines.iter().map(|l| format!("  {l}\n")).collect();
    format!("provider \"entra\" {{}}\n\n{kind} \"{type_name}\" \"bad\" {{\n{body}}}\n")
}

/// `entra_group_license_assignment.bad` with these lines.
fn assignment(lines: &[&str]) -> String {
    block("resource", "entra_group_license_assignment", lines)
}

/// `entra_group_license_assignment.bad` on Sales with these licences, one a line.
fn licenses(entries: &[&str]) -> String {
    let group = format!("group_id = \"{SALES}\"");
    let mut lines = vec![group.as_str(), "licenses = {"];
    let entries: Vec<String> = entries.iter().map(|e| format!("  {e}")).collect();
    lines.extend(entries.iter().map(String::as_str));
    lines.push("}");
    assignment(&lines)
}

/// Sales with SPE_E5 and a `timeouts` block holding `line`.
fn timeouts(line: &str) -> String {
    let group = format!("group_id = \"{SALES}\"");
    let line = format!("  {line}");
    assignment(&[&group, "licenses = { \"SPE_E5\" = {} }", "timeouts {", &line, "}"])
}

fn reprocess(lines: &[&str]) -> String {
    block("resource", "entra_user_license_reprocess", lines)
}

/// `entra_user_license_assignment.bad` with these lines.
fn user_assignment(lines: &[&str]) -> String {
    block("resource", "entra_user_license_assignment", lines)
}

/// `entra_user_license_assignment.bad` for Adele with these licences, one a line.
fn user_licenses(entries: &[&str]) -> String {
    let mut lines = vec!["user_id = \"adele@contoso.example\"", "licenses = {"];
    let entries: Vec<String> = entries.iter().map(|e| format!("  {e}")).collect();
    lines.extend(entries.iter().map(String::as_str));
    lines.push("}");
    user_assignment(&lines)
}

/// `entra_redundant_direct_license_removal.bad` with these lines.
fn removal(lines: &[&str]) -> String {
    block("resource", "entra_redundant_direct_license_removal", lines)
}

fn data(type_name: &str, lines: &[&str]) -> String {
    block("data", type_name, lines)
}

/// A provider block with these lines, and a data source that makes Terraform configure it.
fn provider(lines: &[&str]) -> String {
    let body: String = lines.iter().map(|l| format!("  {l}\n")).collect();
    format!("provider \"entra\" {{\n{body}}}\n\ndata \"entra_subscribed_skus\" \"all\" {{}}\n")
}

/// An empty provider block (every setting from the environment) and a data source.
fn from_environment() -> String {
    "provider \"entra\" {}\n\ndata \"entra_subscribed_skus\" \"all\" {}\n".to_owned()
}

fn certificate_fixture() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/contoso-app-certificate.p12")
        .display()
        .to_string()
}

/// The table: one case a line or three, as a table reads (rustfmt would give every
/// argument its own line).
#[rustfmt::skip]
fn cases() -> Vec<Case> {
    use Stage::{Plan, Validate};
    let user_ids = |id: &str| format!("user_ids = [\"{id}\"]");
    let certificate_path = format!("client_certificate_path = \"{}\"", certificate_fixture());
    vec![
        // --- entra_group_license_assignment: group_id -------------------------------------
        case("group_id not a GUID", Validate, "Invalid Group ID",
            assignment(&["group_id = \"not-a-guid\"", "licenses = { \"SPE_E5\" = {} }"]),
            at("group_id = \"not-a-guid\"")),
        case("group_id empty", Validate, "Invalid Group ID",
            assignment(&["group_id = \"\"", "licenses = { \"SPE_E5\" = {} }"]),
            at("group_id = \"\"")),
        case("group_id a display name", Validate, "Invalid Group ID",
            assignment(&["group_id = \"Sales\"", "licenses = { \"SPE_E5\" = {} }"]),
            at("group_id = \"Sales\"")).mentions(&["entra_group"]),
        case("group_id in braces", Validate, "Invalid Group ID",
            assignment(&["group_id = \"{1132b215-826f-42a9-8cfe-1643d19d17fd}\"", "licenses = { \"SPE_E5\" = {} }"]),
            at("group_id = \"{1132b215-826f-42a9-8cfe-1643d19d17fd}\"")),
        case("group does not exist", Plan, "Group Not Found",
            assignment(&[&format!("group_id = \"{NO_SUCH_GROUP}\""), "licenses = { \"AAD_PREMIUM\" = {} }"]),
            at(&format!("group_id = \"{NO_SUCH_GROUP}\""))).mentions(&[NO_SUCH_GROUP]),
        case("group_id missing", Validate, "Missing required argument",
            assignment(&["licenses = { \"SPE_E5\" = {} }"]),
            at("resource \"entra_group_license_assignment\" \"bad\" {")),
        case("distribution group", Plan, "Group Cannot Hold Licenses",
            assignment(&[&format!("group_id = \"{ANNOUNCEMENTS}\""), "licenses = { \"AAD_PREMIUM\" = {} }"]),
            at(&format!("group_id = \"{ANNOUNCEMENTS}\""))).mentions(&["security group"]),
        // --- licenses: SKU keys ---------------------------------------------------------
        case("SKU GUID key malformed", Validate, "Malformed SKU ID",
            licenses(&["\"6fd2c87f-b296-42f0-b197-1e91e994b90z\" = {}"]),
            at("\"6fd2c87f-b296-42f0-b197-1e91e994b90z\" = {}")),
        case("SKU GUID key too short", Validate, "Malformed SKU ID",
            licenses(&["\"6fd2c87f-b296-42f0-b197-1e91e994b90\" = {}"]),
            at("\"6fd2c87f-b296-42f0-b197-1e91e994b90\" = {}")),
        case("SKU name unknown", Plan, "Unknown License SKU",
            licenses(&["\"SPE_E6\" = {}"]),
            at("\"SPE_E6\" = {}")).mentions(&["Closest part numbers:", "SPE_E5"]),
        case("SKU name misspelt", Plan, "Unknown License SKU",
            licenses(&["\"ENTERPRISEPAK\" = {}"]),
            at("\"ENTERPRISEPAK\" = {}")).mentions(&["Closest part numbers: ENTERPRISEPACK"]),
        case("SKU GUID of another tenant", Plan, "Unknown License SKU",
            licenses(&["\"f8a1db68-be16-40ed-86d5-cb42ce701560\" = {}"]),
            at("\"f8a1db68-be16-40ed-86d5-cb42ce701560\" = {}")).mentions(&["entra_subscribed_skus"]),
        case("SKU twice, by GUID and by name", Plan, "Duplicate License SKU",
            licenses(&["\"06ebc4ee-1bb5-47dd-8120-11324bc54e06\" = {}", "\"SPE_E5\" = {}"]),
            at("\"SPE_E5\" = {}")).mentions(&["06ebc4ee-1bb5-47dd-8120-11324bc54e06"]),
        case("SKU twice, by name in two cases", Plan, "Duplicate License SKU",
            licenses(&["\"SPE_E5\" = {}", "\"spe_e5\" = {}"]),
            at("\"spe_e5\" = {}")),
        case("SKU twice, by GUID in two cases", Plan, "Duplicate License SKU",
            licenses(&["\"06EBC4EE-1BB5-47DD-8120-11324BC54E06\" = {}", "\"06ebc4ee-1bb5-47dd-8120-11324bc54e06\" = {}"]),
            at("\"06ebc4ee-1bb5-47dd-8120-11324bc54e06\" = {}")),
        case("Company SKU", Plan, "License SKU Cannot Be Assigned",
            licenses(&["\"MCOPSTNC\" = {}"]),
            at("\"MCOPSTNC\" = {}")).mentions(&["MCOPSTNC"]),
        case("suspended SKU", Plan, "License SKU Not Active",
            licenses(&["\"CRMSTANDARD\" = {}"]),
            at("\"CRMSTANDARD\" = {}")).mentions(&["Suspended"]),
        case("licenses empty", Validate, "No Licenses",
            assignment(&[&format!("group_id = \"{SALES}\""), "licenses = {}"]),
            at("licenses = {}")),
        case("licence null", Validate, "Invalid Configuration Value",
            licenses(&["\"SPE_E5\" = null"]),
            at("\"SPE_E5\" = null")),
        // --- licenses: plan lists -------------------------------------------------------
        case("disabled_plans and enabled_plans", Validate, "Conflicting Plan Lists",
            licenses(&["\"SPE_E5\" = { disabled_plans = [\"TEAMS1\"], enabled_plans = [\"SWAY\"] }"]),
            at("\"SPE_E5\" = { disabled_plans = [\"TEAMS1\"], enabled_plans = [\"SWAY\"] }")),
        case("disabled plan of another SKU", Plan, "Service Plan Not In SKU",
            licenses(&["\"SPE_E5\" = { disabled_plans = [\"EXCHANGE_S_STANDARD\"] }"]),
            at("\"SPE_E5\" = { disabled_plans = [\"EXCHANGE_S_STANDARD\"] }"))
            .mentions(&["Closest:", "EXCHANGE_S_ENTERPRISE", "disabled_plans"]),
        case("disabled plan misspelt", Plan, "Service Plan Not In SKU",
            licenses(&["\"SPE_E5\" = { disabled_plans = [\"TEAMS2\"] }"]),
            at("\"SPE_E5\" = { disabled_plans = [\"TEAMS2\"] }")).mentions(&["Closest: TEAMS1"]),
        case("enabled plan misspelt", Plan, "Service Plan Not In SKU",
            licenses(&["\"EMSPREMIUM\" = { enabled_plans = [\"INTUNE_B\"] }"]),
            at("\"EMSPREMIUM\" = { enabled_plans = [\"INTUNE_B\"] }"))
            .mentions(&["Closest: INTUNE_A", "enabled_plans"]),
        case("plan of a bigger SKU", Plan, "Service Plan Not In SKU",
            licenses(&["\"AAD_PREMIUM\" = { disabled_plans = [\"INTUNE_A\"] }"]),
            at("\"AAD_PREMIUM\" = { disabled_plans = [\"INTUNE_A\"] }")).mentions(&["MFA_PREMIUM"]),
        case("plan GUID not in the SKU", Plan, "Service Plan Not In SKU",
            licenses(&["\"AAD_PREMIUM\" = { disabled_plans = [\"c1ec4a95-1f05-45b3-a911-aa3fa01094f5\"] }"]),
            at("\"AAD_PREMIUM\" = { disabled_plans = [\"c1ec4a95-1f05-45b3-a911-aa3fa01094f5\"] }")),
        case("disabled plan empty string", Validate, "Empty Service Plan Name",
            licenses(&["\"SPE_E5\" = { disabled_plans = [\"\"] }"]),
            at("\"SPE_E5\" = { disabled_plans = [\"\"] }")),
        case("enabled plan blank", Validate, "Empty Service Plan Name",
            licenses(&["\"SPE_E5\" = { enabled_plans = [\"  \"] }"]),
            at("\"SPE_E5\" = { enabled_plans = [\"  \"] }")),
        case("disabled plan GUID malformed", Validate, "Malformed Service Plan ID",
            licenses(&["\"SPE_E5\" = { disabled_plans = [\"57ff2da0-773e-42df-b2af-ffb7a2317zzz\"] }"]),
            at("\"SPE_E5\" = { disabled_plans = [\"57ff2da0-773e-42df-b2af-ffb7a2317zzz\"] }")),
        case("enabled plan GUID too short", Validate, "Malformed Service Plan ID",
            licenses(&["\"SPE_E5\" = { enabled_plans = [\"57ff2da0-773e-42df-b2af-ffb7a23179\"] }"]),
            at("\"SPE_E5\" = { enabled_plans = [\"57ff2da0-773e-42df-b2af-ffb7a23179\"] }")),
        case("null in disabled_plans", Validate, "Invalid Configuration Value",
            licenses(&["\"SPE_E5\" = { disabled_plans = [null] }"]),
            at("\"SPE_E5\" = { disabled_plans = [null] }")).mentions(&["a null element is not allowed"]),
        case("null in enabled_plans", Validate, "Invalid Configuration Value",
            licenses(&["\"SPE_E5\" = { enabled_plans = [\"TEAMS1\", null] }"]),
            at("\"SPE_E5\" = { enabled_plans = [\"TEAMS1\", null] }")).mentions(&["a null element is not allowed"]),
        // Terraform's own type check shows the whole map, and names the element in the detail.
        case("plan list written as a string", Validate, "Incorrect attribute value type",
            licenses(&["\"SPE_E5\" = { disabled_plans = \"TEAMS1\" }"]),
            at("licenses = {")).mentions(&["element \"SPE_E5\": attribute \"disabled_plans\""]),
        // --- other attributes -----------------------------------------------------------
        case("timeout a word", Validate, "Invalid Timeout", timeouts("create = \"soon\""), at("create = \"soon\"")),
        case("timeout without unit", Validate, "Invalid Timeout", timeouts("update = \"10\""), at("update = \"10\"")),
        case("timeout negative", Validate, "Invalid Timeout", timeouts("delete = \"-5m\""), at("delete = \"-5m\"")),
        case("timeout unknown unit", Validate, "Invalid Timeout", timeouts("create = \"1x\""), at("create = \"1x\"")),
        case("timeout zero", Validate, "Invalid Timeout", timeouts("create = \"0s\""), at("create = \"0s\"")),
        case("exclusive not a bool", Validate, "Incorrect attribute value type",
            assignment(&[&format!("group_id = \"{SALES}\""), "licenses = { \"SPE_E5\" = {} }", "exclusive = \"maybe\""]),
            at("exclusive = \"maybe\"")),
        case("wait_for_processing not a bool", Validate, "Incorrect attribute value type",
            assignment(&[&format!("group_id = \"{SALES}\""), "licenses = { \"SPE_E5\" = {} }", "wait_for_processing = \"sometimes\""]),
            at("wait_for_processing = \"sometimes\"")),
        case("plan list outside licenses", Validate, "Unsupported argument",
            assignment(&[&format!("group_id = \"{SALES}\""), "licenses = { \"SPE_E5\" = {} }", "disabled_plans = [\"TEAMS1\"]"]),
            at("disabled_plans = [\"TEAMS1\"]")),
        // --- entra_user_license_reprocess -----------------------------------------------
        case("reprocess without users or group", Validate, "Missing Users",
            reprocess(&["triggers = { run = \"1\" }"]),
            at("resource \"entra_user_license_reprocess\" \"bad\" {")),
        case("reprocess users and group", Validate, "Conflicting Targets",
            reprocess(&[&user_ids(ADELE), &format!("group_id = \"{SALES}\"")]),
            at(&format!("group_id = \"{SALES}\""))),
        case("reprocess user_ids empty", Validate, "No Users", reprocess(&["user_ids = []"]), at("user_ids = []")),
        case("reprocess null user", Validate, "Invalid Configuration Value",
            reprocess(&["user_ids = [null]"]), at("user_ids = [null]")).mentions(&["a null element is not allowed"]),
        case("reprocess user a bare name", Validate, "Invalid User ID",
            reprocess(&[&user_ids("adele")]), at("user_ids = [\"adele\"]")).mentions(&["\"adele\""]),
        case("reprocess user without domain", Validate, "Invalid User ID",
            reprocess(&[&user_ids("adele@")]), at("user_ids = [\"adele@\"]")),
        case("reprocess user with two @", Validate, "Invalid User ID",
            reprocess(&[&user_ids("a@b@c.d")]), at("user_ids = [\"a@b@c.d\"]")),
        case("reprocess user with a space", Validate, "Invalid User ID",
            reprocess(&[&user_ids("ad ele@x.com")]), at("user_ids = [\"ad ele@x.com\"]")),
        case("reprocess user without name", Validate, "Invalid User ID",
            reprocess(&[&user_ids("@contoso.example")]), at("user_ids = [\"@contoso.example\"]")),
        case("reprocess user domain without dot", Validate, "Invalid User ID",
            reprocess(&[&user_ids("adele@contoso")]), at("user_ids = [\"adele@contoso\"]")),
        case("reprocess user empty string", Validate, "Invalid User ID",
            reprocess(&[&user_ids("")]), at("user_ids = [\"\"]")),
        case("reprocess one bad user among good", Validate, "Invalid User ID",
            reprocess(&[&format!("user_ids = [\"{ADELE}\", \"adele\"]")]),
            at(&format!("user_ids = [\"{ADELE}\", \"adele\"]"))).mentions(&["\"adele\""]),
        case("reprocess user_ids a string", Validate, "Incorrect attribute value type",
            reprocess(&["user_ids = \"adele@contoso.example\""]), at("user_ids = \"adele@contoso.example\"")),
        case("reprocess trigger null", Validate, "Invalid Configuration Value",
            reprocess(&[&user_ids(ADELE), "triggers = {", "  seats = null", "}"]), at("seats = null")),
        case("reprocess group_id not a GUID", Validate, "Invalid Group ID",
            reprocess(&["group_id = \"Sales\""]), at("group_id = \"Sales\"")),
        // --- entra_user_license_assignment ----------------------------------------------
        case("user user_id a bare name", Validate, "Invalid User ID",
            user_assignment(&["user_id = \"adele\"", "licenses = { \"EMS\" = {} }"]),
            at("user_id = \"adele\"")).mentions(&["\"adele\""]),
        case("user without usage location", Plan, "User Has No Usage Location",
            user_assignment(&["user_id = \"isaiah@contoso.example\"", "licenses = { \"EMS\" = {} }"]),
            at("user_id = \"isaiah@contoso.example\"")).mentions(&["isaiah@contoso.example", "usageLocation"]),
        case("user SKU unknown", Plan, "Unknown License SKU",
            user_licenses(&["\"SPE_E6\" = {}"]),
            at("\"SPE_E6\" = {}")).mentions(&["Closest part numbers:", "SPE_E5"]),
        case("user plan not in SKU", Plan, "Service Plan Not In SKU",
            user_licenses(&["\"SPE_E3\" = { disabled_plans = [\"EXCHANGE_S_STANDARD\"] }"]),
            at("\"SPE_E3\" = { disabled_plans = [\"EXCHANGE_S_STANDARD\"] }"))
            .mentions(&["EXCHANGE_S_ENTERPRISE", "disabled_plans"]),
        case("user both plan lists", Validate, "Conflicting Plan Lists",
            user_licenses(&["\"SPE_E3\" = { disabled_plans = [\"TEAMS1\"], enabled_plans = [\"SWAY\"] }"]),
            at("\"SPE_E3\" = { disabled_plans = [\"TEAMS1\"], enabled_plans = [\"SWAY\"] }")),
        case("user licenses empty", Validate, "No Licenses",
            user_assignment(&["user_id = \"adele@contoso.example\"", "licenses = {}"]),
            at("licenses = {}")).mentions(&["user"]),
        case("user does not exist", Plan, "User Not Found",
            user_assignment(&["user_id = \"nobody@contoso.example\"", "licenses = { \"EMS\" = {} }"]),
            at("user_id = \"nobody@contoso.example\"")).mentions(&["nobody@contoso.example"]),
        case("user Company SKU", Plan, "License SKU Cannot Be Assigned",
            user_licenses(&["\"MCOPSTNC\" = {}"]),
            at("\"MCOPSTNC\" = {}")).mentions(&["MCOPSTNC"]),
        // --- entra_redundant_direct_license_removal -------------------------------------
        case("removal group_id not a GUID", Validate, "Invalid Group ID",
            removal(&["group_id = \"Engineering\""]), at("group_id = \"Engineering\"")).mentions(&["entra_group"]),
        case("removal skus empty", Validate, "No SKUs",
            removal(&[&format!("group_id = \"{ENGINEERING}\""), "skus = []"]), at("skus = []")),
        case("removal batch_size 0", Validate, "Batch Size Out Of Range",
            removal(&[&format!("group_id = \"{ENGINEERING}\""), "batch_size = 0"]), at("batch_size = 0"))
            .mentions(&["1 to 100"]),
        case("removal batch_size 101", Validate, "Batch Size Out Of Range",
            removal(&[&format!("group_id = \"{ENGINEERING}\""), "batch_size = 101"]), at("batch_size = 101"))
            .mentions(&["1 to 100"]),
        case("removal SKU the group does not assign", Plan, "SKU Not Assigned By The Group",
            removal(&[&format!("group_id = \"{ENGINEERING}\""), "skus = [\"SPE_E5\"]"]), at("skus = [\"SPE_E5\"]"))
            .mentions(&["SPE_E5", "entra_group_license_assignment"]),
        case("removal SKU unknown", Plan, "Unknown License SKU",
            removal(&[&format!("group_id = \"{ENGINEERING}\""), "skus = [\"SPE_E7\"]"]), at("skus = [\"SPE_E7\"]"))
            .mentions(&["SPE_E7", "entra_subscribed_skus"]),
        case("removal group does not exist", Plan, "Group Not Found",
            removal(&[&format!("group_id = \"{NO_SUCH_GROUP}\""), "skus = [\"ENTERPRISEPACK\"]"]),
            at(&format!("group_id = \"{NO_SUCH_GROUP}\""))).mentions(&[NO_SUCH_GROUP]),
        // --- data sources ---------------------------------------------------------------
        case("subscribed SKUs unknown part number", Plan, "Unknown License SKU",
            data("entra_subscribed_skus", &["sku_part_number = \"SPE_E7\""]),
            at("sku_part_number = \"SPE_E7\"")).mentions(&["SPE_E5"]),
        case("subscribed SKUs empty part number", Plan, "Unknown License SKU",
            data("entra_subscribed_skus", &["sku_part_number = \"\""]), at("sku_part_number = \"\"")),
        case("group by a name no group has", Plan, "Group Not Found",
            data("entra_group", &["display_name = \"Nobody\""]), at("display_name = \"Nobody\"")),
        case("group licences of a missing group", Plan, "Group Not Found",
            data("entra_group_licenses", &[&format!("group_id = \"{NO_SUCH_GROUP}\"")]),
            at(&format!("group_id = \"{NO_SUCH_GROUP}\""))),
        case("group licences of a non-GUID", Plan, "Invalid Group ID",
            data("entra_group_licenses", &["group_id = \"Sales\""]), at("group_id = \"Sales\"")),
        // --- the provider block ---------------------------------------------------------
        case("tenant_id not a GUID", Validate, "Invalid Tenant ID",
            provider(&["tenant_id = \"contoso\""]), at("tenant_id = \"contoso\"")).mentions(&["ARM_TENANT_ID"]),
        case("client_id not a GUID", Validate, "Invalid Client ID",
            provider(&["client_id = \"terraform-ci\""]), at("client_id = \"terraform-ci\"")),
        case("environment unknown", Validate, "Unknown Environment",
            provider(&["environment = \"mars\""]), at("environment = \"mars\"")),
        case("graph_endpoint plain http", Validate, "Invalid Endpoint",
            provider(&["graph_endpoint = \"http://graph.example.com\""]),
            at("graph_endpoint = \"http://graph.example.com\"")).mentions(&["loopback"]),
        case("graph_endpoint not a URL", Validate, "Invalid Endpoint",
            provider(&["graph_endpoint = \"graph.microsoft.com\""]), at("graph_endpoint = \"graph.microsoft.com\"")),
        case("authority_endpoint ftp", Validate, "Invalid Endpoint",
            provider(&["authority_endpoint = \"ftp://x\""]), at("authority_endpoint = \"ftp://x\"")),
        case("msi_endpoint plain http", Validate, "Invalid Endpoint",
            provider(&["use_msi = true", "msi_endpoint = \"http://10.0.0.5/token\""]),
            at("msi_endpoint = \"http://10.0.0.5/token\"")),
        case("client certificate twice", Validate, "Conflicting Client Certificate Settings",
            provider(&["client_certificate = \"MIIC\"", "client_certificate_path = \"contoso.p12\""]),
            at("client_certificate_path = \"contoso.p12\"")),
        case("client_certificate_path missing", Plan, "Unreadable Client Certificate",
            provider(&["client_certificate_path = \"/nonexistent/contoso.p12\""]),
            at("client_certificate_path = \"/nonexistent/contoso.p12\"")),
        case("client certificate password wrong", Plan, "Invalid Client Certificate",
            provider(&[&certificate_path, "client_certificate_password = \"wrong\""]),
            at(&certificate_path)),
        case("client_certificate not a certificate", Plan, "Invalid Client Certificate",
            provider(&["client_certificate = \"not a certificate\""]), at("client_certificate = \"not a certificate\"")),
        case("oidc_token_file_path missing", Plan, "Unreadable OIDC Token File",
            provider(&["use_oidc = true", "oidc_token_file_path = \"/nonexistent/oidc-token\""]),
            at("oidc_token_file_path = \"/nonexistent/oidc-token\"")).env(NO_CREDENTIALS),
        case("use_oidc without a token", Plan, "Missing OIDC Token Source",
            provider(&["use_oidc = true"]), at("use_oidc = true")).env(NO_CREDENTIALS),
        case("Azure DevOps OIDC incomplete", Plan, "Incomplete Azure DevOps OIDC Settings",
            provider(&["use_oidc = true", "ado_pipeline_service_connection_id = \"sc-1\""]),
            at("ado_pipeline_service_connection_id = \"sc-1\"")).env(NO_CREDENTIALS),
        case("no credential at all", Plan, "No Authentication Configured",
            provider(&["use_cli = false"]), at("provider \"entra\" {")).env(NO_CREDENTIALS),
        case("client_secret wrong", Plan, "Authentication Failed",
            format!(
                "variable \"client_secret\" {{\n  type      = string\n  sensitive = true\n}}\n\n{}",
                provider(&["client_secret = var.client_secret"])
            ),
            at("client_secret = var.client_secret"))
            .env(&[("TF_VAR_client_secret", "not-the-secret")])
            .mentions(&["AADSTS7000215"]),
        case("use_msi not a bool", Validate, "Incorrect attribute value type",
            provider(&["use_msi = \"perhaps\""]), at("use_msi = \"perhaps\"")),
        case("azurerm-only argument", Validate, "Unsupported argument",
            provider(&["subscription_id = \"00000000-0000-0000-0000-000000000000\""]),
            at("subscription_id = \"00000000-0000-0000-0000-000000000000\"")),
        // --- provider settings from the environment -------------------------------------
        case("ARM_TENANT_ID not a GUID", Plan, "Invalid Tenant ID", from_environment(), Place::Unplaced("ARM_TENANT_ID"))
            .env(&[("ARM_TENANT_ID", "contoso")]),
        case("ARM_CLIENT_ID not a GUID", Plan, "Invalid Client ID", from_environment(), Place::Unplaced("ARM_CLIENT_ID"))
            .env(&[("ARM_CLIENT_ID", "terraform-ci")]),
        case("ARM_ENVIRONMENT unknown", Plan, "Unknown Environment", from_environment(), Place::Unplaced("ARM_ENVIRONMENT"))
            .env(&[("ARM_ENVIRONMENT", "mars")]),
        case("ENTRA_GRAPH_ENDPOINT plain http", Plan, "Invalid Endpoint", from_environment(),
            Place::Unplaced("ENTRA_GRAPH_ENDPOINT")).env(&[("ENTRA_GRAPH_ENDPOINT", "http://graph.example.com")]),
        case("ENTRA_AUTHORITY_ENDPOINT ftp", Plan, "Invalid Endpoint", from_environment(),
            Place::Unplaced("ENTRA_AUTHORITY_ENDPOINT")).env(&[("ENTRA_AUTHORITY_ENDPOINT", "ftp://x")]),
        case("ARM_MSI_ENDPOINT plain http", Plan, "Invalid Endpoint", from_environment(),
            Place::Unplaced("ARM_MSI_ENDPOINT"))
            .env(&[("ARM_CLIENT_SECRET", ""), ("ARM_USE_MSI", "true"), ("ARM_MSI_ENDPOINT", "http://10.0.0.5/token")]),
        case("ARM_CLIENT_CERTIFICATE_PATH missing", Plan, "Unreadable Client Certificate", from_environment(),
            Place::Unplaced("ARM_CLIENT_CERTIFICATE_PATH"))
            .env(&[("ARM_CLIENT_CERTIFICATE_PATH", "/nonexistent/contoso.p12")]),
        case("ARM_OIDC_TOKEN_FILE_PATH missing", Plan, "Unreadable OIDC Token File", from_environment(),
            Place::Unplaced("ARM_OIDC_TOKEN_FILE_PATH"))
            .env(&[
                ("ARM_CLIENT_SECRET", ""),
                ("ARM_OIDC_TOKEN", ""),
                ("ARM_USE_OIDC", "true"),
                ("ARM_OIDC_TOKEN_FILE_PATH", "/nonexistent/oidc-token"),
            ]),
        case("ARM_TENANT_ID missing", Plan, "Missing Tenant ID", from_environment(), Place::Unplaced("ARM_TENANT_ID"))
            .env(&[("ARM_TENANT_ID", "")]),
        case("ARM_CLIENT_ID missing", Plan, "Missing Client ID", from_environment(), Place::Unplaced("ARM_CLIENT_ID"))
            .env(&[("ARM_CLIENT_ID", "")]),
        case("ARM_CLIENT_SECRET wrong", Plan, "Authentication Failed", from_environment(),
            Place::Unplaced("ARM_CLIENT_SECRET"))
            .env(&[("ARM_CLIENT_SECRET", "not-the-secret")])
            .mentions(&["AADSTS7000215"]),
        case("ARM_CLIENT_ID of no application", Plan, "Authentication Failed", from_environment(),
            Place::Unplaced("ARM_CLIENT_ID"))
            .env(&[("ARM_CLIENT_ID", "99999999-9999-4999-8999-999999999999")])
            .mentions(&["AADSTS700016"]),
        case("ARM_TENANT_ID of another tenant", Plan, "Authentication Failed", from_environment(),
            Place::Unplaced("ARM_TENANT_ID"))
            .env(&[("ARM_TENANT_ID", "00000000-0000-4000-8000-000000000bad")])
            .mentions(&["AADSTS90002"]),
    ]
}

/// One diagnostic as Terraform printed it.
#[derive(Debug)]
struct Printed {
    severity: String,
    summary: String,
    /// The source line shown under "on main.tf line N", trimmed.
    line: Option<String>,
    /// Everything printed for it.
    text: String,
}

/// The diagnostics in Terraform's `-no-color` output.
fn printed(output: &str) -> Vec<Printed> {
    let mut all: Vec<Printed> = Vec::new();
    for raw in output.lines() {
        // Terraform may frame a diagnostic with box-drawing characters.
        let line = match raw.strip_prefix('│') {
            Some(rest) => rest.strip_prefix(' ').unwrap_or(rest),
            None => raw,
        };
        if let Some((severity, summary)) = ["Error", "Warning"]
            .iter()
            .find_map(|s| line.strip_prefix(&format!("{s}: ")).map(|rest| (*s, rest)))
        {
            all.push(Printed {
                severity: severity.to_owned(),
                summary: summary.trim().to_owned(),
                line: None,
                text: String::new(),
            });
        }
        if let Some(current) = all.last_mut() {
            current.text.push_str(line);
            current.text.push('\n');
        }
    }
    for diagnostic in &mut all {
        let number = diagnostic.text.lines().find_map(|l| {
            let rest = l.trim_start().strip_prefix("on main.tf line ")?;
            rest.split(|c: char| !c.is_ascii_digit()).next().map(str::to_owned)
        });
        diagnostic.line = number.and_then(|n| {
            diagnostic.text.lines().find_map(|l| {
                let rest = l.trim_start().strip_prefix(&format!("{n}:"))?;
                Some(rest.trim().to_owned())
            })
        });
    }
    all
}

/// Why the output does not show what `case` expects, if it does not.
fn mismatch(case: &Case, success: bool, output: &str) -> Option<String> {
    if success {
        return Some("terraform succeeded".to_owned());
    }
    if let Some(secret) = SECRETS.iter().find(|s| output.contains(*s)) {
        return Some(format!("a secret ({secret}) was printed"));
    }
    let diagnostics = printed(output);
    let errors: Vec<&Printed> = diagnostics.iter().filter(|d| d.severity == "Error").collect();
    let [error] = errors.as_slice() else {
        let summaries: Vec<&str> = errors.iter().map(|e| e.summary.as_str()).collect();
        return Some(format!("expected one error, got {summaries:?}"));
    };
    if error.summary != case.summary {
        return Some(format!("summary {:?}", error.summary));
    }
    match (&case.place, &error.line) {
        (Place::Line(expected), Some(shown)) if shown == expected.trim() => {}
        (Place::Line(expected), shown) => return Some(format!("shown on {shown:?}, not on {expected:?}")),
        (Place::Unplaced(variable), _) if !error.text.contains(variable) => {
            return Some(format!("the variable {variable} is not named"));
        }
        (Place::Unplaced(_), Some(shown)) if shown.contains(" = ") => {
            return Some(format!("a value from the environment is placed on {shown:?}"));
        }
        (Place::Unplaced(_), _) => {}
    }
    // Terraform wraps details at 78 columns: compare with single spaces.
    let words = |text: &str| text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = words(&error.text);
    let missing: Vec<&&str> = case.mentions.iter().filter(|m| !text.contains(&words(m))).collect();
    if !missing.is_empty() {
        return Some(format!("does not mention {missing:?}"));
    }
    None
}

/// Graph writes in the emulator's request log: any method but GET, also inside a `$batch`
/// (a batch of reads is a POST, but it writes nothing).
fn writes(graph: &BackgroundEmulator) -> Vec<String> {
    let mut writes = Vec::new();
    for r in graph.emulator.requests() {
        if !r.path.starts_with("/v1.0/") {
            continue; // the token endpoint, the emulator's own admin routes
        }
        if r.path.starts_with("/v1.0/$batch") {
            let items = r.body.as_ref().and_then(|b| b["requests"].as_array().cloned());
            writes.extend(items.unwrap_or_default().iter().filter_map(|item| {
                let method = item["method"].as_str().unwrap_or("GET");
                (!method.eq_ignore_ascii_case("GET")).then(|| format!("{method} {} in $batch", item["url"]))
            }));
        } else if r.method != "GET" {
            writes.push(format!("{} {}", r.method, r.path));
        }
    }
    writes
}

#[test]
fn bad_configurations_are_placed_and_write_nothing() {
    let Some(terraform) = terraform_or_skip("bad_configurations_are_placed_and_write_nothing") else {
        return;
    };
    let started = std::time::Instant::now();
    let graph = BackgroundEmulator::start();
    let base_env = graph.provider_env("ci-secret-value");
    let base_env: Vec<(&str, &str)> = base_env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let shared = Workspace::new(terraform.clone()).with_env(&base_env);

    let cases = cases();
    assert!(cases.len() >= 55, "{} cases", cases.len());
    let mut names = std::collections::BTreeSet::new();
    let mut failures = Vec::new();
    for case in &cases {
        assert!(names.insert(case.name), "two cases are named {:?}", case.name);
        // A case with its own environment gets its own (cheap) workspace.
        let own;
        let ws = if case.env.is_empty() {
            &shared
        } else {
            own = Workspace::new(terraform.clone()).with_env(&base_env).with_env(case.env);
            &own
        };
        std::fs::write(ws.path().join("main.tf"), format!("{TERRAFORM_BLOCK}\n{}", case.hcl)).unwrap();
        let args: &[&str] = match case.stage {
            Stage::Validate => &["validate", "-no-color"],
            Stage::Plan => &["plan", "-no-color", "-input=false"],
        };
        let output = ws.run(args);
        let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
        match mismatch(case, output.status.success(), &text) {
            None => println!("case {}: ok", case.name),
            Some(why) => {
                println!("case {}: FAILED: {why}", case.name);
                failures.push(format!(
                    "--- case {:?} (terraform {}): expected {:?}: {why}\nmain.tf:\n{}\noutput:\n{text}",
                    case.name, args[0], case.summary, case.hcl
                ));
            }
        }
    }

    // Good values next to the bad ones are accepted: Go durations with fractions or two
    // units, and the IMDS address for msi_endpoint (plain http, but not loopback).
    std::fs::write(
        shared.path().join("main.tf"),
        format!(
            "{TERRAFORM_BLOCK}\n{}",
            assignment(&[
                &format!("group_id = \"{EMPTY_PILOT}\""),
                "licenses = { \"AAD_PREMIUM\" = {} }",
                "timeouts {",
                "  create = \"1.5h\"",
                "  update = \"1h30m\"",
                "}",
            ])
        ),
    )
    .unwrap();
    shared.ok(&["plan", "-no-color", "-input=false"]);
    println!("accepted: timeouts 1.5h and 1h30m plan");
    std::fs::write(
        shared.path().join("main.tf"),
        format!(
            "{TERRAFORM_BLOCK}\n{}",
            provider(&[
                "use_msi = true",
                "msi_endpoint = \"http://169.254.169.254/metadata/identity/oauth2/token\""
            ])
        ),
    )
    .unwrap();
    shared.ok(&["validate", "-no-color"]);
    println!("accepted: msi_endpoint at the IMDS address validates");
    std::fs::write(
        shared.path().join("main.tf"),
        format!(
            "{TERRAFORM_BLOCK}\n{}",
            reprocess(&[&format!("user_ids = [\"{ADELE}\", \"adele@contoso.example\"]")])
        ),
    )
    .unwrap();
    shared.ok(&["validate", "-no-color"]);
    println!("accepted: user_ids by object ID and by UPN validate");

    let written = writes(&graph);
    assert!(
        graph
            .emulator
            .requests()
            .iter()
            .any(|r| r.path.starts_with("/v1.0/subscribedSkus")),
        "the plan cases reached the emulator (its log is the one read here)"
    );
    println!("{} bad configurations in {:?}", cases.len(), started.elapsed());
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (Graph writes: {written:?}):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert_eq!(
        written,
        Vec::<String>::new(),
        "no Graph write for any bad configuration"
    );
}
