/// Daily random salts of the cookieless visitor hash (one row per UTC day, deleted after 48 hours).
/// Installation-wide, not per site: the hash itself includes the site key.
let migration0005VisitorSalts = Migration(version: 5, name: "visitor salts") { d in
    [
        """
        CREATE TABLE visitor_salts (
          day INTEGER NOT NULL PRIMARY KEY,
          salt \(d.token(64)) NOT NULL,
          created_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
    ]
}
