/// The Intent funnel's counts per local day (issue 5, speed at 10 M page views), cached once a day's sessions all
/// have their class under the site's current rules. `tracking_day_sessions.changes` counts the ingest batches that
/// changed any of the day's non-bot sessions; a cached row holds the count it was computed at (`stamp`) and is used
/// only while the two agree, so a late event that changes an old session makes its day be counted again.
let migration0029IntentDays = Migration(version: 29, name: "intent day counts") { d in
    [
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
