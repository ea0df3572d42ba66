/// The Visitor log's total (issue 5, speed at 10 M page views): page views per hour, bots included, kept in
/// `tracking_rollups` under the dimension `log` (value '') at ingest, in the transaction that stores the
/// events. The log's unfiltered total is then a sum over the range's whole hours plus an index count of the
/// two partial hours at its ends. This backfills the rows for the page views stored before.
let migration0025VisitLogCounts = Migration(version: 25, name: "visitor log hourly counts") { d in
    let hour = d.dialect == .mariadb ? "(ts DIV 3600000) * 3600000" : "(ts / 3600000) * 3600000"
    return ["""
        INSERT INTO tracking_rollups (workspace_id, hour, dim, value, pageviews, events, sessions, engaged_ms)
        SELECT workspace_id, \(hour), 'log', '', COUNT(*), COUNT(*), 0, 0 FROM tracking_events WHERE type = 'pageview'
        GROUP BY workspace_id, \(hour)
        """]
}
