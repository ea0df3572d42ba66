/// The Visitor log's page views by time (issue 5, speed at 10 M page views): its count and its newest-first page
/// read this index alone (`type` and `ts` in it, the row id after them on both engines) instead of every event
/// of the range.
let migration0024VisitLogIndex = Migration(version: 24, name: "visitor log index") { _ in
    ["CREATE INDEX ix_tracking_events_type_ts ON tracking_events (workspace_id, type, ts)"]
}
