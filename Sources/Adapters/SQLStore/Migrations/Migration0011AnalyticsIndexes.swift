/// Indexes for the analytics pages (issue 5): the range figures read sessions by start time without touching
/// the table rows (covering: bot flag, visitor, pages, engaged time); the live feed and recent visitors read
/// sessions by last activity; the IP drill-down reads events by IP (a
/// session's own events are found by visitor and time through the existing index, so ingestion pays for one
/// more events index only).
let migration0011AnalyticsIndexes = Migration(version: 11, name: "analytics report indexes") { _ in
    [
        "CREATE INDEX ix_tracking_sessions_range ON tracking_sessions (workspace_id, started_at, is_bot, visitor_key, pageviews, engaged_ms)",
        "CREATE INDEX ix_tracking_sessions_last ON tracking_sessions (workspace_id, last_at)",
        // Every visit from one IP (the Visitor log's IP link).
        "CREATE INDEX ix_tracking_events_ip ON tracking_events (workspace_id, ip, ts)",
    ]
}
