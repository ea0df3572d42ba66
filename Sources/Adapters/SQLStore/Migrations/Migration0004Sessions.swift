/// Sessions assembled as events arrive (30 minutes of inactivity ends one).
let migration0004Sessions = Migration(version: 4, name: "tracking sessions") { d in
    [
        """
        CREATE TABLE tracking_sessions (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          visitor_key \(d.token(64)) NOT NULL,
          started_at BIGINT NOT NULL,
          last_at BIGINT NOT NULL,
          entry_path \(d.varchar(768)) NOT NULL,
          exit_path \(d.varchar(768)) NOT NULL,
          pageviews INTEGER NOT NULL,
          events INTEGER NOT NULL,
          engaged_ms BIGINT NOT NULL,
          source \(d.token(16)) NOT NULL,
          referrer_domain \(d.varchar(255)) NOT NULL,
          utm_campaign \(d.varchar(190)) NULL,
          country \(d.varchar(8)) NOT NULL,
          device \(d.token(16)) NOT NULL,
          browser \(d.varchar(64)) NOT NULL,
          os \(d.varchar(64)) NOT NULL,
          is_bot INTEGER NOT NULL,
          converted INTEGER NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_tracking_sessions_visitor ON tracking_sessions (workspace_id, visitor_key, last_at)",
        "CREATE INDEX ix_tracking_sessions_started ON tracking_sessions (workspace_id, started_at)",
        "ALTER TABLE tracking_events ADD COLUMN session_id BIGINT NULL",
    ]
}
