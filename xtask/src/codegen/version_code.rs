//! Step 3, the per-unit driver: takes one API of one version (a [`Bundle`]) and gives its [`VersionCode`].
//! Runs typify on the bundled definitions, then the syn pass (step 4, [`super::postprocess`]), adds
//! the manifest-driven items (step 5, [`super::manifest`]) and groups the items by owning type (for
//! step 6, [`super::share`]).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::bundle::{Api, Bundle};
use super::discover::module_name;
use super::{manifest, share};
use crate::codegen::postprocess::{self, Context};

/// The code of one version, before it is split between the version's module and shared modules.
pub(crate) struct VersionCode {
    /// `3.6`.
    pub version: String,
    /// `v3_6`.
    pub module: String,
    /// The API of the version it describes.
    pub api: Api,
    /// Type name -> its items: the definition, then every impl it owns.
    pub types: BTreeMap<String, Vec<syn::Item>>,
    /// The tables generated from the manifest (`actions!`, `pushes!`, `any!`, `types!`, `api!`).
    pub tables: String,
    /// Types tied to this version by a trait impl naming it (requests, push payloads): never shared.
    pub bound: BTreeSet<String>,
    /// Request, response and push types -> the (action or push name, docs link) of each use.
    pub links: BTreeMap<String, Vec<(String, String)>>,
    /// Type -> the folder of its schema (`objects`, `requests`, ...), where its code goes.
    pub folders: BTreeMap<String, &'static str>,
}

impl VersionCode {
    /// The folder (kind) of type `name`: its schema's, else `objects` (typify's own helper types).
    pub(crate) fn kind(&self, name: &str) -> &'static str {
        self.folders.get(name).copied().unwrap_or("objects")
    }
}

/// typify, the syn pass and the manifest-driven code for one version.
pub(crate) fn version_code(b: &Bundle) -> Result<VersionCode, Vec<String>> {
    let mut settings = ::typify::TypeSpaceSettings::default();
    settings.with_derive("PartialEq".to_owned());
    settings.with_map_type("::std::collections::BTreeMap".to_owned());
    for u in &b.unions {
        settings.with_replacement(&u.name, &u.name, std::iter::empty());
    }
    for (name, path) in &b.core {
        settings.with_replacement(name, path, std::iter::empty());
    }
    let date_time = schemars::schema::SchemaObject {
        instance_type: Some(schemars::schema::InstanceType::String.into()),
        format: Some("date-time".to_owned()),
        ..Default::default()
    };
    settings.with_conversion(date_time, "crate::Timestamp", std::iter::empty());

    let root: schemars::schema::RootSchema = serde_json::from_value(serde_json::json!({ "definitions": b.definitions }))
        .map_err(|e| vec![format!("{}: the bundle is not a schema typify reads: {e}", b.label())])?;
    let mut space = ::typify::TypeSpace::new(&settings);
    // typify panics (rather than failing) on some inputs; the bundler rules those out, but a panic
    // must still name the version.
    let added = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| space.add_root_schema(root)));
    match added {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(vec![format!("{}: typify: {e}", b.label())]),
        Err(_) => return Err(vec![format!("{}: typify panicked (see above)", b.label())]),
    }
    let mut file: syn::File =
        syn::parse2(space.to_stream()).map_err(|e| vec![format!("{}: typify output does not parse: {e}", b.label())])?;

    // Objects with no known fields (the bundler allows them only at the root): typify makes them a
    // map newtype; the pass declares them with no fields.
    let empty_objects: BTreeMap<String, String> = b
        .definitions
        .iter()
        .filter(|(_, s)| s.get("properties").and_then(Value::as_object).is_some_and(|p| p.is_empty()))
        .map(|(n, s)| {
            (
                n.clone(),
                s.get("description").and_then(Value::as_str).unwrap_or_default().to_owned(),
            )
        })
        .collect();
    postprocess::process(&mut file, &Context { bundle: b, empty_objects })
        .map_err(|e| e.into_iter().map(|m| format!("{}: {m}", b.label())).collect::<Vec<_>>())?;
    let mut types: Vec<String> = file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some(s.ident.to_string()),
            syn::Item::Enum(e) => Some(e.ident.to_string()),
            _ => None,
        })
        .chain(b.core.keys().cloned())
        .collect();
    types.sort();
    let tables = manifest::manifest_text(b, &types).map_err(|e| vec![e])?;
    let bound = b
        .actions
        .iter()
        .filter_map(|a| a.request.clone())
        .chain(b.pushes.iter().map(|p| p.payload.clone()))
        .collect();
    let mut links: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for a in &b.actions {
        for ty in a.request.iter().chain([&a.response]) {
            links.entry(ty.clone()).or_default().push((a.name.clone(), a.docs.clone()));
        }
    }
    for p in &b.pushes {
        links.entry(p.payload.clone()).or_default().push((p.name.clone(), p.docs.clone()));
    }
    Ok(VersionCode {
        version: b.version.clone(),
        module: module_name(&b.version),
        api: b.api,
        types: share::by_owner(file.items).map_err(|e| vec![format!("{}: {e}", b.label())])?,
        tables,
        bound,
        links,
        folders: b.folders.clone(),
    })
}
