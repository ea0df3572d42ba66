/// Daily rollups for Top pages and Geo intelligence (issue 5, speed at 10 M page views), kept in the same transaction as the events
/// and sessions they count, the way migration 23 keeps the site's own visitors:
///
/// - `tracking_page_visitor_days`: on which local days a visitor viewed a page (non-bot page views), and how often.
/// - `tracking_page_day_visitors`: per page and local day, its visitors counted by the previous day they viewed
///   that page (`prev_day` -1: never before). A page's unique visitors over days [d0, d1) are the sum of its rows
///   with d0 <= day < d1 and prev_day < d0, exactly.
/// - `tracking_day_entries`: (non-bot) sessions and bounces started per local day, by entry page.
/// - Geo intelligence, by the sessions started (non-bot), under a value naming what is counted: `c:` + country
///   code ('' for unknown), `t:` + country + `|` + city, `g:` + country group key (`CountryGroupList`):
///   `tracking_geo_visitor_days` and `tracking_geo_day_visitors` (visitors, as for pages) and `tracking_day_geo`
///   (sessions, bounces and conversions per day and value; value '' for all sessions).
/// - `tracking_rollup_zones.pages`: 1 while these tables hold all of the site's page views and sessions (a
///   site first seen after this migration, or after a rebuild); 0 for data from before, until the worker's
///   rebuild fills them. Reports read the raw rows for a site at 0.
let migration0027PageDayRollups = Migration(version: 27, name: "page and geo daily rollups") { d in
    [
        """
        CREATE TABLE tracking_page_visitor_days (
          workspace_id BIGINT NOT NULL,
          visitor_key \(d.token(64)) NOT NULL,
          path \(d.token(255)) NOT NULL,
          day INTEGER NOT NULL,
          views BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, visitor_key, path, day)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE tracking_page_day_visitors (
          workspace_id BIGINT NOT NULL,
          day INTEGER NOT NULL,
          path \(d.token(255)) NOT NULL,
          prev_day INTEGER NOT NULL,
          visitors BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, day, path, prev_day)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE tracking_day_entries (
          workspace_id BIGINT NOT NULL,
          day INTEGER NOT NULL,
          path \(d.token(255)) NOT NULL,
          sessions BIGINT NOT NULL,
          bounces BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, day, path)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE tracking_geo_visitor_days (
          workspace_id BIGINT NOT NULL,
          visitor_key \(d.token(64)) NOT NULL,
          value \(d.token(200)) NOT NULL,
          day INTEGER NOT NULL,
          sessions BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, visitor_key, value, day)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE tracking_geo_day_visitors (
          workspace_id BIGINT NOT NULL,
          day INTEGER NOT NULL,
          value \(d.token(200)) NOT NULL,
          prev_day INTEGER NOT NULL,
          visitors BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, day, value, prev_day)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE tracking_day_geo (
          workspace_id BIGINT NOT NULL,
          day INTEGER NOT NULL,
          value \(d.token(200)) NOT NULL,
          sessions BIGINT NOT NULL,
          bounces BIGINT NOT NULL,
          conversions BIGINT NOT NULL,
          PRIMARY KEY (workspace_id, day, value)
        )\(d.tableOptions)
        """,
        "ALTER TABLE tracking_rollup_zones ADD COLUMN pages INTEGER NOT NULL DEFAULT 0",
    ]
}
