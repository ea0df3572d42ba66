/// Tracking: visitors and raw events (one row per event, de-duplicated by the widget's event id).
let migration0003Tracking = Migration(version: 3, name: "tracking") { d in
    [
        """
        CREATE TABLE visitors (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          visitor_key \(d.token(64)) NOT NULL,
          first_seen_at BIGINT NOT NULL,
          last_seen_at BIGINT NOT NULL,
          customer_id \(d.varchar(190)) NULL,
          email \(d.varchar(190)) NULL,
          name \(d.varchar(190)) NULL,
          country \(d.varchar(8)) NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_visitors_key ON visitors (workspace_id, visitor_key)",
        "CREATE INDEX ix_visitors_email ON visitors (workspace_id, email)",
        """
        CREATE TABLE tracking_events (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          event_uid \(d.token(64)) NOT NULL,
          visitor_key \(d.token(64)) NOT NULL,
          session_hint \(d.token(64)) NOT NULL,
          type \(d.token(16)) NOT NULL,
          name \(d.varchar(120)) NOT NULL,
          ts BIGINT NOT NULL,
          received_at BIGINT NOT NULL,
          url \(d.text) NOT NULL,
          path \(d.varchar(768)) NOT NULL,
          title \(d.varchar(255)) NOT NULL,
          referrer \(d.text) NOT NULL,
          referrer_domain \(d.varchar(255)) NOT NULL,
          source \(d.token(16)) NOT NULL,
          utm_source \(d.varchar(190)) NULL,
          utm_medium \(d.varchar(190)) NULL,
          utm_campaign \(d.varchar(190)) NULL,
          utm_term \(d.varchar(190)) NULL,
          utm_content \(d.varchar(190)) NULL,
          country \(d.varchar(8)) NOT NULL,
          device \(d.token(16)) NOT NULL,
          browser \(d.varchar(64)) NOT NULL,
          browser_version \(d.varchar(32)) NOT NULL,
          os \(d.varchar(64)) NOT NULL,
          os_version \(d.varchar(32)) NOT NULL,
          ip \(d.varchar(64)) NOT NULL,
          screen \(d.varchar(32)) NOT NULL,
          lang \(d.varchar(32)) NOT NULL,
          engaged_ms BIGINT NOT NULL,
          scroll_pct INTEGER NOT NULL,
          props \(d.text) NOT NULL,
          is_bot INTEGER NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_tracking_events_uid ON tracking_events (workspace_id, event_uid)",
        "CREATE INDEX ix_tracking_events_ts ON tracking_events (workspace_id, ts)",
        "CREATE INDEX ix_tracking_events_visitor ON tracking_events (workspace_id, visitor_key, ts)",
    ]
}
