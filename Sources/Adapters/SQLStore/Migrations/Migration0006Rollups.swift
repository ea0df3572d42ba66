/// Hourly rollups of tracking events by page, source, country, device and browser, kept up to date in
/// the same transaction that stores the events (so a count is never ahead of or behind the raw rows).
let migration0006Rollups = Migration(version: 6, name: "tracking hourly rollups") { d in
    [
        """
        CREATE TABLE tracking_rollups (
          workspace_id BIGINT NOT NULL,
          hour BIGINT NOT NULL,
          dim \(d.token(16)) NOT NULL,
          value \(d.token(255)) NOT NULL,
          pageviews BIGINT NOT NULL,
          events BIGINT NOT NULL,
          sessions BIGINT NOT NULL,
          engaged_ms BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, hour, dim, value)
        )\(d.tableOptions)
        """,
        // One customer's visitors (devices, browsers) found by customer id as well as by email.
        "CREATE INDEX ix_visitors_customer ON visitors (workspace_id, customer_id)",
        // City, when a GeoIP City database is configured.
        "ALTER TABLE tracking_events ADD COLUMN city \(d.varchar(128)) NOT NULL DEFAULT ''",
        "ALTER TABLE tracking_sessions ADD COLUMN city \(d.varchar(128)) NOT NULL DEFAULT ''",
    ]
}
