/// The Intent funnel's counts per local day (issue 5, speed at 10 M page views), cached once a day's sessions all
/// have their class under the site's current rules. `tracking_day_sessions.changes` counts the ingest batches that
/// changed any of the day's non-bot sessions; a cached row holds the count it was computed at (`stamp`) and is used
/// only while the two agree, so a late event that changes an old session makes its day be counted again.
///
/// Leads (same speed target): each classified session also stores what Leads scores (`lead_*`: pricing, checkout and
/// support page views, forms and chats), counted under the same rules as its class, so Leads reads sessions only.
/// The classifier's version in the rules key moved (intent-v3), so every session is classified again with them.
let migration0029IntentDays = Migration(version: 29, name: "intent day counts and lead tallies") { d in
    [
        "ALTER TABLE tracking_sessions ADD COLUMN lead_pricing INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tracking_sessions ADD COLUMN lead_checkout INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tracking_sessions ADD COLUMN lead_support INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tracking_sessions ADD COLUMN lead_forms INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tracking_sessions ADD COLUMN lead_chats INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE tracking_day_sessions ADD COLUMN changes BIGINT NOT NULL DEFAULT 0",
        """
        CREATE TABLE tracking_intent_days (
          workspace_id BIGINT NOT NULL,
          day INTEGER NOT NULL,
          rules_key \(d.token(16)) NOT NULL,
          stamp BIGINT NOT NULL,
          counts \(d.varchar(512)) NOT NULL,
          PRIMARY KEY (workspace_id, day, rules_key)
        )\(d.tableOptions)
        """,
    ]
}
