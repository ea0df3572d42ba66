/// Canned responses (reply templates per site), department signatures for `{{department_signature}}`,
/// and ticket attachments (metadata here; the bytes live in file storage under `storage_key`).
let migration0008CannedAttachments = Migration(version: 8, name: "canned_responses_attachments") { d in
    [
        // MariaDB accepts a literal default on TEXT columns (10.2.1 and later); SQLite always has.
        "ALTER TABLE departments ADD COLUMN signature \(d.text) NOT NULL DEFAULT ''",
        """
        CREATE TABLE canned_responses (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          title \(d.varchar(190)) NOT NULL,
          body \(d.text) NOT NULL,
          department_id BIGINT NULL,
          shortcut \(d.token(64)) NOT NULL,
          created_by BIGINT NULL,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_canned_responses_shortcut ON canned_responses (workspace_id, shortcut)",
        "CREATE INDEX ix_canned_responses_department ON canned_responses (workspace_id, department_id)",
        """
        CREATE TABLE ticket_attachments (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          ticket_id BIGINT NOT NULL,
          message_id BIGINT NULL,
          file_name \(d.varchar(255)) NOT NULL,
          content_type \(d.token(100)) NOT NULL,
          size BIGINT NOT NULL,
          storage_key \(d.token(128)) NOT NULL,
          sha256 \(d.token(64)) NOT NULL,
          created_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_ticket_attachments_ticket ON ticket_attachments (workspace_id, ticket_id, created_at)",
        "CREATE INDEX ix_ticket_attachments_message ON ticket_attachments (workspace_id, message_id)",
        "CREATE UNIQUE INDEX ux_ticket_attachments_key ON ticket_attachments (storage_key)",
    ]
}
