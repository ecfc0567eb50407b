//! Step 2d: `api.json`, the manifest: every action (web method, RTM, request and response type,
//! docs link), every push and every webhook action (payload type, docs link), checked against
//! the types.

use super::*;

impl Bundler {
    /// Reads `api.json`.
    pub(super) fn manifest(&mut self, version: &str) -> (Vec<ActionEntry>, Vec<PushEntry>, Vec<PushEntry>) {
        let manifest = format!("{}api.json", self.api.prefix());
        let at = self.shown(&manifest);
        let text = match fs::read_to_string(self.dir.join(&manifest)) {
            Ok(t) => t,
            Err(e) => {
                self.err(&at, e);
                return (vec![], vec![], vec![]);
            }
        };
        let api: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                self.err(&at, format!("not JSON: {e}"));
                return (vec![], vec![], vec![]);
            }
        };
        if api.get("version").and_then(Value::as_str) != Some(version) {
            self.err(&at, format!("`version` must be \"{version}\", as the directory name says"));
        }
        let mut actions = Vec::new();
        let mut names = BTreeSet::new();
        for (i, a) in api.get("actions").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let here = format!("{at}#/actions/{i}");
            let Some(name) = a.get("name").and_then(Value::as_str) else {
                self.err(&here, "no `name`");
                continue;
            };
            if !names.insert(name.to_owned()) {
                self.err(&here, format!("action `{name}` is listed twice"));
            }
            if !is_wire_name(name) {
                self.err(&here, format!("action name `{name}` is not snake_case"));
            }
            let web = match a.get("web") {
                Some(Value::Null) | None => None,
                Some(Value::String(m)) if ["POST", "GET", "MULTIPART"].contains(&m.as_str()) => Some(m.clone()),
                Some(other) => {
                    self.err(&here, format!("`web` is \"POST\", \"GET\", \"MULTIPART\" or null, not {other}"));
                    None
                }
            };
            let rtm = a.get("rtm").and_then(Value::as_bool).unwrap_or_else(|| {
                self.errors.push(format!("{here}: `rtm` must be true or false"));
                false
            });
            let token = a.get("token").and_then(Value::as_bool).unwrap_or_else(|| {
                self.errors.push(format!("{here}: `token` must be true or false"));
                true
            });
            let idempotent = a.get("idempotent").and_then(Value::as_bool).unwrap_or_else(|| {
                self.errors.push(format!("{here}: `idempotent` must be true or false"));
                false
            });
            if web.is_none() && !rtm {
                self.err(&here, format!("action `{name}` is available over neither Web nor RTM"));
            }
            let request = match a.get("request") {
                Some(Value::String(p)) => self.manifest_type(p, &format!("{}Request", pascal(name)), &here),
                _ if web.as_deref() == Some("MULTIPART") => None,
                _ => {
                    self.err(&here, "`request` is the path of the request schema (null only for MULTIPART)");
                    None
                }
            };
            let response = match a.get("response") {
                Some(Value::String(p)) => self.manifest_type(p, &format!("{}Response", pascal(name)), &here),
                _ => {
                    self.err(&here, "`response` is the path of the response schema");
                    None
                }
            };
            let docs = a.get("docs").and_then(Value::as_str).unwrap_or_default().to_owned();
            if let Some(response) = response {
                actions.push(ActionEntry {
                    name: name.to_owned(),
                    web,
                    rtm,
                    token,
                    idempotent,
                    request,
                    response,
                    docs,
                });
            }
        }
        let mut pushes = Vec::new();
        for (i, p) in api.get("pushes").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let here = format!("{at}#/pushes/{i}");
            let Some(name) = p.get("name").and_then(Value::as_str) else {
                self.err(&here, "no `name`");
                continue;
            };
            if !names.insert(format!("push:{name}")) {
                self.err(&here, format!("push `{name}` is listed twice"));
            }
            if !is_wire_name(name) {
                self.err(&here, format!("push name `{name}` is not snake_case"));
            }
            let payload = p
                .get("payload")
                .and_then(Value::as_str)
                .and_then(|path| self.manifest_type(path, &format!("{}Push", pascal(name)), &here));
            let docs = p.get("docs").and_then(Value::as_str).unwrap_or_default().to_owned();
            match payload {
                Some(payload) => pushes.push(PushEntry {
                    name: name.to_owned(),
                    payload,
                    docs,
                }),
                None => self.err(&here, "`payload` is the path of the push schema"),
            }
        }
        // A webhook's payload is the push of the same name (`pushes/<name>.json`, the same
        // type) or its own (`webhooks/<name>.json`, `<Name>Webhook`).
        let mut webhooks = Vec::new();
        for (i, h) in api.get("webhooks").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let here = format!("{at}#/webhooks/{i}");
            let Some(name) = h.get("name").and_then(Value::as_str) else {
                self.err(&here, "no `name`");
                continue;
            };
            if !names.insert(format!("webhook:{name}")) {
                self.err(&here, format!("webhook `{name}` is listed twice"));
            }
            if !is_wire_name(name) {
                self.err(&here, format!("webhook name `{name}` is not snake_case"));
            }
            let payload = match h.get("payload").and_then(Value::as_str) {
                Some(path) if path.starts_with("pushes/") => self.manifest_type(path, &format!("{}Push", pascal(name)), &here),
                Some(path) if path.starts_with("webhooks/") => self.manifest_type(path, &format!("{}Webhook", pascal(name)), &here),
                _ => None,
            };
            let docs = h.get("docs").and_then(Value::as_str).unwrap_or_default().to_owned();
            match payload {
                Some(payload) => webhooks.push(PushEntry {
                    name: name.to_owned(),
                    payload,
                    docs,
                }),
                None => self.err(
                    &here,
                    "`payload` is the path of a push schema (pushes/) or a webhook schema (webhooks/)",
                ),
            }
        }
        if actions.is_empty() {
            self.err(&at, "no actions");
        }
        (actions, pushes, webhooks)
    }

    fn manifest_type(&mut self, path: &str, expected: &str, at: &str) -> Option<String> {
        match self.names.get(&format!("{}{path}", self.api.prefix())) {
            Some(name) if name == expected => Some(name.clone()),
            Some(name) => {
                let name = name.clone();
                self.err(at, format!("`{path}` has title `{name}`; it must be `{expected}`"));
                None
            }
            None => {
                self.err(at, format!("`{path}` does not exist"));
                None
            }
        }
    }
}

fn is_wire_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_')
}
