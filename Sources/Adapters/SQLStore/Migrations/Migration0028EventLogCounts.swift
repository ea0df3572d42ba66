/// The Events log's total (issue 5, speed at 10 M page views): every event, bots included, counted per hour in
/// `tracking_rollups` at ingest under the dimension `etype` (value: the type) and, when its name differs from its
/// type, `ename` (value: the name), so the log's total for a type or name filter without a search is a sum over the
/// range's whole hours plus an index count of the partial hours at its ends. This backfills the rows for the events
/// stored before.
let migration0028EventLogCounts = Migration(version: 28, name: "events log hourly counts") { d in
    let hour = d.dialect == .mariadb ? "(ts DIV 3600000) * 3600000" : "(ts / 3600000) * 3600000"
    return ["""
        INSERT INTO tracking_rollups (workspace_id, hour, dim, value, pageviews, events, sessions, engaged_ms)
        SELECT workspace_id, \(hour), 'etype', SUBSTR(type, 1, 255), 0, COUNT(*), 0, 0 FROM tracking_events
        GROUP BY workspace_id, \(hour), SUBSTR(type, 1, 255)
        """, """
        INSERT INTO tracking_rollups (workspace_id, hour, dim, value, pageviews, events, sessions, engaged_ms)
        SELECT workspace_id, \(hour), 'ename', SUBSTR(name, 1, 255), 0, COUNT(*), 0, 0 FROM tracking_events WHERE name <> '' AND name <> type
        GROUP BY workspace_id, \(hour), SUBSTR(name, 1, 255)
        """]
}
