/// Mailboxes polled over IMAP (password sealed with the master key) and where each poll got to
/// (UIDVALIDITY and the last UID imported).
let migration0014Mailboxes = Migration(version: 14, name: "mailboxes") { d in
    [
        """
        CREATE TABLE mailboxes (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          name \(d.varchar(190)) NOT NULL,
          address \(d.varchar(190)) NOT NULL,
          host \(d.varchar(255)) NOT NULL,
          port INT NOT NULL,
          security \(d.token(16)) NOT NULL,
          username \(d.varchar(255)) NOT NULL,
          password_sealed \(d.text) NOT NULL,
          folder \(d.varchar(255)) NOT NULL,
          department_id BIGINT NULL,
          poll_minutes INT NOT NULL,
          enabled INT NOT NULL,
          uid_validity BIGINT NULL,
          last_uid BIGINT NOT NULL,
          last_polled_at BIGINT NULL,
          last_error \(d.text) NULL,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_mailboxes_workspace ON mailboxes (workspace_id, name)",
    ]
}
