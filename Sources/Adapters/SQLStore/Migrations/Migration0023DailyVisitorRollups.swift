/// Daily rollups for the figures no hourly sum can give (issue 5, speed at 10 M page views): unique and new
/// visitors, sessions and bounces per local day of the site's time zone, kept in the same transaction as the
/// sessions they count.
///
/// - `tracking_visitor_days`: on which local days a visitor started a (non-bot) session, and how many.
/// - `tracking_day_visitors`: per local day, its visitors counted by the previous day they were present
///   (`prev_day` -1: never before). The unique visitors of days [d0, d1) are the sum of the rows with
///   d0 <= day < d1 and prev_day < d0, exactly; new visitors are the rows with prev_day -1. At most one row
///   per (day, earlier day), so a month reads a few thousand rows whatever the traffic.
/// - `tracking_day_sessions`: (non-bot) sessions and bounces started per local day.
/// - `tracking_rollup_zones`: the time zone these days are counted in, per site. A site has a row only while
///   the three tables above hold all its sessions (from its first session, or after a rebuild); reports read
///   raw sessions for any other zone or site.
let migration0023DailyVisitorRollups = Migration(version: 23, name: "daily visitor rollups") { d in
    [
        """
        CREATE TABLE tracking_visitor_days (
          workspace_id BIGINT NOT NULL,
          visitor_key \(d.token(64)) NOT NULL,
          day INTEGER NOT NULL,
          sessions INTEGER NOT NULL,
          PRIMARY KEY (workspace_id, visitor_key, day)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE tracking_day_visitors (
          workspace_id BIGINT NOT NULL,
          day INTEGER NOT NULL,
          prev_day INTEGER NOT NULL,
          visitors BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, day, prev_day)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE tracking_day_sessions (
          workspace_id BIGINT NOT NULL,
          day INTEGER NOT NULL,
          sessions BIGINT NOT NULL,
          bounces BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, day)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE tracking_rollup_zones (
          workspace_id BIGINT NOT NULL PRIMARY KEY,
          zone \(d.varchar(64)) NOT NULL
        )\(d.tableOptions)
        """,
    ]
}
