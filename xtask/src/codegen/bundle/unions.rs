//! Step 2c: the unions (a `oneOf` of refs with a discriminator: members, tag values, which
//! members keep the tag) and the `x-lc-disconnect-policy` of string enums.

use super::*;

impl Bundler {
    /// Records a union defined by `schema`.
    pub(super) fn union_of(&mut self, title: &str, schema: &Value, at: &str, rel: &str) {
        let Some(disc) = schema.get("discriminator") else {
            return;
        };
        let Some(tag) = disc.get("propertyName").and_then(Value::as_str) else {
            return self.err(at, "`discriminator` needs `propertyName`");
        };
        let Some(members) = schema.get("oneOf").and_then(Value::as_array) else {
            return self.err(at, "a union (`discriminator`) needs a `oneOf` of `$ref`s");
        };
        let mut variants = Vec::new();
        for m in members {
            match m.get("$ref").and_then(Value::as_str).map(|r| self.resolve(r, rel)) {
                Some(Ok(name)) => variants.push(Variant {
                    type_name: name,
                    tags: vec![],
                    strip: false,
                }),
                Some(Err(e)) => self.err(at, e),
                None => self.err(at, "every `oneOf` member of a union is a `$ref`"),
            }
        }
        self.unions.push(Union {
            name: title.to_owned(),
            tag: tag.to_owned(),
            variants,
        });
    }

    /// Reads each union member's tag values and strips single-valued tags from the member.
    pub(super) fn finish_unions(&mut self) {
        let mut unions = std::mem::take(&mut self.unions);
        for u in &mut unions {
            let mut seen = BTreeSet::new();
            for v in &mut u.variants {
                let at = self.origin.get(&v.type_name).cloned().unwrap_or_default();
                let Some(def) = self.definitions.get_mut(&v.type_name) else {
                    continue;
                };
                let tags: Option<Vec<String>> = def
                    .pointer(&format!("/properties/{}/enum", u.tag))
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_owned)).collect());
                let required = def
                    .get("required")
                    .and_then(Value::as_array)
                    .is_some_and(|r| r.iter().any(|x| x == u.tag.as_str()));
                let Some(tags) = tags.filter(|t| !t.is_empty() && required) else {
                    self.errors.push(format!(
                        "{at}: member of the union `{}` needs a required `{}` property with a string `enum` of its tag values",
                        u.name, u.tag
                    ));
                    continue;
                };
                for t in &tags {
                    if !seen.insert(t.clone()) {
                        self.errors
                            .push(format!("{at}: tag value `{t}` is claimed by two members of the union `{}`", u.name));
                    }
                }
                v.strip = tags.len() == 1;
                v.tags = tags;
                if v.strip {
                    let obj = def.as_object_mut().expect("object schema");
                    if let Some(Value::Object(props)) = obj.get_mut("properties") {
                        props.remove(&u.tag);
                    }
                    if let Some(Value::Array(req)) = obj.get_mut("required") {
                        req.retain(|r| r != u.tag.as_str());
                    }
                }
            }
        }
        self.unions = unions;
    }

    /// Reads `x-lc-disconnect-policy` of the string enum `title`: every enum value must name its
    /// policy, so a new reason cannot be added without deciding how clients react to it.
    pub(super) fn disconnect_policy(&mut self, title: &str, schema: &Value, policy: &Value, at: &str) {
        let values: Vec<&str> = schema
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let Some(map) = policy.as_object().filter(|_| !values.is_empty()) else {
            return self.err(
                at,
                "`x-lc-disconnect-policy` belongs on a string enum and maps each value to a policy",
            );
        };
        let mut policies = BTreeMap::new();
        for (value, p) in map {
            match p.as_str() {
                Some(p) if DISCONNECT_POLICIES.contains(&p) && values.contains(&value.as_str()) => {
                    policies.insert(value.clone(), p.to_owned());
                }
                Some(p) if DISCONNECT_POLICIES.contains(&p) => self.err(
                    at,
                    format!("`x-lc-disconnect-policy` names `{value}`, which is not a value of the enum"),
                ),
                _ => self.err(
                    at,
                    format!("`x-lc-disconnect-policy` of `{value}` is one of {DISCONNECT_POLICIES:?}"),
                ),
            }
        }
        for v in values {
            if !policies.contains_key(v) {
                self.err(at, format!("`x-lc-disconnect-policy` has no policy for `{v}`"));
            }
        }
        self.disconnect_policies.insert(title.to_owned(), policies);
    }
}
