/// The Intent funnel's class of each session (issue 5: every session of a range, no cap, at 10 M page views). A
/// session is classified once under a key of its site's intent rules (`intent_rules`, '' = not yet); ingest sets the
/// key back to '' whenever the session changes, and a change of the rules changes the key. The funnel's counts
/// read `ix_tracking_sessions_intent` alone.
let migration0026SessionIntent = Migration(version: 26, name: "session intent") { d in
    ["ALTER TABLE tracking_sessions ADD COLUMN intent_rules \(d.token(16)) NOT NULL DEFAULT ''",
     "ALTER TABLE tracking_sessions ADD COLUMN intent \(d.token(12)) NOT NULL DEFAULT ''",
     "ALTER TABLE tracking_sessions ADD COLUMN intent_reason \(d.varchar(255)) NOT NULL DEFAULT ''",
     "CREATE INDEX ix_tracking_sessions_intent ON tracking_sessions (workspace_id, started_at, is_bot, intent_rules, intent)"]
}
